"""run log: longer status names (running, succeeded, failed, interrupted)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('run_log', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=sa.String(length=10), type_=sa.String(length=20),
            existing_nullable=False, existing_comment='running, succeeded, failed',
            comment='running, succeeded, failed, interrupted',
        )


def downgrade() -> None:
    with op.batch_alter_table('run_log', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=sa.String(length=20), type_=sa.String(length=10),
            existing_nullable=False, comment='running, succeeded, failed',
        )
