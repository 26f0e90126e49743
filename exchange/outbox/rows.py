"""Many rows updated by key in one statement.

On PostgreSQL the rows travel as one JSON array and are unpacked by
``jsonb_to_recordset`` (one round trip, one statement, instead of a statement a row);
SQLite, in-process, takes a plain executemany.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, text, update

__all__ = ["insert_many", "update_many"]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def update_many(conn: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """``UPDATE table SET <the rows' other columns> WHERE key = row[key]`` for every row."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    if conn.dialect.name != "postgresql":
        conn.execute(
            update(table).where(table.c[key] == bindparam("_key")),
            [{"_key": r[key], **{c: r[c] for c in columns}} for r in rows],
        )
        return
    dialect = conn.dialect
    shape = ", ".join(f'"{c}" {table.c[c].type.compile(dialect)}' for c in [key, *columns])
    sets = ", ".join(f'"{c}" = v."{c}"' for c in columns)
    sql = (
        f'UPDATE "{table.name}" AS t SET {sets}'
        f" FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v({shape})"
        f' WHERE t."{key}" = v."{key}"'
    )
    payload = json.dumps(list(rows), default=_plain, ensure_ascii=False, separators=(",", ":"))
    conn.execute(text(sql), {"rows": payload})


def insert_many(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, on_conflict: str = ""
) -> None:
    """``INSERT`` every row; ``on_conflict`` is PostgreSQL/SQLite ``ON CONFLICT ...`` text
    (columns of the incoming row are ``excluded.<name>``)."""
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name != "postgresql":
        values = ", ".join(f":{c}" for c in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) {on_conflict}'
        conn.execute(text(sql).bindparams(*_typed(table, columns)), list(rows))
        return
    shape = ", ".join(f'"{c}" {table.c[c].type.compile(conn.dialect)}' for c in columns)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) SELECT {names}'
        f" FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v({shape}) {on_conflict}"
    )
    payload = json.dumps(list(rows), default=_plain, ensure_ascii=False, separators=(",", ":"))
    conn.execute(text(sql), {"rows": payload})


def _typed(table: Table, columns: list[str]) -> list[Any]:
    """Bind parameters with their column's type (JSON encoded, datetimes as SQLite keeps them)."""
    return [bindparam(c, type_=table.c[c].type) for c in columns]
