"""shared store: golden records, history, conflicts, quarantine, runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('enterprise',
    sa.Column('credit_code', sa.String(length=18), nullable=False, comment='统一社会信用代码 (GB 32100)'),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('enterprise_type', sa.String(length=100), nullable=True),
    sa.Column('legal_rep_id_number', sa.String(length=18), nullable=True, comment='法定代表人; links person.id_number'),
    sa.Column('legal_rep_name', sa.String(length=100), nullable=True),
    sa.Column('registered_capital', sa.Numeric(precision=20, scale=4), nullable=True, comment='注册资本, 万元'),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('business_scope', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('registration_authority', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('provenance', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('credit_code', name=op.f('pk_enterprise'))
    )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.create_index('ix_enterprise_legal_rep_id_number', ['legal_rep_id_number'], unique=False)

    op.create_table('license',
    sa.Column('license_key', sa.String(length=120), nullable=False, comment="type code + ':' + number"),
    sa.Column('license_type_code', sa.String(length=40), nullable=False, comment='GB/T 36902 证照类型代码'),
    sa.Column('license_type_name', sa.String(length=100), nullable=True),
    sa.Column('license_number', sa.String(length=80), nullable=False, comment='证照编号'),
    sa.Column('holder_name', sa.String(length=200), nullable=True),
    sa.Column('holder_id', sa.String(length=18), nullable=True),
    sa.Column('holder_id_type', sa.String(length=3), nullable=True, comment='111 citizen ID, 001 credit code'),
    sa.Column('issuer_name', sa.String(length=200), nullable=True),
    sa.Column('issuer_code', sa.String(length=18), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True, comment='type-specific fields'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('provenance', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('license_key', name=op.f('pk_license'))
    )
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.create_index('ix_license_holder_id', ['holder_id'], unique=False)

    op.create_table('person',
    sa.Column('id_number', sa.String(length=18), nullable=False, comment='公民身份号码 (GB 11643)'),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True, comment='GB/T 2261.1'),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('ethnicity', sa.String(length=2), nullable=True, comment='GB 3304'),
    sa.Column('marital_status', sa.String(length=2), nullable=True, comment='GB/T 2261.2'),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('provenance', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_number', name=op.f('pk_person'))
    )
    op.create_table('run_log',
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='load, sync, reprocess'),
    sa.Column('status', sa.String(length=10), nullable=False, comment='running, succeeded, failed'),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('timings', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True, comment='seconds per step'),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_run_log'))
    )
    with op.batch_alter_table('run_log', schema=None) as batch_op:
        batch_op.create_index('ix_run_log_source_started', ['source', 'started_at'], unique=False)

    op.create_table('sync_state',
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('cursor', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('run_id', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_sync_state'))
    )
    op.create_table('merge_conflict',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_key', sa.String(length=120), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('kept_value', sa.Text(), nullable=True),
    sa.Column('kept_source', sa.String(length=60), nullable=True),
    sa.Column('offered_value', sa.Text(), nullable=True),
    sa.Column('offered_source', sa.String(length=60), nullable=False),
    sa.Column('offered_record', sa.String(length=200), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=False, comment='kept or replaced'),
    sa.Column('run_id', sa.String(length=36), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['run_log.run_id'], name=op.f('fk_merge_conflict_run_id_run_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merge_conflict')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_merge_conflict_fingerprint'))
    )
    with op.batch_alter_table('merge_conflict', schema=None) as batch_op:
        batch_op.create_index('ix_merge_conflict_entity_key', ['entity', 'entity_key'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('source_record', sa.String(length=200), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('rule', sa.String(length=80), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False, comment='open, fixed, rejected'),
    sa.Column('corrections', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True, comment='list of {field, old, new, by, why, at}'),
    sa.Column('run_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['run_log.run_id'], name=op.f('fk_quarantine_run_id_run_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_quarantine_fingerprint'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_rule', ['rule'], unique=False)
        batch_op.create_index('ix_quarantine_status_source', ['status', 'source'], unique=False)

    op.create_table('record_version',
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_key', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['run_log.run_id'], name=op.f('fk_record_version_run_id_run_log')),
    sa.PrimaryKeyConstraint('entity', 'entity_key', 'version', name=op.f('pk_record_version'))
    )


def downgrade() -> None:
    op.drop_table('record_version')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_status_source')
        batch_op.drop_index('ix_quarantine_rule')

    op.drop_table('quarantine')
    with op.batch_alter_table('merge_conflict', schema=None) as batch_op:
        batch_op.drop_index('ix_merge_conflict_entity_key')

    op.drop_table('merge_conflict')
    op.drop_table('sync_state')
    with op.batch_alter_table('run_log', schema=None) as batch_op:
        batch_op.drop_index('ix_run_log_source_started')

    op.drop_table('run_log')
    op.drop_table('person')
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.drop_index('ix_license_holder_id')

    op.drop_table('license')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprise_legal_rep_id_number')

    op.drop_table('enterprise')
