"""Many rows updated by key in one statement.

On PostgreSQL the rows travel as one JSON array and are unpacked by
``jsonb_to_recordset`` (one round trip, one statement, instead of a statement a row);
SQLite, in-process, takes a plain executemany.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, String, Table, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

__all__ = ["encode_rows", "insert_many", "matching", "update_many"]

_CHUNK = 1000
_encode = msgspec.json.Encoder().encode  # datetimes as RFC 3339, which PostgreSQL reads


def matching(conn: Connection, column: Any, values: Sequence[str]) -> Iterator[Any]:
    """``column`` among ``values``, a condition per chunk; on PostgreSQL one array
    parameter rather than a thousand bound values (the driver parses each statement)."""
    for i in range(0, len(values), _CHUNK):
        chunk = list(values[i : i + _CHUNK])
        if conn.dialect.name == "postgresql":
            yield column == any_(bindparam(None, chunk, type_=ARRAY(String)))
        else:
            yield column.in_(chunk)


def encode_rows(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one JSON array, for ``jsonb_to_recordset``."""
    return _encode(list(rows)).decode()


def update_many(
    conn: Connection,
    table: Table,
    key: str | tuple[str, ...],
    rows: Sequence[dict[str, Any]],
    *,
    subtract: tuple[str, ...] = (),
) -> None:
    """``UPDATE table SET <the rows' other columns> WHERE key = row[key]`` for every row;
    a column in ``subtract`` is decreased by the row's value instead of set to it."""
    if not rows:
        return
    keys = (key,) if isinstance(key, str) else key
    columns = [c for c in rows[0] if c not in keys]

    def assign(c: str, value: str, own: str = "") -> str:
        return f'"{c}" = {own}"{c}" - {value}' if c in subtract else f'"{c}" = {value}'

    if conn.dialect.name != "postgresql":
        sets = ", ".join(assign(c, f":{c}") for c in columns)
        where = " AND ".join(f'"{k}" = :{k}' for k in keys)
        plain = text(f'UPDATE "{table.name}" SET {sets} WHERE {where}')
        conn.execute(plain.bindparams(*_typed(table, [*keys, *columns])), list(rows))
        return
    dialect = conn.dialect
    shape = ", ".join(f'"{c}" {table.c[c].type.compile(dialect)}' for c in [*keys, *columns])
    sets = ", ".join(assign(c, f'v."{c}"', "t.") for c in columns)
    where = " AND ".join(f't."{k}" = v."{k}"' for k in keys)
    sql = (
        f'UPDATE "{table.name}" AS t SET {sets}'
        f" FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v({shape}) WHERE {where}"
    )
    conn.execute(text(sql), {"rows": encode_rows(rows)})


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
    conn.execute(text(sql), {"rows": encode_rows(rows)})


def _typed(table: Table, columns: list[str]) -> list[Any]:
    """Bind parameters with their column's type (JSON encoded, datetimes as SQLite keeps them)."""
    return [bindparam(c, type_=table.c[c].type) for c in columns]
