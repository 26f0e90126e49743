"""Bulk writes: COPY where the dialect has it (PostgreSQL), executemany elsewhere.

Row-by-row ``executemany`` costs a round of statement processing per row on PostgreSQL;
COPY streams rows in one statement and is the baseline ``bench/identifiers.py`` compares
against. Updates go through a temporary table filled by COPY and one ``UPDATE ... FROM``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Table, bindparam, update
from sqlalchemy import insert as sa_insert

from tongban.store.columns import IncomingColumns
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


def _is_timestamp(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, DateTime)


class _Timestamps:
    """ISO text of timestamps for COPY. A batch stamps all its rows with one or two
    instants, and the driver's datetime adaptation costs more than the rest of a row:
    each instant is formatted once."""

    def __init__(self) -> None:
        self._text: dict[datetime, str] = {}

    def __call__(self, value: Any) -> Any:
        if type(value) is not datetime:
            return value
        text = self._text.get(value)
        if text is None:
            text = self._text[value] = value.isoformat()
        return text


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[Row], cache: JsonCache | None = None
) -> None:
    if not rows:
        return
    if not dialect_of(conn).copies:
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
    stamps = _Timestamps()
    convert = [
        (i, cache.encode if _is_json(table, c) else stamps)
        for i, c in enumerate(cols)
        if _is_json(table, c) or _is_timestamp(table, c)
    ]
    values = itemgetter(*cols) if len(cols) > 1 else (lambda row: (row[cols[0]],))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    quoted = ", ".join(f'"{c}"' for c in cols)
    with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
        write_row = copy.write_row
        if not convert:
            for row in rows:
                write_row(values(row))
            return
        for row in rows:
            out = list(values(row))
            for i, fn in convert:
                out[i] = fn(out[i])
            write_row(out)


def insert_new(
    conn: Connection,
    table: Table,
    key: str,
    fields: Sequence[str],
    items: Sequence[Any],
    *,
    run_id: str,
    now: datetime,
    cache: JsonCache,
) -> None:
    """New golden rows straight from their records (``Incoming``), on PostgreSQL: each
    its first version, its provenance the one origin in the stored short form, as
    :func:`~tongban.store.merge.plan_merge` would make it, without a row dict each."""
    if not items:
        return
    cols = [key, *fields]
    at = now.isoformat()
    bookkeeping = ["version", "provenance", "created_at", "updated_at"]
    quoted = ", ".join(f'"{c}"' for c in [*cols, *bookkeeping])
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    provenance = cache.short_provenance
    json_cols = [i for i, c in enumerate(cols) if _is_json(table, c)]  # license fields
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        write_row = copy.write_row
        for item in items:
            values = [*map(item.record.get, cols), 1, None, at, at]
            values[-3] = provenance(item.source, item.source_record, run_id, at)
            for i in json_cols:
                values[i] = cache.encode(values[i])
            write_row(values)


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
    _copy(conn, temp, [*keys, *cols], rows, table, cache or JsonCache())
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


def copy_column(values: list[Any], cache: JsonCache) -> list[str]:
    """One column's values as COPY text: escaped, None as ``\\N``.

    A column of plain strings that need no escape (nearly every column) is judged by
    one join and a scan in C (``_plain``) and handed back as it is; a column of one other plain
    type (decimals, dates) is turned to text by one ``map``."""
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


def insert_new_columns(
    conn: Connection,
    table: Table,
    key: str,
    fields: Sequence[str],
    batch: IncomingColumns,
    *,
    run_id: str,
    now: datetime,
    cache: JsonCache,
) -> None:
    """:func:`insert_new` for a batch held column by column: the COPY text is made a
    column at a time and the rows joined in C, with no Python call per value."""
    if not len(batch):
        return
    cols = [key, *fields]
    at = now.isoformat()
    texts = [
        copy_column(batch.columns[c], cache) if c in batch.columns else [_NULL] * len(batch)
        for c in cols
    ]
    # Provenance (the short form), version and the two timestamps close every row.
    head, tail = cache.short_provenance(batch.source, "\x00", run_id, at).split('"\\u0000"')
    tail = f"{tail}\t1\t{at}\t{at}".translate(_COPY_ESCAPES_EXCEPT_TAB)
    head = head.translate(_COPY_ESCAPES_EXCEPT_TAB)
    ids = batch.source_records
    try:
        safe = _UNSAFE_ID.search("".join(ids)) is None  # type: ignore[arg-type]
    except TypeError:  # a record without an id
        safe = False
    if safe:  # made in C: the ids joined by what separates them, split again
        between = f'"{tail}' + "\x00" + f'{head}"'
        joined = between.join(ids)  # type: ignore[arg-type]
        closing = f'{head}"{joined}"{tail}'.split("\x00")
    else:
        closing = [
            head + (encode_basestring(i) if type(i) is str else dumps(i)).translate(_COPY_ESCAPES)
            + tail
            for i in ids
        ]  # fmt: skip
    texts.append(closing)
    data = "\n".join(map("\t".join, zip(*texts, strict=True)))
    bookkeeping = ["provenance", "version", "created_at", "updated_at"]
    quoted = ", ".join(f'"{c}"' for c in [*cols, *bookkeeping])
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        copy.write(data + "\n")


# A record id that JSON and COPY both take as it is (no quote, backslash or control).
_UNSAFE_ID = re.compile(r'["\\\x00-\x1f]')
_COPY_ESCAPES_EXCEPT_TAB = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r"})
