"""The shared store: one object over a SQLAlchemy engine, SQLite or PostgreSQL alike.

>>> store = Store("sqlite:///:memory:")
>>> store.migrate()
>>> store.get("person", "11010519491231002X") is None
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import (
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from tongban.store import schema
from tongban.store._bulk import (
    JsonCache,
    dumps,
    insert_new,
    insert_new_columns,
    insert_rows,
    update_rows,
)
from tongban.store._locks import source_lock
from tongban.store.checksum import store_checksum
from tongban.store.columns import IncomingColumns
from tongban.store.holders import refresh_holders
from tongban.store.merge import (
    Incoming,
    MergeRules,
    compact_provenance,
    expand_provenance,
    jsonable,
    plan_merge,
    sole_source,
)
from tongban.store.quality import QualityRecords
from tongban.text import storable

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import Label

    from tongban.entities import Entity

__all__ = ["BatchResult", "ChildBatch", "QuarantineEntry", "Store", "utcnow"]

Row = dict[str, Any]
_IN_CHUNK = 5000


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the store writes UTC only."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A record held back: what came in, from where, and the rule it broke."""

    entity: str
    source: str
    source_record: str | None
    raw: Mapping[str, Any]
    rule: str
    message: str
    field: str | None = None
    expectation: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    conflicts: int
    children: tuple[tuple[str, BatchResult], ...] = ()  # by entity, written with it


@dataclass(frozen=True, slots=True)
class ChildBatch:
    """Records of another entity found in a batch's records (the holders of licenses as
    people), written in the batch's transaction, before it."""

    entity: str
    records: Sequence[Incoming] | IncomingColumns
    quarantined: Sequence[QuarantineEntry] = ()


class Store(QualityRecords):
    """Golden records with provenance and history, quarantine, sync state and the run log."""

    def __init__(
        self,
        url: str,
        *,
        rules: MergeRules | None = None,
        echo: bool = False,
        pool_size: int | None = None,
    ):
        """``pool_size``: at most this many connections, kept open, for threads that use
        the store at once (a thread beyond waits for one); by default SQLAlchemy's 5
        kept open and 10 more opened and closed as needed."""
        self.url = url
        self.rules = rules or MergeRules.load()
        # Per entity: whether its last columnar batch found none of its keys stored.
        self._all_new: dict[str, bool] = {}
        kwargs: dict[str, Any] = {
            "json_serializer": dumps,
            "echo": echo,
        }
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 60}
        elif pool_size is not None:
            kwargs.update(pool_size=pool_size, max_overflow=0)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "connect", _psycopg_json)
        # For one-statement reads, on the same connections: on PostgreSQL in autocommit,
        # so the query goes alone, without a BEGIN and a ROLLBACK round trip around it.
        self.reads: Engine = self.engine
        if self.engine.dialect.name == "postgresql":
            self.reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    # -- schema ---------------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Create the store or bring it to ``revision`` (Alembic migrations)."""
        # Imported here: Alembic takes most of a second to load, and only this needs it.
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option(
            "script_location", str(resources.files("tongban.store").joinpath("migrations"))
        )
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            except Exception:
                return None

    def dispose(self) -> None:
        self.engine.dispose()

    # -- runs -------------------------------------------------------------------------

    def start_run(self, source: str, *, entity: str | None = None, kind: str = "load") -> str:
        run_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                sa_insert(schema.run_log),
                {
                    "run_id": run_id, "source": source, "entity": entity, "kind": kind,
                    "status": "running", "started_at": utcnow(), "read": 0, "inserted": 0,
                    "updated": 0, "unchanged": 0, "quarantined": 0, "conflicts": 0,
                },
            )  # fmt: skip
        return run_id

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        counts: Mapping[str, int],
        timings: Mapping[str, float] | None = None,
        message: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa_update(schema.run_log)
                .where(schema.run_log.c.run_id == run_id)
                .values(
                    status=status,
                    finished_at=utcnow(),
                    timings=dict(timings or {}),
                    message=storable(message),
                    **{k: int(v) for k, v in counts.items()},
                )
            )

    def runs(self, *, source: str | None = None, limit: int = 20) -> list[Row]:
        q = select(schema.run_log).order_by(schema.run_log.c.started_at.desc()).limit(limit)
        if source:
            q = q.where(schema.run_log.c.source == source)
        return self._rows(q)

    def interrupt_runs(self, source: str, *, keep: str | None = None) -> int:
        """Mark runs of ``source`` still 'running' as 'interrupted' (their process died:
        call this only while holding :meth:`source_lock`). Returns how many."""
        rl = schema.run_log
        q = sa_update(rl).where(rl.c.source == source, rl.c.status == "running")
        if keep is not None:
            q = q.where(rl.c.run_id != keep)
        with self.engine.begin() as conn:
            result = conn.execute(
                q.values(
                    status="interrupted",
                    finished_at=utcnow(),
                    message="the process running it stopped without finishing (killed?);"
                    " what it committed stays, a later run resumed from its cursor",
                )
            )
        return int(result.rowcount or 0)

    def source_lock(self, source: str) -> AbstractContextManager[None]:
        """Hold this while syncing ``source``: one sync per source at a time, across
        processes (a PostgreSQL advisory lock, or a lock file beside the SQLite file)."""
        return source_lock(self.engine, source)

    def checksum(self, *, cursors: bool = True) -> str:
        """A digest of what the store holds, independent of run ids and clock times:
        equal for two stores that loaded the same records, however the runs went.
        ``cursors=False`` leaves the sources' sync cursors out."""
        return store_checksum(self.engine, cursors=cursors)

    def sync_states(self) -> dict[str, Row]:
        return {row["source"]: row for row in self._rows(select(schema.sync_state))}

    def run(self, run_id: str) -> Row | None:
        rows = self._rows(select(schema.run_log).where(schema.run_log.c.run_id == run_id))
        return rows[0] if rows else None

    # -- writes -----------------------------------------------------------------------

    def write_batch(
        self,
        entity: str,
        records: Sequence[Incoming] | IncomingColumns,
        *,
        run_id: str,
        quarantined: Sequence[QuarantineEntry] = (),
        cursor: tuple[str, Any] | None = None,
        children: Sequence[ChildBatch] = (),
    ) -> BatchResult:
        """Merge a batch, quarantine its bad records and move the source's cursor, in one
        transaction: either all of it is stored or none of it. ``children`` (records of
        other entities found in the batch's) go first, in the same transaction; the run
        log counts the batch's own records.

        Idempotent: writing the same batch again changes nothing.
        """
        spec = self._entity(entity)
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    kids = tuple(
                        (c.entity, self._write(conn, self._entity(c.entity), c.records, run_id,
                                               c.quarantined, None, count=False))
                        for c in children
                    )  # fmt: skip
                    result = self._write(conn, spec, records, run_id, quarantined, cursor)
                    return dataclasses.replace(result, children=kids) if kids else result
            except Exception as exc:
                # Another writer inserted one of our new keys first: re-read and re-plan.
                if attempt == 2 or not _constraint_violation(exc):
                    raise
        raise AssertionError("unreachable")

    def _write(
        self,
        conn: Connection,
        spec: Entity,
        records: Sequence[Incoming] | IncomingColumns,
        run_id: str,
        quarantined: Sequence[QuarantineEntry],
        cursor: tuple[str, Any] | None,
        *,
        count: bool = True,
    ) -> BatchResult:
        table, key = spec.table, spec.key
        now = utcnow()
        columnar = records if isinstance(records, IncomingColumns) else None
        if columnar is not None:
            counts = Counter(columnar.columns[key])
        else:
            counts = Counter([r.record[key] for r in records])
        stored: dict[str, Row] = {}
        new: list[Incoming] = []
        fresh: IncomingColumns | None = None
        copied = skipped = 0
        if columnar is not None and self._copied_all_new(conn, spec, columnar, counts, run_id, now):
            copied, records = len(columnar), []
        elif columnar is not None:
            held = self._held(conn, table, key, spec.fields, list(counts))
            self._all_new[spec.name] = not held  # the next batch may try COPY first
            rest = _changed_rows(columnar, key, spec.fields, held, counts)
            skipped = len(columnar) - len(rest)
            columnar = columnar.take(rest)
            merging = [k for k in dict.fromkeys(columnar.columns[key]) if k in held]
            stored = self._stored(conn, table, key, merging) if merging else {}
            records, fresh = self._split_fresh(conn, columnar, key, stored, counts)
        else:
            stored = self._stored(conn, table, key, list(counts))
        if columnar is None and conn.dialect.name == "postgresql":
            # A key neither stored nor repeated in the batch makes a new golden row from
            # its record alone: it goes straight to COPY (most records of a first load).
            merged: list[Incoming] = []
            for item in records:
                k = item.record[key]
                is_new = k not in stored and counts[k] == 1 and not item.correction
                (new if is_new else merged).append(item)
            records = merged
        plan = plan_merge(
            spec.name, key, spec.fields, stored, records, self.rules, run_id=run_id, now=now
        )
        for row in plan.updates:  # inserts come compact already
            row["provenance"] = compact_provenance(row["provenance"], row, spec.fields)
        packed: dict[int, tuple[Any, Row]] = {}
        for row in plan.versions:
            prov = row["provenance"]
            hit = packed.get(id(prov))
            if hit is None or hit[0] is not prov:
                hit = packed[id(prov)] = (prov, compact_provenance(prov))
            row["provenance"] = hit[1]
        cache = JsonCache()  # golden rows and their versions share provenance objects
        insert_new(
            conn, table, key, spec.fields, new, run_id=run_id, now=now, cache=cache
        )  # fmt: skip
        if fresh is not None:
            insert_new_columns(
                conn, table, key, spec.fields, fresh, run_id=run_id, now=now, cache=cache
            )  # fmt: skip
            copied += len(fresh)
        insert_rows(conn, table, plan.inserts, cache)
        cols = [*spec.fields, "version", "provenance", "updated_at"]
        update_rows(conn, table, [key], plan.updates, cols, cache)
        insert_rows(conn, schema.record_version, plan.versions, cache)
        if plan.conflicts:
            self._insert_ignore(conn, schema.merge_conflict, plan.conflicts, "fingerprint")
        if quarantined:
            self._insert_ignore(
                conn, schema.quarantine, [_quarantine_row(q, run_id, now) for q in quarantined],
                "fingerprint",
            )  # fmt: skip
        if cursor is not None:
            self._set_cursor(conn, cursor[0], cursor[1], run_id, now)
        result = BatchResult(
            plan.inserted + len(new) + copied, plan.updated, plan.unchanged + skipped,
            len(quarantined), len(plan.conflicts),
        )  # fmt: skip
        if spec.name == "license" and (result.inserted or result.updated):
            refresh_holders(conn, list(counts))
        if count:
            self._count_in_run(conn, run_id, result)
        return result

    @staticmethod
    def _count_in_run(conn: Connection, run_id: str, result: BatchResult) -> None:
        """Add a batch's counts to its run in the batch's own transaction, so that a run
        that never finishes (killed) still shows exactly what it committed."""
        rl = schema.run_log
        read = result.inserted + result.updated + result.unchanged + result.quarantined
        conn.execute(
            sa_update(rl)
            .where(rl.c.run_id == run_id)
            .values(
                read=rl.c.read + read,
                inserted=rl.c.inserted + result.inserted,
                updated=rl.c.updated + result.updated,
                unchanged=rl.c.unchanged + result.unchanged,
                quarantined=rl.c.quarantined + result.quarantined,
                conflicts=rl.c.conflicts + result.conflicts,
            )
        )

    @staticmethod
    def _stored(conn: Connection, table: Any, key: str, keys: list[str]) -> dict[str, Row]:
        """The golden rows held under ``keys``, by key (provenance in its stored form: the
        merge expands it where it must)."""
        stored: dict[str, Row] = {}
        for match in _key_matches(conn, table.c[key], keys):
            result = conn.execute(select(table).where(match))
            names = tuple(result.keys())
            for found in result.all():
                golden = dict(zip(names, found, strict=True))
                stored[golden[key]] = golden
        return stored

    @staticmethod
    def _held(
        conn: Connection, table: Any, key: str, fields: Sequence[str], keys: list[str]
    ) -> dict[str, Sequence[Any]]:
        """What the unchanged test needs of the golden rows held under ``keys``, by key:
        ``(key, *fields, sole_source)``, a tuple as the driver gives it, where
        ``sole_source`` is :func:`~tongban.store.merge.sole_source` of the provenance.

        PostgreSQL works the source out of the stored JSONB itself, so neither the
        provenance nor the bookkeeping columns are sent and parsed."""
        columns = [table.c[key], *(table.c[f] for f in fields)]
        postgres = conn.dialect.name == "postgresql"
        columns.append(_SOLE_SOURCE if postgres else table.c.provenance)
        held: dict[str, Sequence[Any]] = {}
        for match in _key_matches(conn, table.c[key], keys):
            rows = conn.execute(select(*columns).where(match)).all()  # made in C, at once
            if postgres:
                held.update((row[0], row) for row in rows)
            else:
                held.update((row[0], (*row[:-1], sole_source(row[-1]))) for row in rows)
        return held

    def _copied_all_new(
        self,
        conn: Connection,
        spec: Entity,
        batch: IncomingColumns,
        counts: Counter[str],
        run_id: str,
        now: datetime,
    ) -> bool:
        """COPY a columnar batch as new golden rows without looking its keys up first,
        while the batches of this entity bring only keys the store does not hold (a first
        load), on PostgreSQL; True when it did.

        The primary key tells if one is held after all: the COPY is then rolled back to
        its savepoint, and the batch looked up and planned as usual. Saves the look-up,
        about 2 µs a key on the server, on every batch of a first load."""
        if (
            conn.dialect.name != "postgresql"
            or not self._all_new.get(spec.name)
            or len(counts) != len(batch)  # a key twice: its records merge
        ):
            return False
        savepoint = conn.begin_nested()
        try:
            insert_new_columns(
                conn, spec.table, spec.key, spec.fields, batch, run_id=run_id, now=now,
                cache=JsonCache(),
            )  # fmt: skip
        except Exception as exc:
            savepoint.rollback()
            if not _constraint_violation(exc):
                raise
            self._all_new[spec.name] = False
            return False
        savepoint.commit()
        return True

    @staticmethod
    def _split_fresh(
        conn: Connection,
        batch: IncomingColumns,
        key: str,
        stored: Mapping[str, Row],
        counts: Counter[str],
    ) -> tuple[list[Incoming], IncomingColumns | None]:
        """The records of a columnar batch to merge, and on PostgreSQL those whose key is
        neither stored nor repeated in the batch: new golden rows, COPYed as columns."""
        if conn.dialect.name != "postgresql":
            return batch.incoming(), None
        keys = batch.columns[key]
        # ``counts`` are of the whole batch written, of which ``batch`` may be a part.
        if not stored and all(counts[k] == 1 for k in keys):  # every key is new, once
            return [], batch
        fresh: list[int] = []
        merged: list[int] = []
        for i, k in enumerate(keys):
            (fresh if k not in stored and counts[k] == 1 else merged).append(i)
        return batch.incoming(merged), batch.take(fresh)

    def _insert_ignore(self, conn: Connection, table: Any, rows: list[Row], unique: str) -> None:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(table).on_conflict_do_nothing(index_elements=[unique]), rows)

    def _set_cursor(self, conn: Connection, source: str, value: Any, run_id: str, now: datetime):
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(schema.sync_state).values(
            source=source, cursor=value, run_id=run_id, updated_at=now
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["source"],
                set_={"cursor": stmt.excluded.cursor, "run_id": run_id, "updated_at": now},
            )
        )

    # -- reads ------------------------------------------------------------------------

    def get(self, entity: str, key: str) -> Row | None:
        """The golden record, with its per-field provenance."""
        spec = self._entity(entity)
        rows = self._rows(select(spec.table).where(spec.table.c[spec.key] == key), spec.fields)
        return rows[0] if rows else None

    def existing_keys(self, entity: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a golden record."""
        spec = self._entity(entity)
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        column = spec.table.c[spec.key]
        with self.engine.connect() as conn:
            for match in _key_matches(conn, column, wanted):
                found.update(conn.execute(select(column).where(match)).scalars())
        return found

    def keys(self, entity: str, *, limit: int = 100) -> list[str]:
        """Keys of golden records, oldest first."""
        spec = self._entity(entity)
        q = select(spec.table.c[spec.key]).order_by(spec.table.c.created_at, spec.table.c[spec.key])
        with self.engine.connect() as conn:
            return list(conn.execute(q.limit(limit)).scalars())

    def history(self, entity: str, key: str) -> list[Row]:
        """Every version of a record, oldest first; the last is the current golden record.

        Each is ``{"version", "valid_from", "valid_to", "data", "provenance"}``: what the
        hub held from ``valid_from`` until ``valid_to`` (None: still current).
        """
        rv = schema.record_version
        q = select(rv).where(rv.c.entity == entity, rv.c.entity_key == key).order_by(rv.c.version)
        versions = [v for v in self._rows(q) if v["valid_to"] is not None]
        golden = self.get(entity, key)
        if golden is not None:
            spec = self._entity(entity)
            versions.append(
                {
                    "entity": entity,
                    "entity_key": key,
                    "version": golden["version"],
                    "valid_from": golden["updated_at"],
                    "valid_to": None,
                    "data": {f: jsonable(golden.get(f)) for f in (spec.key, *spec.fields)},
                    "provenance": golden["provenance"],
                    "run_id": None,
                }
            )
        return versions

    def as_of(self, entity: str, key: str, when: datetime) -> Row | None:
        """What the hub knew about a record at ``when`` (None if it knew nothing yet)."""
        when = _aware(when).astimezone(UTC)  # type: ignore[union-attr]
        for version in self.history(entity, key):
            end = version["valid_to"]
            if version["valid_from"] <= when and (end is None or when < end):
                return version
        return None

    def conflicts(self, entity: str, key: str) -> list[Row]:
        mc = schema.merge_conflict
        q = select(mc).where(mc.c.entity == entity, mc.c.entity_key == key).order_by(mc.c.id)
        return self._rows(q)

    def quarantined(
        self,
        *,
        status: str | None = "open",
        source: str | None = None,
        rule: str | None = None,
        limit: int | None = 100,
    ) -> list[Row]:
        q = select(schema.quarantine).order_by(schema.quarantine.c.id)
        for col, value in (("status", status), ("source", source), ("rule", rule)):
            if value:
                q = q.where(schema.quarantine.c[col] == value)
        if limit:
            q = q.limit(limit)
        return self._rows(q)

    def count(self, table_name: str, **where: Any) -> int:
        table = schema.metadata.tables[table_name]
        q = select(func.count()).select_from(table)
        for col, value in where.items():
            q = q.where(table.c[col] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def quarantine_counts(self, *, status: str = "open") -> list[Row]:
        """Open quarantine entries per source and rule, largest first."""
        qt = schema.quarantine
        q = (
            select(qt.c.source, qt.c.rule, func.count().label("n"))
            .where(qt.c.status == status)
            .group_by(qt.c.source, qt.c.rule)
            .order_by(func.count().desc())
        )
        return self._rows(q)

    def forget_cursors(self, sources: Iterable[str]) -> None:
        """Drop the saved cursors of ``sources`` (the progress of a finished partition)."""
        names = list(sources)
        with self.engine.begin() as conn:
            conn.execute(sa_delete(schema.sync_state).where(schema.sync_state.c.source.in_(names)))

    def cursor(self, source: str) -> Any:
        ss = schema.sync_state
        with self.engine.connect() as conn:
            return conn.execute(select(ss.c.cursor).where(ss.c.source == source)).scalar()

    def _rows(self, query: Any, fields: Sequence[str] = ()) -> list[Row]:
        """Rows as dicts, times aware, provenance expanded (golden rows: give ``fields``)."""
        with self.reads.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            for k, v in row.items():
                if isinstance(v, datetime):
                    row[k] = _aware(v)
            if isinstance(row.get("provenance"), dict):
                row["provenance"] = expand_provenance(row["provenance"], row, fields)
        return rows

    def _entity(self, name: str) -> Entity:
        # The canonical model imports the schema from this package, so look it up lazily.
        from tongban.entities import entity

        return entity(name)


def _changed_rows(
    batch: IncomingColumns,
    key: str,
    fields: Sequence[str],
    held: Mapping[str, Sequence[Any]],
    counts: Counter[str],
) -> list[int]:
    """The rows of ``batch`` that may change the store: all but those offering exactly
    what their golden row holds, every field of which came from this same source (the
    test of ``merge._unchanged``), decided on the tuples :meth:`Store._held` gives, with
    no dict or ``Incoming`` a record. A key twice in the batch is left to the merge,
    which applies its records in order.

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

# merge.sole_source in SQL: the source of the one origin of a short-form provenance
# (an object holding only "origins", a list of one object whose source is a string).
# Nested CASEs: the conditions of one AND may be evaluated in any order.
_SOLE_SOURCE_SQL = (
    "CASE WHEN jsonb_typeof(provenance) = 'object'"
    " THEN CASE WHEN provenance - 'origins' = '{}'::jsonb"
    " AND jsonb_typeof(provenance -> 'origins') = 'array'"
    " THEN CASE WHEN jsonb_array_length(provenance -> 'origins') = 1"
    " AND jsonb_typeof(provenance -> 'origins' -> 0 -> 'source') = 'string'"
    " THEN provenance -> 'origins' -> 0 ->> 'source' END END END"
)
_SOLE_SOURCE: Label[Any] = literal_column(_SOLE_SOURCE_SQL).label("sole_source")


def _constraint_violation(exc: BaseException) -> bool:
    """An integrity constraint broken (SQLSTATE class 23), whether SQLAlchemy raised it or
    the driver did on a COPY, which goes around SQLAlchemy."""
    return isinstance(exc, IntegrityError) or str(getattr(exc, "sqlstate", None)).startswith("23")


def _key_matches(conn: Connection, column: Any, keys: Sequence[str]) -> Iterator[Any]:
    """``column`` matching ``keys``, a condition per chunk of them."""
    for i in range(0, len(keys), _IN_CHUNK):
        chunk = list(keys[i : i + _IN_CHUNK])
        if conn.dialect.name == "postgresql":
            # One array parameter instead of thousands of bound values.
            yield column == any_(bindparam("keys", chunk, type_=ARRAY(String)))
        else:
            yield column.in_(chunk)


def _quarantine_row(q: QuarantineEntry, run_id: str, now: datetime) -> Row:
    # Kept as received, but with what neither store can hold written as \uXXXX.
    raw = storable({k: jsonable(v) for k, v in q.raw.items()})
    fingerprint_text = json.dumps(
        [q.entity, q.source, q.source_record, raw, q.rule], ensure_ascii=False, sort_keys=True
    )
    return {
        "fingerprint": hashlib.sha256(fingerprint_text.encode("utf-8")).hexdigest(),
        "entity": q.entity,
        "source": q.source,
        "source_record": storable(q.source_record),
        "raw": raw,
        "rule": q.rule,
        "expectation": q.expectation,
        "field": storable(q.field),
        "message": storable(q.message),
        "status": "open",
        "corrections": [],
        "run_id": run_id,
        "created_at": now,
        "updated_at": now,
    }


def _json_loads(data: str | bytes) -> Any:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:  # what only Python's parser reads (say, 1e400 as inf)
        return json.loads(data)


def _psycopg_json(dbapi_conn: Any, _record: Any) -> None:
    """JSON and JSONB values read with msgspec: a merge reads the provenance of every
    stored record it meets, and Python's own parser costs several times as much."""
    from psycopg.types.json import set_json_loads

    set_json_loads(_json_loads, dbapi_conn)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
