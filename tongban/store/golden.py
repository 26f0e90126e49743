"""The golden tables the store writes and reads, by entity name: each its table, key and
fields, read off the schema, so the store needs nothing of the canonical model.

    >>> golden_table("enterprise").key
    'credit_code'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table

from tongban.store import schema

__all__ = ["GoldenTable", "aware", "golden_table", "utcnow"]


@dataclass(frozen=True, slots=True)
class GoldenTable:
    name: str
    table: Table
    key: str
    fields: tuple[str, ...]


def _golden(table: Table) -> GoldenTable:
    (key,) = (c.name for c in table.primary_key.columns)
    return GoldenTable(table.name, table, key, schema.golden_fields(table))


_GOLDEN = {t.name: _golden(t) for t in (schema.person, schema.enterprise, schema.license)}


def golden_table(name: str) -> GoldenTable:
    try:
        return _GOLDEN[name]
    except KeyError:
        raise ValueError(f"unknown entity {name!r}; expected one of {sorted(_GOLDEN)}") from None


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the store writes UTC only."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
