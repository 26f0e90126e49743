"""Bulk writes: COPY on PostgreSQL, executemany elsewhere.

Row-by-row ``executemany`` costs a round of statement processing per row on PostgreSQL;
COPY streams rows in one statement and is the baseline ``bench/identifiers.py`` compares
against. Updates go through a temporary table filled by COPY and one ``UPDATE ... FROM``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, update
from sqlalchemy import insert as sa_insert

from tongban.store.merge import jsonable

Row = dict[str, Any]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=jsonable, separators=(",", ":"))


class JsonCache:
    """Serialize JSON values once per object: a golden row and its history version share
    the same provenance object, so its text is made once per batch."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, str]] = {}

    def encode(self, value: Any) -> str | None:
        if value is None:
            return None
        hit = self._by_id.get(id(value))
        if hit is None or hit[0] is not value:
            hit = self._by_id[id(value)] = (value, dumps(value))
        return hit[1]


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)  # JSONB and the JSON/JSONB variant included


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[Row], cache: JsonCache | None = None
) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(sa_insert(table), list(rows))
        return
    _copy(conn, table.name, list(rows[0]), rows, table, cache or JsonCache())


def _copy(
    conn: Connection,
    name: str,
    cols: list[str],
    rows: Sequence[Row],
    table: Table,
    cache: JsonCache,
) -> None:
    json_cols = {c for c in cols if _is_json(table, c)}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    quoted = ", ".join(f'"{c}"' for c in cols)
    with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([cache.encode(row[c]) if c in json_cols else row[c] for c in cols])


def update_rows(
    conn: Connection,
    table: Table,
    keys: list[str],
    rows: Sequence[Row],
    cols: list[str],
    cache: JsonCache | None = None,
) -> None:
    """Set ``cols`` of the rows matching ``keys``, from ``rows``."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        match = [table.c[k] == bindparam(f"_k_{k}") for k in keys]
        stmt = update(table).where(*match).values({c: bindparam(c) for c in cols})
        params = [{**{f"_k_{k}": r[k] for k in keys}, **{c: r[c] for c in cols}} for r in rows]
        conn.execute(stmt, params)
        return
    temp = f"_tongban_upd_{table.name}"
    selected = ", ".join(f'"{c}"' for c in [*keys, *cols])
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{temp}"')
    conn.exec_driver_sql(
        f'CREATE TEMP TABLE "{temp}" ON COMMIT DROP AS SELECT {selected}'
        f' FROM "{table.name}" WITH NO DATA'
    )
    _copy(conn, temp, [*keys, *cols], rows, table, cache or JsonCache())
    assignments = ", ".join(f'"{c}" = u."{c}"' for c in cols)
    match_sql = " AND ".join(f't."{k}" = u."{k}"' for k in keys)
    conn.exec_driver_sql(
        f'UPDATE "{table.name}" AS t SET {assignments} FROM "{temp}" AS u WHERE {match_sql}'
    )
