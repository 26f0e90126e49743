"""data quality: validation results, held batches, the expectation a quarantined record failed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'validation_result',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('run_id', sa.String(length=36), nullable=False),
        sa.Column('source', sa.String(length=60), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('suite', sa.String(length=60), nullable=False),
        sa.Column('evaluated', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('success_ratio', sa.Float(), nullable=False),
        sa.Column('gate_passed', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=False, comment='the Great Expectations validation result'),
        sa.Column('validated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run_log.run_id'], name=op.f('fk_validation_result_run_id_run_log')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_result')),
    )
    with op.batch_alter_table('validation_result', schema=None) as batch_op:
        batch_op.create_index('ix_validation_result_source_at', ['source', 'validated_at'], unique=False)
    op.create_table(
        'held_batch',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('run_id', sa.String(length=36), nullable=False),
        sa.Column('source', sa.String(length=60), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('records', sa.JSON(), nullable=False, comment='[[source record id, raw record], ...]'),
        sa.Column('cursor_before', Json, nullable=True, comment="the source's cursor when the batch was read"),
        sa.Column('cursor_after', Json, nullable=True, comment='the cursor the batch would have moved to'),
        sa.Column('status', sa.String(length=12), nullable=False, comment='held, released, discarded'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run_log.run_id'], name=op.f('fk_held_batch_run_id_run_log')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_batch')),
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expectation', sa.String(length=120), nullable=True, comment='the Great Expectations expectation it failed'))
        batch_op.add_column(sa.Column('resolution', Json, nullable=True, comment='{by, why, at, run}: who rejected it, or where it landed'))


def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_column('resolution')
        batch_op.drop_column('expectation')
    op.drop_table('held_batch')
    with op.batch_alter_table('validation_result', schema=None) as batch_op:
        batch_op.drop_index('ix_validation_result_source_at')
    op.drop_table('validation_result')
