"""The schema is only ever built by the Alembic migrations in migrations/."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from app.core.extensions import db

# Any constant shared by every worker: the lock only has to be the same number everywhere.
MIGRATION_LOCK_ID = 0x7472757374


def upgrade_to_head(app: Flask) -> None:
    """Bring the database to the newest migration.

    Several gunicorn workers may start at once; on PostgreSQL they queue on an advisory lock
    so that exactly one runs the migrations and the rest find the schema already at head.
    """
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_ID})
                conn.commit()
                try:
                    upgrade(revision="heads")
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_ID})
                    conn.commit()
        else:
            upgrade(revision="heads")


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write the project's column types as plain SQLAlchemy types in migrations.

    Migrations must keep working after the app's code moves on, so they import nothing from it.
    """
    from app.core.db_types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave out what the migrations make by hand outside the models (the search index)."""
    from app.search import is_unmanaged

    return not (reflected and compare_to is None and is_unmanaged(name))
