"""store the sealed-result tree blobs uncompressed, so proofs read only the nodes they need

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23 12:10:00

PostgreSQL can cut a slice out of a TOASTed value without reading the rest only when the value
is stored uncompressed (STORAGE EXTERNAL). Hashes do not compress anyway. Nothing to do on
SQLite.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sealed_results ALTER COLUMN ballots_tree SET STORAGE EXTERNAL")
        op.execute("ALTER TABLE sealed_results ALTER COLUMN roll_leaves SET STORAGE EXTERNAL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sealed_results ALTER COLUMN ballots_tree SET STORAGE EXTENDED")
        op.execute("ALTER TABLE sealed_results ALTER COLUMN roll_leaves SET STORAGE EXTENDED")
