"""cases: intake, the outbox to the province and e-supervision, supervision cards

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'service_case',
        sa.Column('case_no', sa.String(length=64), nullable=False, comment='办件编号'),
        sa.Column('item_code', sa.String(length=40), nullable=False, comment='事项编码'),
        sa.Column('department', sa.String(length=100), nullable=False, comment="the item's department"),
        sa.Column('applicant_id', sa.String(length=18), nullable=False, comment='ID number or credit code'),
        sa.Column('applicant_type', sa.String(length=3), nullable=False, comment='111 citizen ID, 001 credit code'),
        sa.Column('channel', sa.String(length=10), nullable=False, comment='online or counter'),
        sa.Column('client_id', sa.String(length=60), nullable=False, comment='the approval system reporting it'),
        sa.Column('stage', sa.String(length=12), nullable=False, comment='received, accepted, reviewed, concluded'),
        sa.Column('received_at', Ts, nullable=False),
        sa.Column('accepted_at', Ts, nullable=True),
        sa.Column('reviewed_at', Ts, nullable=True),
        sa.Column('concluded_at', Ts, nullable=True),
        sa.Column('result', sa.String(length=20), nullable=True),
        sa.Column('suspended_at', Ts, nullable=True, comment='set while the clock is paused'),
        sa.Column('suspensions', Json, nullable=False, comment='[[from, to], ...] closed pauses'),
        sa.Column('forwarded_at', Ts, nullable=True, comment='转报: sent to a higher level'),
        sa.Column('forwarded_to', sa.String(length=100), nullable=True),
        sa.Column('forward_answered_at', Ts, nullable=True),
        sa.Column('forward_answer', sa.String(length=20), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=True, comment='好差评, 1-5'),
        sa.Column('rated_at', Ts, nullable=True),
        sa.Column('last_event_at', Ts, nullable=False),
        sa.Column('event_count', sa.Integer(), nullable=False),
        sa.Column('card_count', sa.Integer(), nullable=False, comment='cards sent to e-supervision'),
        sa.PrimaryKeyConstraint('case_no', name=op.f('pk_service_case')),
    )
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.create_index('ix_service_case_applicant_item', ['applicant_id', 'item_code'], unique=False)
        batch_op.create_index('ix_service_case_stage', ['stage'], unique=False)
    op.create_table(
        'case_event',
        sa.Column('case_no', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False, comment='the event\'s place in its case'),
        sa.Column('client_id', sa.String(length=60), nullable=False),
        sa.Column('event_id', sa.String(length=80), nullable=False, comment="the client's own id of the event"),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('occurred_at', Ts, nullable=False),
        sa.Column('data', Json, nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False, comment='SHA-256 of the event as first sent'),
        sa.Column('recorded_at', Ts, nullable=False),
        sa.PrimaryKeyConstraint('case_no', 'seq', name=op.f('pk_case_event')),
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index('ix_case_event_client_event', ['client_id', 'event_id'], unique=True)
    op.create_table(
        'case_card',
        sa.Column('case_no', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False, comment='yellow, red, extra_material, repeated'),
        sa.Column('raised_at', Ts, nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('detail', Json, nullable=True),
        sa.PrimaryKeyConstraint('case_no', 'kind', name=op.f('pk_case_card')),
    )
    with op.batch_alter_table('case_card', schema=None) as batch_op:
        batch_op.create_index('ix_case_card_raised_at', ['raised_at'], unique=False)
    op.create_table(
        'outbox',
        sa.Column('target', sa.String(length=20), nullable=False, comment='province or supervision'),
        sa.Column('case_no', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False, comment="order of the case's messages to target"),
        sa.Column('idempotency_key', sa.String(length=100), nullable=False),
        sa.Column('payload', Json, nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False, comment='pending or dead'),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', Ts, nullable=False),
        sa.PrimaryKeyConstraint('target', 'case_no', 'seq', name=op.f('pk_outbox')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key')),
    )
    op.create_table(
        'outbox_lane',
        sa.Column('target', sa.String(length=20), nullable=False),
        sa.Column('case_no', sa.String(length=64), nullable=False),
        sa.Column('pending', sa.Integer(), nullable=False, comment='outbox rows of this case and target'),
        sa.Column('status', sa.String(length=10), nullable=False, comment='ready, or dead behind a dead row'),
        sa.Column('next_attempt_at', Ts, nullable=False),
        sa.Column('lease_until', Ts, nullable=True, comment='a dispatcher holds the lane until then'),
        sa.Column('claimed_by', sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint('target', 'case_no', name=op.f('pk_outbox_lane')),
    )
    with op.batch_alter_table('outbox_lane', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_lane_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_lane_claimed_by', ['claimed_by'], unique=False)


def downgrade() -> None:
    op.drop_table('outbox_lane')
    op.drop_table('outbox')
    op.drop_table('case_card')
    op.drop_table('case_event')
    op.drop_table('service_case')
