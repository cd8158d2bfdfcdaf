"""dkg-complaints: the key ceremony's complaints and the dealers' public answers

Revision ID: 0017_dkg_complaints
Revises: 0015_charter_3
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_dkg_complaints'
down_revision = '0015_charter_3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'secret_complaints',
        sa.Column('proposal_id', sa.String(length=64), nullable=False),
        sa.Column('dealer', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('accuser', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('filed_by', sa.String(length=16), nullable=False),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answer', sa.String(length=64), nullable=True),
        sa.Column('valid', sa.Boolean(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_secret_complaints_proposal_id_proposals')),
        sa.PrimaryKeyConstraint('proposal_id', 'dealer', 'accuser',
                                name=op.f('pk_secret_complaints')),
    )


def downgrade():
    op.drop_table('secret_complaints')
