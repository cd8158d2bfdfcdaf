"""Pooled connections survive the database dropping them while they sat idle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from app.core import database
from app.core.extensions import db

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits


def _drop_every_other_connection() -> None:
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def postgres_pool(app: Any, db_session: Any) -> Iterator[None]:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop connections")
    db.session.commit()
    with db.engine.connect() as conn:  # at least one connection waits in the pool
        conn.exec_driver_sql("SELECT 1")
    db.session.remove()
    yield
    db.engine.dispose()  # connections this test had dropped must not reach the next one


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    postgres_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    _drop_every_other_connection()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 41 + 1").scalar() == 42


def test_a_busy_pool_is_not_pinged_so_a_dropped_connection_fails_its_request(
    postgres_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other side of the trade: within the idle window no ping is spent, and a connection
    # the server dropped surfaces as an error (SQLAlchemy then discards the whole pool).
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    _drop_every_other_connection()
    with pytest.raises(Exception, match="terminat|closed|connection"), db.engine.connect() as c:
        c.exec_driver_sql("SELECT 1")
    with db.engine.connect() as conn:  # the pool was refilled with live connections
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
