"""charter-powers-2: a supervisor's suspension of a pending disbursement

Revision ID: 0013_charter_powers_2
Revises: 0009_take_part
Create Date: 2026-11-30 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_charter_powers_2'
down_revision = '0009_secret_app'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('disbursement_suspensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disbursement_id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['disbursement_id'], ['disbursements.id'],
                            name=op.f('fk_disbursement_suspensions_disbursement_id_disbursements')),
    sa.ForeignKeyConstraint(['motion_id'], ['motions.id'],
                            name=op.f('fk_disbursement_suspensions_motion_id_motions')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'],
                            name=op.f('fk_disbursement_suspensions_supervisor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement_suspensions'))
    )
    with op.batch_alter_table('disbursement_suspensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursement_suspensions_disbursement_id'),
                              ['disbursement_id'], unique=False)


def downgrade():
    with op.batch_alter_table('disbursement_suspensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disbursement_suspensions_disbursement_id'))
    op.drop_table('disbursement_suspensions')
