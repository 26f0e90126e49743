"""license vault: the elicense_event log (status changes, refusals, failures of issuance)

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'elicense_event',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('license_key', sa.String(length=120), nullable=False,
                  comment='links license.license_key'),
        sa.Column('identifier', sa.String(length=120), nullable=True,
                  comment='the e-license version, if one was concerned'),
        sa.Column('action', sa.String(length=20), nullable=False,
                  comment='revoke, reinstate, source_status, ...'),
        sa.Column('status_from', sa.String(length=12), nullable=True),
        sa.Column('status_to', sa.String(length=12), nullable=True),
        sa.Column('rule', sa.String(length=60), nullable=True,
                  comment='the named reason (license.revoked_final, ...)'),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=True,
                  comment="operator, or 'issuance' for the vault itself"),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_elicense_event')),
    )
    with op.batch_alter_table('elicense_event', schema=None) as batch_op:
        batch_op.create_index('ix_elicense_event_license_key', ['license_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('elicense_event', schema=None) as batch_op:
        batch_op.drop_index('ix_elicense_event_license_key')
    op.drop_table('elicense_event')
