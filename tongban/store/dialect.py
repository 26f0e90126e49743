"""What differs between SQLite and PostgreSQL, decided here and nowhere else.

The store's parts ask the dialect of their connection (:func:`dialect_of`) rather than
test its name: whether bulk writes go by COPY, how an upsert is spelled, how a list of
keys is matched, how a sync holds its source and how an exact decimal is kept
(:class:`ExactNumeric`).

    >>> from sqlalchemy import create_engine
    >>> dialect_of(create_engine("sqlite://")).copies
    False
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import msgspec
from sqlalchemy import (
    Connection,
    Engine,
    Numeric,
    String,
    TypeDecorator,
    any_,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "Dialect",
    "ExactNumeric",
    "constraint_violation",
    "dialect_of",
    "open_engine",
]

_IN_CHUNK = 5000


class Dialect:
    """SQLite's way; :class:`_PostgreSQL` overrides where the server does better."""

    name = "sqlite"
    copies = False  # bulk writes by COPY (else executemany)
    advisory_locks = False  # one sync per source by a server lock (else a lock file)
    # NUMERIC keeps a decimal exactly (else it is a float of 15 significant digits, and
    # an exact decimal is kept as its text: see ExactNumeric).
    exact_numeric = False

    def upsert(self, table: Any) -> Any:
        """An INSERT that takes ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
        return sqlite_insert(table)

    def key_matches(self, column: Any, keys: Sequence[str]) -> Iterator[Any]:
        """``column`` matching ``keys``, a condition per chunk of them."""
        for i in range(0, len(keys), _IN_CHUNK):
            yield column.in_(list(keys[i : i + _IN_CHUNK]))

    def engine_options(self) -> dict[str, Any]:
        return {"connect_args": {"timeout": 60}}

    def on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


class _PostgreSQL(Dialect):
    name = "postgresql"
    copies = True
    advisory_locks = True
    exact_numeric = True

    def upsert(self, table: Any) -> Any:
        return pg_insert(table)

    def key_matches(self, column: Any, keys: Sequence[str]) -> Iterator[Any]:
        for i in range(0, len(keys), _IN_CHUNK):
            chunk = list(keys[i : i + _IN_CHUNK])
            # One array parameter instead of thousands of bound values.
            yield column == any_(bindparam("keys", chunk, type_=ARRAY(String)))

    def on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        """JSON and JSONB values read with msgspec: a merge reads the provenance of every
        stored record it meets, and Python's own parser costs several times as much."""
        from psycopg.types.json import set_json_loads

        set_json_loads(_json_loads, dbapi_conn)


SQLITE = Dialect()
POSTGRESQL = _PostgreSQL()
_BY_NAME = {d.name: d for d in (SQLITE, POSTGRESQL)}


def dialect_of(bind: Connection | Engine) -> Dialect:
    """The dialect of a connection or engine (any other database goes SQLite's way)."""
    return _BY_NAME.get(bind.dialect.name, SQLITE)


def open_engine(
    url: str, *, json_serializer: Any, echo: bool = False, pool_size: int | None = None
) -> Engine:
    """An engine for the store at ``url``, each new connection set up for its dialect.
    ``pool_size``: at most this many connections, kept open, for threads that use the
    store at once (a thread beyond waits for one); by default SQLAlchemy's 5 kept open
    and 10 more opened and closed as needed. SQLite ignores it."""
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options = SQLITE.engine_options()
    elif pool_size is not None:
        options = {"pool_size": pool_size, "max_overflow": 0}
    engine = create_engine(url, json_serializer=json_serializer, echo=echo, **options)
    dialect = _BY_NAME.get(engine.dialect.name)
    if dialect is not None:
        event.listen(engine, "connect", dialect.on_connect)
    return engine


def read_engine(engine: Engine) -> Engine:
    """The engine for one-statement reads, on the same connections: on PostgreSQL in
    autocommit, so the query goes alone, without a BEGIN and a ROLLBACK round trip."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


class ExactNumeric(TypeDecorator[Decimal]):
    """``NUMERIC(precision, scale)`` that gives back the decimal put in, on every dialect.

    PostgreSQL's NUMERIC is exact. SQLite's is a float (1234567890123.4567 comes back as
    1234567890123.4568), so there the value is kept as its text at the scale
    (``"100.0000"``), rounded half away from zero and refused past the precision, as
    PostgreSQL does. A value SQLite stored as a number before (a float, an integer) is
    read as the decimal NUMERIC gave for it: to the scale.

        >>> from sqlalchemy.dialects import sqlite
        >>> ExactNumeric(20, 4).process_bind_param(Decimal("1e2"), sqlite.dialect())
        '100.0000'
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision, self.scale = precision, scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Any) -> Any:
        if _BY_NAME.get(dialect.name, SQLITE).exact_numeric:
            return dialect.type_descriptor(Numeric(self.precision, self.scale))
        # A text column: SQLite turns text put in a NUMERIC column into a float.
        return dialect.type_descriptor(String(self.precision + 2))  # a sign, a point

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None or _BY_NAME.get(dialect.name, SQLITE).exact_numeric:
            return value
        return format(self._exact(value), "f")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):  # stored as a number, as NUMERIC read it
            return Decimal(f"{value:.{self.scale}f}")
        return Decimal(str(value)).quantize(self._quantum, ROUND_HALF_UP)

    def _exact(self, value: Any) -> Decimal:
        try:
            amount = Decimal(repr(value) if isinstance(value, float) else value)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"{value!r} is not a decimal number") from None
        digits = self.precision - self.scale  # before the point
        if amount.is_finite() and amount.adjusted() < digits:
            amount = amount.quantize(self._quantum, ROUND_HALF_UP)
        if not amount.is_finite() or amount.adjusted() >= digits:
            raise ValueError(f"{value!r} does not fit NUMERIC({self.precision}, {self.scale})")
        return amount


def constraint_violation(exc: BaseException) -> bool:
    """An integrity constraint broken (SQLSTATE class 23), whether SQLAlchemy raised it or
    the driver did on a COPY, which goes around SQLAlchemy."""
    return isinstance(exc, IntegrityError) or str(getattr(exc, "sqlstate", None)).startswith("23")


def _json_loads(data: str | bytes) -> Any:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:  # what only Python's parser reads (say, 1e400 as inf)
        return json.loads(data)
