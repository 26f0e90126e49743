"""merge conflicts: one row per disagreement, its fingerprint its two sides in either order

A conflict's fingerprint counted which side was held when it was met, so a disagreement
met both ways (a batch sent again finds its winner held) was two rows. Each row's
fingerprint is made again from its stored sides, and of the rows of one disagreement
the first recorded stays.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import hashlib
import json

from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

conflict = sa.table(
    'merge_conflict',
    sa.column('id', sa.Integer()),
    sa.column('fingerprint', sa.String()),
    sa.column('entity', sa.String()),
    sa.column('entity_key', sa.String()),
    sa.column('field', sa.String()),
    sa.column('kept_value', sa.Text()),
    sa.column('kept_source', sa.String()),
    sa.column('offered_value', sa.Text()),
    sa.column('offered_source', sa.String()),
    sa.column('resolution', sa.String()),
)


def _sha(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode('utf-8')).hexdigest()


def _order_free(row) -> str:
    # As tongban.store.merge.conflict_fingerprint makes it, written out here so that this
    # revision keeps meaning what it meant.
    sides = sorted(
        json.dumps([source, value], ensure_ascii=False)
        for source, value in ((row.kept_source, row.kept_value),
                              (row.offered_source, row.offered_value))
    )
    return _sha([row.entity, row.entity_key, row.field, *sides])


def _held_first(row) -> str:
    # The fingerprint before this revision: the side held when it was met, then the other.
    held = (row.offered_value, row.offered_source)
    other = (row.kept_value, row.kept_source)
    if row.resolution != 'replaced':
        held, other = other, held
    parts = [row.entity, row.entity_key, row.field, *held, *other]
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True).encode('utf-8')
    ).hexdigest()


def _refingerprint(make) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(conflict).order_by(conflict.c.id)).all()
    first: dict[str, int] = {}
    repeated: list[dict] = []
    for row in rows:
        fingerprint = make(row)
        if fingerprint in first:
            repeated.append({'gone': row.id})
        else:
            first[fingerprint] = row.id
    if repeated:
        conn.execute(conflict.delete().where(conflict.c.id == sa.bindparam('gone')), repeated)
    if first:
        conn.execute(
            conflict.update()
            .where(conflict.c.id == sa.bindparam('row_id'))
            .values(fingerprint=sa.bindparam('new')),
            [{'row_id': i, 'new': f} for f, i in first.items()],
        )


def upgrade() -> None:
    _refingerprint(_order_free)


def downgrade() -> None:
    # The rows of a disagreement taken together stay one row.
    _refingerprint(_held_first)
