"""charter-3: passed charter amendments waiting out the protector's window

Revision ID: 0015_charter_3
Revises: 0015_elections_3
Create Date: 2026-11-30 06:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_charter_3'
down_revision = '0015_elections_3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('passed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('takes_effect_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_by', sa.Integer(), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hold_reason', sa.Text(), nullable=True),
    sa.Column('released_by', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'held', 'applied')",
                       name=op.f('ck_pending_amendments_state_known')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                            name=op.f('fk_pending_amendments_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['held_by'], ['users.id'],
                            name=op.f('fk_pending_amendments_held_by_users')),
    sa.ForeignKeyConstraint(['released_by'], ['users.id'],
                            name=op.f('fk_pending_amendments_released_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_amendments')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_pending_amendments_proposal_id'))
    )


def downgrade():
    op.drop_table('pending_amendments')
