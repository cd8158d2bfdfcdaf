"""join the council, treasury and storage branches; 64-bit roll totals

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-23 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = ('0004', '0005', '0006')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.alter_column('roll_size', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=True)
        batch_op.alter_column('roll_total_weight', existing_type=sa.Integer(),
                              type_=sa.BigInteger(), existing_nullable=True)


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.alter_column('roll_total_weight', existing_type=sa.BigInteger(),
                              type_=sa.Integer(), existing_nullable=True)
        batch_op.alter_column('roll_size', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=True)
