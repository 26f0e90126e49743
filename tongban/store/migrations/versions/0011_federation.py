"""federation: peer hubs, used peer-request nonces, the exchanges made with peers

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0006'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'federation_peer',
        sa.Column('peer_id', sa.String(length=16), nullable=False, comment="the peer hub's id, e.g. province"),
        sa.Column('name', sa.String(length=200), nullable=False, comment='e.g. 福建省数据共享交换平台'),
        sa.Column('level', sa.String(length=10), nullable=False, comment='parent, child or sibling'),
        sa.Column('url', sa.String(length=300), nullable=False, comment="base URL of the peer's exchange API"),
        sa.Column('root_certificate', sa.Text(), nullable=False, comment="PEM of the peer's hub root"),
        sa.Column('root_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of its DER'),
        sa.Column('regions', sa.JSON(), nullable=False, comment='GB/T 2260 code prefixes it covers'),
        sa.Column('offers', sa.JSON(), nullable=False, comment='resources its published catalog offers'),
        sa.Column('catalog_at', TS, nullable=True, comment='when its catalog was last fetched'),
        sa.Column('status', sa.String(length=10), nullable=False, comment='active or revoked'),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('revoked_at', TS, nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('peer_id', name=op.f('pk_federation_peer')),
    )
    op.create_table(
        'federation_nonce',
        sa.Column('peer_id', sa.String(length=16), nullable=False),
        sa.Column('jti', sa.String(length=64), nullable=False, comment='a signed peer request is used once'),
        sa.Column('expires_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('peer_id', 'jti', name=op.f('pk_federation_nonce')),
    )
    op.create_table(
        'federation_exchange',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', TS, nullable=False),
        sa.Column('request_id', sa.String(length=36), nullable=False, comment='our request (and audit entry)'),
        sa.Column('peer_id', sa.String(length=16), nullable=False, comment='the peer that answered'),
        sa.Column('client_id', sa.String(length=40), nullable=True, comment='our client, on whose behalf we asked'),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('subject', sa.String(length=120), nullable=True),
        sa.Column('resource', sa.String(length=40), nullable=True),
        sa.Column('status', sa.Integer(), nullable=False, comment='what the peer answered, 503 if nothing'),
        sa.Column('peer_request_id', sa.String(length=36), nullable=True, comment="the request id the peer's audit log holds"),
        sa.Column('peer_audit_seq', sa.Integer(), nullable=True, comment="the peer's audit entry for this exchange"),
        sa.Column('answer_sha256', sa.String(length=64), nullable=True),
        sa.Column('elapsed_ms', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_exchange')),
    )
    with op.batch_alter_table('federation_exchange', schema=None) as batch_op:
        batch_op.create_index('ix_federation_exchange_request', ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('federation_exchange', schema=None) as batch_op:
        batch_op.drop_index('ix_federation_exchange_request')
    op.drop_table('federation_exchange')
    op.drop_table('federation_nonce')
    op.drop_table('federation_peer')
