"""Bulk writes: COPY where the dialect has it (PostgreSQL), executemany elsewhere.

Row-by-row ``executemany`` costs a round of statement processing per row on PostgreSQL;
COPY streams rows in one statement and is the baseline ``bench/identifiers.py`` compares
against. Every COPY goes through one writer, :func:`copy_columns`: the text is made a
column at a time (:func:`copy_column`) and the rows joined in C. New golden rows of a
batch, rows a merge planned, and the temporary table of an update all take it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, update
from sqlalchemy import insert as sa_insert

from tongban.batch import Batch
from tongban.store.dialect import dialect_of
from tongban.store.merge import jsonable

Row = dict[str, Any]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=jsonable, separators=(",", ":"))


class JsonCache:
    """Serialize JSON values once per object: a golden row and its history version share
    the same provenance object, so its text is made once per batch."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, str]] = {}
        self._origin_frames: dict[tuple[Any, Any, Any], tuple[str, str]] = {}

    def encode(self, value: Any) -> str | None:
        if value is None:
            return None
        if (
            type(value) is dict
            and len(value.get("origins", ())) == 1
            and (len(value) == 1 or (len(value) == 2 and "fields" in value))
        ):
            return self._provenance(value)
        hit = self._by_id.get(id(value))
        if hit is None or hit[0] is not value:
            hit = self._by_id[id(value)] = (value, dumps(value))
        return hit[1]

    def _provenance(self, value: dict[str, Any]) -> str:
        """Compact provenance with one origin (every newly inserted record): only the
        source record id differs between records of a batch, so the rest is text made
        once per batch."""
        (origin,) = value["origins"]
        if len(origin) != 4:
            return dumps(value)
        text = self.short_provenance(
            origin.get("source"), origin.get("record"), origin.get("run"), origin.get("at")
        )
        mapping = value.get("fields")
        if mapping is None:  # the short form: every field with a value came from here
            return text
        return f'{text[:-1]},"fields":{self.encode_fields(mapping)}}}'

    def short_provenance(self, source: Any, record: Any, run: Any, at: Any) -> str:
        """The text of the short form ``{"origins": [{"source", "record", "run", "at"}]}``."""
        frame = self._origin_frames.get((source, run, at))
        if frame is None:
            source_json, run_json, at_json = dumps(source), dumps(run), dumps(at)
            frame = self._origin_frames[(source, run, at)] = (
                f'{{"origins":[{{"source":{source_json},"run":{run_json},"at":{at_json},"record":',
                "}]}",
            )
        record_json = encode_basestring(record) if type(record) is str else dumps(record)
        return f"{frame[0]}{record_json}{frame[1]}"

    def encode_fields(self, fields: dict[str, int]) -> str:
        hit = self._by_id.get(id(fields))
        if hit is None or hit[0] is not fields:
            hit = self._by_id[id(fields)] = (fields, dumps(fields))
        return hit[1]


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)  # JSONB and the JSON/JSONB variant included


def copy_columns(
    conn: Connection,
    name: str,
    names: Sequence[str],
    columns: Sequence[list[Any]],
    cache: JsonCache,
    json_columns: Collection[str] = (),
) -> None:
    """COPY rows given a column at a time (``columns[j][i]``: column ``names[j]`` of row
    ``i``) into table ``name``; the values of ``json_columns`` go as JSON text."""
    if not columns or not columns[0]:
        return
    texts = [
        copy_column(values, cache, as_json=c in json_columns)
        for c, values in zip(names, columns, strict=True)
    ]
    data = "\n".join(map("\t".join, zip(*texts, strict=True)))
    quoted = ", ".join(f'"{c}"' for c in names)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
        copy.write(data + "\n")


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[Row], cache: JsonCache | None = None
) -> None:
    """Insert row dicts (of the same keys): COPYed where the dialect copies."""
    if not rows:
        return
    if not dialect_of(conn).copies:
        conn.execute(sa_insert(table), list(rows))
        return
    names = list(rows[0])
    columns = [[row[c] for row in rows] for c in names]
    json_columns = {c for c in names if _is_json(table, c)}
    copy_columns(conn, table.name, names, columns, cache or JsonCache(), json_columns)


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
    if not dialect_of(conn).copies:
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
    names = [*keys, *cols]
    json_columns = {c for c in names if _is_json(table, c)}
    columns = [[row[c] for row in rows] for c in names]
    copy_columns(conn, temp, names, columns, cache or JsonCache(), json_columns)
    assignments = ", ".join(f'"{c}" = u."{c}"' for c in cols)
    match_sql = " AND ".join(f't."{k}" = u."{k}"' for k in keys)
    conn.exec_driver_sql(
        f'UPDATE "{table.name}" AS t SET {assignments} FROM "{temp}" AS u WHERE {match_sql}'
    )


# COPY's text format: these characters are written as escapes (a NUL is refused anyway).
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _plain(text: str) -> bool:
    """Whether ``text`` holds nothing COPY must escape. Printable text holds no tab, new
    line or carriage return, and ``isprintable`` and ``in`` run far faster than a search."""
    if text.isprintable():
        return "\\" not in text
    return _COPY_SPECIAL.search(text) is None


def _copy_text(value: Any, cache: JsonCache) -> str:
    """A non-null value as COPY text, before escaping (what psycopg's dumpers send)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "t" if value else "f"
    if kind is dict or kind is list:
        return cache.encode(value)  # type: ignore[return-value]
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return str(value)  # Decimal, int, float


def copy_column(values: list[Any], cache: JsonCache, *, as_json: bool = False) -> list[str]:
    """One column's values as COPY text: escaped, None as ``\\N``; with ``as_json``
    every value as its JSON text.

    A column of plain strings that need no escape (nearly every column) is judged by
    one join and a scan in C (``_plain``) and handed back as it is; a column of one other plain
    type (decimals, dates) is turned to text by one ``map``."""
    if as_json:
        texts = [None if v is None else cache.encode(v) for v in values]
        special = not _plain("".join(filter(None, texts)))
        return [_NULL if t is None else t.translate(_COPY_ESCAPES) if special else t for t in texts]
    try:
        joined = "".join(values)
    except TypeError:  # None, or values of another type
        pass
    else:
        if _plain(joined):
            return values
        return [v.translate(_COPY_ESCAPES) for v in values]
    kinds = set(map(type, values))
    kinds.discard(_NONE_TYPE)
    (kind,) = kinds if len(kinds) == 1 else (None,)
    if kind is str:
        if _plain("".join(filter(None, values))):
            return [_NULL if v is None else v for v in values]
    elif kind in _AS_TEXT:  # text with nothing to escape
        text = _AS_TEXT[kind]
        if len(kinds) == len(set(map(type, values))):  # no None
            return list(map(text, values))
        return [_NULL if v is None else text(v) for v in values]
    texts = [
        v if v.__class__ is str else None if v is None else _copy_text(v, cache) for v in values
    ]
    special = not _plain("".join(filter(None, texts)))
    return [_NULL if t is None else t.translate(_COPY_ESCAPES) if special else t for t in texts]


_NONE_TYPE = type(None)
_AS_TEXT: dict[type, Callable[[Any], str]] = {
    Decimal: str,
    int: str,
    date: date.isoformat,
    datetime: datetime.isoformat,
}


def new_golden_rows(
    conn: Connection,
    table: Table,
    key: str,
    fields: Sequence[str],
    batch: Batch,
    *,
    run_id: str,
    now: datetime,
    cache: JsonCache,
) -> None:
    """COPY a batch's records as new golden rows: each its first version, its provenance
    the one origin in the stored short form, as :func:`~tongban.store.merge.plan_merge`
    would make it, without a row dict each."""
    n = len(batch)
    if not n:
        return
    names = [key, *fields]
    columns = [batch.column(c) for c in names]
    at = now.isoformat()
    source = batch.source or ""
    # Provenance (the short form): text made once, but for each record's id.
    head, tail = cache.short_provenance(source, "\x00", run_id, at).split('"\\u0000"')
    ids = batch.record_ids
    try:
        safe = _UNSAFE_ID.search("".join(ids)) is None  # type: ignore[arg-type]
    except TypeError:  # a record without an id
        safe = False
    if safe:  # made in C: the ids joined by what separates them, split again
        between = f'"{tail}\x00{head}"'
        provenance = f'{head}"{between.join(ids)}"{tail}'.split("\x00")  # type: ignore[arg-type]
    else:
        provenance = [
            head + (encode_basestring(i) if type(i) is str else dumps(i)) + tail for i in ids
        ]
    bookkeeping = ["provenance", "version", "created_at", "updated_at"]
    copy_columns(
        conn, table.name, [*names, *bookkeeping],
        [*columns, provenance, [1] * n, [at] * n, [at] * n], cache,
        {c for c in names if _is_json(table, c)},
    )  # fmt: skip


# A record id that JSON takes as it is (no quote, backslash or control character).
_UNSAFE_ID = re.compile(r'["\\\x00-\x1f]')
