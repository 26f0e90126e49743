"""web console: users with roles and the record of every change made through it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0011'
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'console_user',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('username', sa.String(length=60), nullable=False),
        sa.Column('display_name', sa.String(length=100), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False, comment='Argon2id (argon2-cffi)'),
        sa.Column('roles', sa.String(length=200), nullable=False, comment='comma-separated: engineer, ...'),
        sa.Column('status', sa.String(length=10), nullable=False, comment='active or disabled'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_user')),
        sa.UniqueConstraint('username', name=op.f('uq_console_user_username')),
    )
    op.create_table(
        'console_event',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=60), nullable=False, comment='username, or cli:<os user>'),
        sa.Column('action', sa.String(length=60), nullable=False, comment='e.g. quarantine.fix, user.disable'),
        sa.Column('target', sa.String(length=200), nullable=True, comment='what it acted on: a record id, a source, a user'),
        sa.Column('detail', Json, nullable=True, comment='the change: fields, values, reasons, outcome'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_event')),
    )
    with op.batch_alter_table('console_event', schema=None) as batch_op:
        batch_op.create_index('ix_console_event_at', ['at'], unique=False)
        batch_op.create_index('ix_console_event_actor_at', ['actor', 'at'], unique=False)
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(
            'ix_quarantine_status_source_rule_id', ['status', 'source', 'rule', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_status_source_rule_id')
    with op.batch_alter_table('console_event', schema=None) as batch_op:
        batch_op.drop_index('ix_console_event_actor_at')
        batch_op.drop_index('ix_console_event_at')
    op.drop_table('console_event')
    op.drop_table('console_user')
