"""Engine behaviour that the schema alone cannot express."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from app.core.extensions import db

# A pooled connection idle for longer than this is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 10.0


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        else:
            _ping_idle_connections(engine)


def _ping_idle_connections(engine: Engine) -> None:
    """Check a connection that has sat idle in the pool before lending it out again.

    A database restart or a dropped idle connection would otherwise fail the next request.
    SQLAlchemy's pool_pre_ping does this on every checkout: one extra round trip per request,
    which under load (connections are never idle) buys nothing and cost a tenth of a cast.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:
            # The pool discards this connection and retries the checkout with a new one.
            raise DisconnectionError(str(exc)) from exc


def _configure_sqlite(engine: Engine) -> None:
    """SQLite as a careful single-host database.

    Transactions begin IMMEDIATE: a writer takes the write lock before it reads, so read-then-
    write sequences (next log index, replacing a ballot) are serialised exactly as row locks
    serialise them on PostgreSQL, instead of failing with "database is locked" at upgrade time.
    WAL lets readers go on while one writer works; foreign keys are enforced as on PostgreSQL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    # WAL is a property of the database file: set it once, not on every new connection
    # (switching the journal mode takes a lock that ignores the busy timeout).
    if engine.url.database not in (None, "", ":memory:"):
        # On the raw connection: SQLAlchemy would wrap it in a transaction, where SQLite
        # refuses to change the journal mode.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()


_COMPILED: dict[int, tuple[Any, str]] = {}


def _driver_execute(statement: Any, params: dict[str, Any]) -> Any:
    """Run a prebuilt statement on PostgreSQL straight on the driver, prepared; None elsewhere."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return None
    compiled = _COMPILED.get(id(statement))
    if compiled is None or compiled[0] is not statement:
        compiled = (statement, str(statement.compile(dialect=conn.dialect)))
        _COMPILED[id(statement)] = compiled
    return conn.connection.driver_connection.execute(compiled[1], params, prepare=True)


def fast_execute(statement: Any, params: dict[str, Any]) -> None:
    """A prebuilt UPDATE or DELETE in the session's transaction, the way `fast_scalar` reads.

    For a write on the hot path whose rows the session has not loaded: SQLAlchemy's ORM-enabled
    execution (which looks for loaded objects to refresh) cost more CPU than the write.
    """
    if _driver_execute(statement, params) is None:
        db.session.connection().execute(statement, params)


def fast_scalar(statement: Any, params: dict[str, Any]) -> Any:
    """First column of the first row of a prebuilt statement, on the session's connection.

    On PostgreSQL the statement is compiled once and run as a server-side prepared statement
    straight on the driver: for the hottest reads (an API token, the current result's digest)
    SQLAlchemy's per-execution work cost more CPU than the query. Elsewhere it is a plain
    Connection.scalar. The value comes back as the driver gives it (no column type's result
    processing): use it for strings and integers.
    """
    cursor = _driver_execute(statement, params)
    if cursor is None:
        return db.session.connection().scalar(statement, params)
    row = cursor.fetchone()
    return None if row is None else row[0]
