"""Which huey store carries the job ids: the trust's own PostgreSQL, or an SQLite file beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, PostgresHuey, SqliteHuey

# huey's own tables live in this PostgreSQL schema (made by the migration), apart from the
# trust's tables: Alembic compares only the default schema, and a dump of `public` stays clean.
PG_SCHEMA = "trust_queue"


def store_url(app: Flask) -> str:
    configured = app.config.get("TRUST_JOB_STORE")
    if configured:
        return str(configured)
    database = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if database.startswith("postgresql"):
        return database
    return "sqlite:///" + str(Path(app.instance_path) / "jobs-queue.sqlite3")


def _libpq_dsn(url: str) -> str:
    # SQLAlchemy names its driver in the scheme; libpq does not accept it.
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def build_huey(app: Flask) -> Huey:
    url = store_url(app)
    queue = str(app.config.get("TRUST_JOB_QUEUE") or "trust")
    common: dict[str, Any] = {"results": False, "utc": True}
    if url.startswith("postgres"):
        return PostgresHuey(
            queue,
            dsn=_libpq_dsn(url),
            options=f"-c search_path={PG_SCHEMA}",
            **common,
        )
    path = url.removeprefix("sqlite:///")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(queue, filename=path, **common)
