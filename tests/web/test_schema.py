"""The models and the migrations describe the same schema, on whichever database runs the tests."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from app.core.extensions import db

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits


def test_models_and_migrations_agree(app: Any) -> None:
    with app.app_context(), db.engine.connect() as conn:
        include = app.extensions["migrate"].configure_args["include_object"]
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_database_is_at_the_newest_migration(app: Any) -> None:
    migrate: Migrate = app.extensions["migrate"]
    with app.app_context():
        config = migrate.migrate.get_config(migrate.directory)
        heads = set(ScriptDirectory.from_config(config).get_heads())
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    assert heads
    assert current == heads


def test_every_constraint_has_a_stable_name(app: Any) -> None:
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
