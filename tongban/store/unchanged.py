"""The unchanged test over a columnar batch: which of its rows may change the store.

A row offering exactly what its golden row holds, every field of which came from this
same source, changes nothing (the test of ``merge._unchanged``); here it is decided on
the tuples the database gives, with no dict or ``Incoming`` a record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from tongban.store.columns import IncomingColumns
from tongban.store.dialect import dialect_of

__all__ = ["changed_rows", "held"]


def held(
    conn: Connection, table: Any, key: str, fields: Sequence[str], keys: list[str]
) -> dict[str, Sequence[Any]]:
    """What the unchanged test needs of the golden rows held under ``keys``, by key:
    ``(key, *fields, sole_source)``, a tuple as the driver gives it, where
    ``sole_source`` is :func:`~tongban.store.merge.sole_source` of the provenance."""
    dialect = dialect_of(conn)
    columns = [table.c[key], *(table.c[f] for f in fields), dialect.held_source(table)]
    found: dict[str, Sequence[Any]] = {}
    for match in dialect.key_matches(table.c[key], keys):
        rows = conn.execute(select(*columns).where(match)).all()  # made in C, at once
        found.update((row[0], dialect.held_row(row)) for row in rows)
    return found


def changed_rows(
    batch: IncomingColumns,
    key: str,
    fields: Sequence[str],
    held: Mapping[str, Sequence[Any]],
    counts: Counter[str],
) -> list[int]:
    """The rows of ``batch`` that may change the store: all but those offering exactly
    what their golden row in ``held`` holds, from this same source. A key twice in the
    batch is left to the merge, which applies its records in order.

    Equal values are of one type each: a column of text (or None) that equals the stored
    value is text too, so only the other columns (amounts, dates) compare their types."""
    n = len(batch)
    if not held:
        return list(range(n))
    columns = [batch.columns[f] if f in batch.fields else [None] * n for f in fields]
    typed = [j for j, values in enumerate(columns) if not _all_text(values)]
    source = batch.source
    offers = zip(batch.columns[key], zip(*columns, strict=True), strict=True)
    rest: list[int] = []
    for i, (k, offered) in enumerate(offers):
        row = held.get(k)
        if (
            row is None
            or counts[k] > 1
            or row[-1] != source
            or (holding := row[1:-1]) != offered
            or any(type(offered[j]) is not type(holding[j]) for j in typed)
        ):
            rest.append(i)
    return rest


def _all_text(values: Sequence[Any]) -> bool:
    """Whether every value is a str or None (a column with no None is told by a join)."""
    try:
        "".join(values)
    except TypeError:
        return set(map(type, values)) <= _TEXT_TYPES
    return True


_TEXT_TYPES = frozenset({str, type(None)})
