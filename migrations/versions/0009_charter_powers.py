"""charter-powers: Chinese charter text, reader's zone, motion deadlines and referrals,
register of interests, co-signatures that are given

Revision ID: 0009_charter_powers
Revises: 0008
Create Date: 2026-11-30 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_charter_powers'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_STATES = "state IN ('open', 'passed', 'failed', 'withdrawn')"
NEW_STATES = "state IN ('open', 'passed', 'failed', 'withdrawn', 'referred')"


def upgrade():
    with op.batch_alter_table('charter_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_zh', sa.Text(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('motions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('referred_to', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_motions_referred_to_proposals'),
                                    'proposals', ['referred_to'], ['id'])
        batch_op.create_index(batch_op.f('ix_motions_closes_at'), ['closes_at'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_motions_state_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_motions_state_known'), NEW_STATES)
    op.create_table('member_interests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_member_interests_member_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_interests'))
    )
    with op.batch_alter_table('member_interests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_interests_member_id'), ['member_id'], unique=False)
    with op.batch_alter_table('community_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cosign_deadline', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('cosign_deadline')
    with op.batch_alter_table('community_members', schema=None) as batch_op:
        batch_op.drop_column('given_at')
    with op.batch_alter_table('member_interests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_interests_member_id'))
    op.drop_table('member_interests')
    with op.batch_alter_table('motions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_motions_state_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_motions_state_known'), OLD_STATES)
        batch_op.drop_index(batch_op.f('ix_motions_closes_at'))
        batch_op.drop_constraint(batch_op.f('fk_motions_referred_to_proposals'), type_='foreignkey')
        batch_op.drop_column('referred_to')
        batch_op.drop_column('closes_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
    with op.batch_alter_table('charter_versions', schema=None) as batch_op:
        batch_op.drop_column('text_zh')
