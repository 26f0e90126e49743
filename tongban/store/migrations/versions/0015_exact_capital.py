"""enterprise.registered_capital exact on SQLite: the decimal's text, not a float

SQLite's NUMERIC keeps a float of 15 significant digits and turns any text put in it
into one, so on SQLite the column becomes a text column holding each amount at its
scale ("100.0000"). An amount stored before is written as the decimal the store read
for it. PostgreSQL's NUMERIC is exact and stays as it is.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COMMENT = '注册资本, 万元'
enterprise = sa.table(
    'enterprise', sa.column('credit_code', sa.String()), sa.column('registered_capital')
)


def _canonical(value) -> str:
    """An amount's text at the scale, as NUMERIC(20, 4) read it: a float to four places
    ("%.4f"), an integer or a text as the decimal it is."""
    if isinstance(value, float):
        return f'{value:.4f}'
    try:
        return format(Decimal(str(value)).quantize(Decimal('0.0001'), ROUND_HALF_UP), 'f')
    except InvalidOperation:
        return str(value)


def _amounts() -> list[dict]:
    rows = op.get_bind().execute(
        sa.select(enterprise).where(enterprise.c.registered_capital.is_not(None))
    )
    return [{'key': key, 'amount': _canonical(value)} for key, value in rows]


def _write(amounts: list[dict]) -> None:
    if amounts:
        op.get_bind().execute(
            enterprise.update()
            .where(enterprise.c.credit_code == sa.bindparam('key'))
            .values(registered_capital=sa.bindparam('amount')),
            amounts,
        )


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    amounts = _amounts()  # read before the column turns them into text of 15 digits
    with op.batch_alter_table('enterprise') as batch_op:
        batch_op.alter_column(
            'registered_capital', type_=sa.String(length=22),
            existing_type=sa.Numeric(precision=20, scale=4), existing_nullable=True,
            existing_comment=COMMENT,
        )
    _write(amounts)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('enterprise') as batch_op:
        batch_op.alter_column(
            'registered_capital', type_=sa.Numeric(precision=20, scale=4),
            existing_type=sa.String(length=22), existing_nullable=True,
            existing_comment=COMMENT,
        )
