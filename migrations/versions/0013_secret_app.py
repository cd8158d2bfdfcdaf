"""secret votes in the app: proposals.secrecy, the key ceremony, format 2 bundle files

Revision ID: 0009_secret_app
Revises: 0008
Create Date: 2026-11-30 04:00:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0009_secret_app'
down_revision = '0009_take_part'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposals') as batch:
        batch.add_column(sa.Column('secrecy', sa.String(length=8), nullable=False,
                                   server_default='open'))
    op.create_table(
        'secret_elections',
        sa.Column('proposal_id', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('trustees', sa.Integer(), nullable=False),
        sa.Column('election_json', sa.Text(), nullable=True),
        sa.Column('key_due', sa.DateTime(timezone=True), nullable=False),
        sa.Column('share_hours', sa.Integer(), nullable=False),
        sa.Column('tally_json', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_secret_elections_proposal_id_proposals')),
        sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_secret_elections')),
    )
    op.create_table(
        'secret_trustees',
        sa.Column('proposal_id', sa.String(length=64), nullable=False),
        sa.Column('index', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('transport_key', sa.String(length=64), nullable=True),
        sa.Column('public_json', sa.Text(), nullable=True),
        sa.Column('keygen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dealt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decryption_json', sa.Text(), nullable=True),
        sa.Column('decrypted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_secret_trustees_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_secret_trustees_user_id_users')),
        sa.PrimaryKeyConstraint('proposal_id', 'index', name=op.f('pk_secret_trustees')),
        sa.UniqueConstraint('proposal_id', 'user_id',
                            name=op.f('uq_secret_trustees_proposal_id_user_id')),
    )
    op.create_table(
        'secret_dealt_shares',
        sa.Column('proposal_id', sa.String(length=64), nullable=False),
        sa.Column('sender', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('recipient', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('box', sa.Text(), nullable=False),
        sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_secret_dealt_shares_proposal_id_proposals')),
        sa.PrimaryKeyConstraint('proposal_id', 'sender', 'recipient',
                                name=op.f('pk_secret_dealt_shares')),
    )
    op.create_table(
        'secret_bundle_files',
        sa.Column('result_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('election_json', sa.Text(), nullable=False),
        sa.Column('tally_json', sa.Text(), nullable=False),
        sa.Column('roll_jsonl', sa.Text(), nullable=False),
        sa.Column('ballots_jsonl', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['result_id'], ['sealed_results.id'],
                                name=op.f('fk_secret_bundle_files_result_id_sealed_results')),
        sa.PrimaryKeyConstraint('result_id', name=op.f('pk_secret_bundle_files')),
    )


def downgrade():
    op.drop_table('secret_bundle_files')
    op.drop_table('secret_dealt_shares')
    op.drop_table('secret_trustees')
    op.drop_table('secret_elections')
    with op.batch_alter_table('proposals') as batch:
        batch.drop_column('secrecy')
