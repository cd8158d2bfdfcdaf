"""Fixtures shared by the web and browser tests.

The same tests run on SQLite (default, a fresh file per session) or on PostgreSQL when
TEST_DATABASE_URL or DATABASE_URL names one. The schema is built once per session by the
migrations, exactly as in production; every test then starts from empty tables.

Isolation, as Indico's `db` fixture does it: a test runs inside one outer transaction on one
connection, which every session of the app joins with a savepoint, so `commit` releases a
savepoint and `rollback` returns to one; at the end the outer transaction is rolled back. This
is honest on both databases because services only flush and the boundary commits
(app/core/extensions.py): the savepoints stand exactly where the real commits would. A test
whose commits must reach the database for real — another thread, process or app reads them,
or it restores a backup — is marked `real_commits` and runs on truncated tables instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property tests judge correctness, never speed (speed goals live in bench/): on a shared CI
# machine generating an input or running an example may take seconds, which must not fail them.
settings.register_profile(
    "trust", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("trust")


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from app.core.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("DROP SCHEMA IF EXISTS trust_queue CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def app_test_config(database_url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "TRUST_SIGNING_KEY_PASSPHRASE": "test signing passphrase",
        "TRUST_TOKEN_SECRET": "test-token-secret-0123456789abcdef0123456789",
        "TRUST_NAME": "Test Owners' Trust",
        "TRUST_IMPORT_API_TOKEN": "test-import-token-0123456789",
        "PASSWORD_HASH_FAST": True,
        # Every test signs in from 127.0.0.1; the per-address limit has a test of its own.
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "trust.test",
        # Jobs queued by one test session go to a queue of its own (tests/jobs_helpers.py).
        "TRUST_JOB_QUEUE": f"test-{os.getppid()}",
        "TRUST_JOB_CRON": False,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory)
    if url.startswith("postgres"):
        _reset_postgres(url)
    return url


def _isolated_client_class() -> Any:
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    class IsolatedClient(FlaskClient):
        """A test client whose every request starts with an empty `g`, as in production.

        While a test holds an app context (db_session), Flask reuses it for every request, so
        what extensions cache on `g` (Flask-Login's user, Flask-WTF's CSRF token) would leak
        from one client's request into another's.
        """

        def open(self, *args: Any, **kwargs: Any) -> Any:
            if has_app_context():
                for name in list(g):
                    g.pop(name)
            return super().open(*args, **kwargs)

    return IsolatedClient


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from app import create_app

    instance = tmp_path_factory.mktemp("instance")
    application = create_app(app_test_config(database_url, instance))
    application.test_client_class = _isolated_client_class()
    yield application
    from app.core.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app starts on empty tables and leaves them empty."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    try:
        if request.node.get_closest_marker("real_commits") is not None:
            _truncate(app)
            yield
            _truncate(app)
            return
        with _rolled_back(app):
            yield
    finally:
        # The newest checkpoint is also kept outside the database; the test's rows are gone,
        # so it goes too.
        (Path(app.instance_path) / "latest-checkpoint.json").unlink(missing_ok=True)


@contextmanager
def _rolled_back(app: Any) -> Iterator[None]:
    from app.core.extensions import db

    with app.app_context():
        db.session.remove()
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        # Every session finds its bind here (Flask-SQLAlchemy's get_bind), so all of them,
        # in the test's app context or a request's, work on this one connection.
        engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            engines[None] = engine
            db.session.session_factory.kw.pop("join_transaction_mode", None)
            outer.rollback()
            connection.close()


def _truncate(app: Any) -> None:
    from sqlalchemy import text

    from app.core.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{name}"' for name in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our own table names


@pytest.fixture
def db_session(app: Any) -> Iterator[Any]:
    from app.core.extensions import db

    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgres")


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1; `smtp_server.inbox` holds what arrived."""
    from tests.mailserver import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_over_smtp(app: Any, smtp_server: Any) -> Iterator[Any]:
    """The app sends its mail to `smtp_server` for this test (MAIL_URL set), then holds it again."""
    app.config["MAIL_URL"] = smtp_server.url
    app.config["MAIL_FROM"] = "Test Owners' Trust <trust@trust.test>"
    try:
        yield smtp_server.inbox
    finally:
        app.config["MAIL_URL"] = None
