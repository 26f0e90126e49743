"""license holders: every holder of a license (共有), in the license and a row each

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    op.add_column(
        'license',
        sa.Column('holders', json, nullable=True,
                  comment='every holder (共有): name, id_type, id, share, ownership'),
    )
    op.create_table(
        'license_holder',
        sa.Column('license_key', sa.String(length=120), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False, comment='0: the first holder'),
        sa.Column('holder_id_type', sa.String(length=3), nullable=False, comment='111 citizen ID, 001 credit code'),
        sa.Column('holder_id', sa.String(length=18), nullable=False),
        sa.Column('holder_name', sa.String(length=200), nullable=True),
        sa.Column('share', sa.String(length=40), nullable=True, comment='份额, of a holder in shares (按份共有)'),
        sa.Column('ownership', sa.String(length=40), nullable=True, comment='共有方式'),
        sa.ForeignKeyConstraint(['license_key'], ['license.license_key'],
                                name=op.f('fk_license_holder_license_key_license'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('license_key', 'seq', name=op.f('pk_license_holder')),
    )
    op.create_index(op.f('ix_license_holder_holder_id'), 'license_holder', ['holder_id'], unique=False)
    # Licenses stored before: their one holder is the list of holders.
    build = 'jsonb_build_array(jsonb_build_object' if op.get_bind().dialect.name == 'postgresql' else 'json_array(json_object'
    op.execute(
        f"UPDATE license SET holders = {build}('name', holder_name, 'id_type', holder_id_type,"
        " 'id', holder_id)) WHERE holder_id IS NOT NULL AND holder_id_type IS NOT NULL"
    )
    op.execute(
        "INSERT INTO license_holder (license_key, seq, holder_id_type, holder_id, holder_name)"
        " SELECT license_key, 0, holder_id_type, holder_id, holder_name FROM license"
        " WHERE holder_id IS NOT NULL AND holder_id_type IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_license_holder_holder_id'), table_name='license_holder')
    op.drop_table('license_holder')
    op.drop_column('license', 'holders')
