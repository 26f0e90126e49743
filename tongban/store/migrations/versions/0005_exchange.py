"""exchange API: clients, grants, rate windows, used assertions, the hash-chained audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'exchange_client',
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False, comment='the approval system (审批系统)'),
        sa.Column('department', sa.String(length=200), nullable=True),
        sa.Column('auth_kind', sa.String(length=10), nullable=False, comment='api_key or jwt'),
        sa.Column('key_hash', sa.String(length=64), nullable=True, comment='SHA-256 of the API key; never the key'),
        sa.Column('key_hint', sa.String(length=12), nullable=True, comment='first characters of the key, to tell keys apart'),
        sa.Column('public_key', sa.Text(), nullable=True, comment="PEM key that verifies the client's JWT assertions"),
        sa.Column('rate_limit', sa.Integer(), nullable=False, comment='requests per rate window'),
        sa.Column('status', sa.String(length=10), nullable=False, comment='active or revoked'),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('revoked_at', TS, nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_exchange_client')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_exchange_client_key_hash')),
    )
    op.create_table(
        'exchange_grant',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('resource', sa.String(length=40), nullable=False),
        sa.Column('service_items', sa.JSON(), nullable=False, comment='事项编码 the grant covers'),
        sa.Column('fields', sa.JSON(), nullable=False, comment='conditional fields it opens'),
        sa.Column('unmasked', sa.JSON(), nullable=False, comment='fields returned without masking'),
        sa.Column('expires_at', TS, nullable=False),
        sa.Column('approved_by', sa.String(length=100), nullable=False),
        sa.Column('basis', sa.Text(), nullable=True, comment='the approved application (申请批复)'),
        sa.Column('status', sa.String(length=10), nullable=False, comment='active or revoked'),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('revoked_at', TS, nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['exchange_client.client_id'], name=op.f('fk_exchange_grant_client_id_exchange_client')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_grant')),
    )
    with op.batch_alter_table('exchange_grant', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_grant_client_resource', ['client_id', 'resource'], unique=False)
    op.create_table(
        'exchange_rate',
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('window', sa.Integer(), nullable=False, comment='start of the window, epoch seconds'),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('client_id', 'window', name=op.f('pk_exchange_rate')),
    )
    op.create_table(
        'exchange_assertion',
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('jti', sa.String(length=100), nullable=False, comment='a JWT assertion is used once'),
        sa.Column('expires_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('client_id', 'jti', name=op.f('pk_exchange_assertion')),
    )
    op.create_table(
        'audit_log',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False, comment='place in the chain'),
        sa.Column('at', TS, nullable=False),
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('client_id', sa.String(length=40), nullable=True),
        sa.Column('operator', sa.String(length=100), nullable=True, comment='经办人'),
        sa.Column('service_item', sa.String(length=40), nullable=True, comment='事项编码'),
        sa.Column('case_no', sa.String(length=64), nullable=True, comment='办件编号'),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('subject', sa.String(length=120), nullable=True, comment='whose data: ID number, credit code or identifier'),
        sa.Column('resource', sa.String(length=40), nullable=True),
        sa.Column('fields', sa.JSON(), nullable=False, comment='fields or materials returned'),
        sa.Column('outcome', sa.String(length=10), nullable=False, comment='allowed or refused'),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=120), nullable=True, comment='the rule a refusal named'),
        sa.Column('answer_sha256', sa.String(length=64), nullable=True, comment='digest of the signed answer body'),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('entry_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_subject', ['subject', 'seq'], unique=False)
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False, comment="the last entry's seq"),
        sa.Column('entry_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    # The chain starts from a fixed genesis hash; the head row is the lock writers take.
    op.execute("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, 0, '" + '0' * 64 + "')")
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_name', ['name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_name')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject')
    op.drop_table('audit_log')
    op.drop_table('exchange_assertion')
    op.drop_table('exchange_rate')
    with op.batch_alter_table('exchange_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_grant_client_resource')
    op.drop_table('exchange_grant')
    op.drop_table('exchange_client')
