"""exchange audit anchors: the chain's head timestamped by the hub TSA

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_anchor',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False, comment='the entry it covers'),
        sa.Column('entry_hash', sa.String(length=64), nullable=False, comment='the chain hash at that entry'),
        sa.Column('token', sa.LargeBinary(), nullable=False, comment='RFC 3161 TimeStampToken (DER)'),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment='the time the token proves'),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_anchor')),
    )


def downgrade() -> None:
    op.drop_table('audit_anchor')
