"""Reads the console pages need beyond the store's own: the quarantine list a page at a
time (keyset on id over ``ix_quarantine_status_source_rule_id``, no OFFSET, no raw record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from tongban.store import schema

__all__ = ["QuarantinePage", "quarantine_page"]

LIST_COLUMNS = (
    "id",
    "entity",
    "source",
    "source_record",
    "rule",
    "expectation",
    "field",
    "message",
    "status",
    "created_at",
)


@dataclass(frozen=True)
class QuarantinePage:
    rows: list[dict[str, Any]]
    total: int
    next_after: int | None  # the id to continue after, if there is more


def quarantine_page(
    engine: Engine,
    *,
    status: str | None = "open",
    source: str | None = None,
    rule: str | None = None,
    after: int = 0,
    limit: int = 50,
) -> QuarantinePage:
    qt = schema.quarantine
    where = [qt.c.id > after]
    for name, value in (("status", status), ("source", source), ("rule", rule)):
        if value:
            where.append(qt.c[name] == value)
    cols = [qt.c[name] for name in LIST_COLUMNS]
    q = select(*cols).where(*where).order_by(qt.c.id).limit(limit + 1)
    counted = select(func.count()).select_from(qt).where(*where[1:])
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
        total = int(conn.execute(counted).scalar_one())
    for row in rows:
        at = row["created_at"]
        if isinstance(at, datetime) and at.tzinfo is None:
            row["created_at"] = at.replace(tzinfo=UTC)
    more = len(rows) > limit
    rows = rows[:limit]
    return QuarantinePage(rows, total, rows[-1]["id"] if more and rows else None)
