"""elections-3: candidates' nominations (Art. 11.5) and their deadline

Revision ID: 0015_elections_3
Revises: 0013_charter_powers_2
Create Date: 2026-11-30 06:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_elections_3'
down_revision = '0013_charter_powers_2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nomination_deadline', sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_table('nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacies.id'],
                            name=op.f('fk_nominations_candidacy_id_candidacies')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                            name=op.f('fk_nominations_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominations')),
    sa.UniqueConstraint('candidacy_id', 'owner_id',
                        name=op.f('uq_nominations_candidacy_id_owner_id')),
    )
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominations_candidacy_id'), ['candidacy_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominations_candidacy_id'))
    op.drop_table('nominations')
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.drop_column('nomination_deadline')
