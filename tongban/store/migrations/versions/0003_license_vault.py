"""license vault: e-seals and e-license documents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('seal',
    sa.Column('seal_id', sa.String(length=64), nullable=False, comment='SHA-256 of the certificate (DER)'),
    sa.Column('kind', sa.String(length=10), nullable=False, comment='root (hub CA) or seal (authority)'),
    sa.Column('authority_code', sa.String(length=18), nullable=False, comment='issuing authority credit code'),
    sa.Column('authority_name', sa.String(length=200), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False, comment='certificate serial number, hex'),
    sa.Column('certificate', sa.Text(), nullable=False, comment='X.509 certificate, PEM'),
    sa.Column('encrypted_key', sa.Text(), nullable=False, comment='PKCS#8 PEM, encrypted with the KEK'),
    sa.Column('image_key', sa.String(length=120), nullable=True, comment='object key of the seal image (PNG)'),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False, comment='active or revoked'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seal_id', name=op.f('pk_seal'))
    )
    with op.batch_alter_table('seal', schema=None) as batch_op:
        batch_op.create_index('ix_seal_authority_status', ['authority_code', 'status'], unique=False)

    op.create_table('elicense',
    sa.Column('identifier', sa.String(length=120), nullable=False, comment='GB/T 36904 证照标识'),
    sa.Column('license_key', sa.String(length=120), nullable=False, comment='links license.license_key'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('license_type_code', sa.String(length=40), nullable=False),
    sa.Column('issuer_code', sa.String(length=18), nullable=False),
    sa.Column('holder_id', sa.String(length=18), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False, comment='valid, superseded, revoked'),
    sa.Column('pdf_key', sa.String(length=120), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('json_key', sa.String(length=120), nullable=False),
    sa.Column('json_sha256', sa.String(length=64), nullable=False),
    sa.Column('seal_id', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_by', sa.String(length=120), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('record_sha256', sa.String(length=64), nullable=False, comment='hash of the sealed license data'),
    sa.ForeignKeyConstraint(['seal_id'], ['seal.seal_id'], name=op.f('fk_elicense_seal_id_seal')),
    sa.PrimaryKeyConstraint('identifier', name=op.f('pk_elicense'))
    )
    with op.batch_alter_table('elicense', schema=None) as batch_op:
        batch_op.create_index('ix_elicense_holder_id', ['holder_id'], unique=False)
        batch_op.create_index('ix_elicense_license_key_version', ['license_key', 'version'], unique=True)

def downgrade() -> None:
    with op.batch_alter_table('elicense', schema=None) as batch_op:
        batch_op.drop_index('ix_elicense_license_key_version')
        batch_op.drop_index('ix_elicense_holder_id')

    op.drop_table('elicense')
    with op.batch_alter_table('seal', schema=None) as batch_op:
        batch_op.drop_index('ix_seal_authority_status')

    op.drop_table('seal')
