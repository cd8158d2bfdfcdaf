"""witness-log: checkpoint notes, witness cosignatures and contacts, leaves timed by the log

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 03:00:00

Checkpoints are also C2SP notes; witnesses' cosignatures are kept per checkpoint; each
leaf appended from now on carries logged_at (the append time), beside at (the event time).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_witness_log'
down_revision = '0009_getting_in'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('log_checkpoints') as batch:
        batch.add_column(sa.Column('note', sa.Text(), nullable=True))
    with op.batch_alter_table('log_leaves') as batch:
        batch.add_column(sa.Column('logged_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'log_cosignatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('vkey', sa.String(length=300), nullable=False),
        sa.Column('line', sa.Text(), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['size'], ['log_checkpoints.size'],
                                name=op.f('fk_log_cosignatures_size_log_checkpoints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_log_cosignatures')),
        sa.UniqueConstraint('size', 'vkey', name='uq_log_cosignatures_size_vkey'),
    )
    op.create_index(op.f('ix_log_cosignatures_size'), 'log_cosignatures', ['size'])
    op.create_index(op.f('ix_log_cosignatures_vkey'), 'log_cosignatures', ['vkey'])
    op.create_table(
        'log_witness_contacts',
        sa.Column('vkey', sa.String(length=300), nullable=False),
        sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('vkey', name=op.f('pk_log_witness_contacts')),
    )


def downgrade():
    op.drop_table('log_witness_contacts')
    op.drop_index(op.f('ix_log_cosignatures_vkey'), table_name='log_cosignatures')
    op.drop_index(op.f('ix_log_cosignatures_size'), table_name='log_cosignatures')
    op.drop_table('log_cosignatures')
    with op.batch_alter_table('log_leaves') as batch:
        batch.drop_column('logged_at')
    with op.batch_alter_table('log_checkpoints') as batch:
        batch.drop_column('note')
