"""The golden writer: a batch merged into the golden rows, with its history versions,
conflicts, quarantined records, cursor and run counts, in one transaction.

New golden rows go by COPY where the dialect has it (:mod:`tongban.store._bulk`); the
rest through :func:`~tongban.store.merge.plan_merge`, the one merge.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from tongban.batch import Batch
from tongban.store import schema
from tongban.store._bulk import JsonCache, insert_new, insert_new_columns, insert_rows, update_rows
from tongban.store.columns import IncomingColumns
from tongban.store.dialect import constraint_violation, dialect_of
from tongban.store.golden import GoldenTable, golden_table, utcnow
from tongban.store.holders import refresh_holders
from tongban.store.merge import Incoming, MergeRules, compact_provenance, plan_merge
from tongban.store.quality import QuarantineEntry, quarantine_row
from tongban.store.runs import count_in_run, set_cursor
from tongban.store.unchanged import changed_rows, held

__all__ = ["BatchResult", "ChildBatch", "GoldenWriter"]

Row = dict[str, Any]


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
    records: Sequence[Incoming] | Batch
    quarantined: Sequence[QuarantineEntry] = ()


class GoldenWriter:
    """Writes batches over ``engine``, merging by ``rules``."""

    def __init__(self, engine: Engine, rules: MergeRules):
        self.engine = engine
        self.rules = rules
        # Per entity: whether its last columnar batch found none of its keys stored.
        self._all_new: dict[str, bool] = {}

    def write_batch(
        self,
        entity: str,
        records: Sequence[Incoming] | Batch,
        *,
        run_id: str,
        quarantined: Sequence[QuarantineEntry] = (),
        cursor: tuple[str, Any] | None = None,
        children: Sequence[ChildBatch] = (),
    ) -> BatchResult:
        """See :meth:`tongban.store.Store.write_batch`."""
        spec = golden_table(entity)
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    kids = tuple(
                        (c.entity, self._write(conn, golden_table(c.entity), c.records, run_id,
                                               c.quarantined, None, count=False))
                        for c in children
                    )  # fmt: skip
                    result = self._write(conn, spec, records, run_id, quarantined, cursor)
                    return dataclasses.replace(result, children=kids) if kids else result
            except Exception as exc:
                # Another writer inserted one of our new keys first: re-read and re-plan.
                if attempt == 2 or not constraint_violation(exc):
                    raise
        raise AssertionError("unreachable")

    def _write(
        self,
        conn: Connection,
        spec: GoldenTable,
        records: Sequence[Incoming] | Batch,
        run_id: str,
        quarantined: Sequence[QuarantineEntry],
        cursor: tuple[str, Any] | None,
        *,
        count: bool = True,
    ) -> BatchResult:
        table, key = spec.table, spec.key
        copies = dialect_of(conn).copies
        now = utcnow()
        columnar = _columns_of(records) if isinstance(records, Batch) else None
        if isinstance(records, Batch):
            records = []
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
            holding = held(conn, table, key, spec.fields, list(counts))
            self._all_new[spec.name] = not holding  # the next batch may try COPY first
            rest = changed_rows(columnar, key, spec.fields, holding, counts)
            skipped = len(columnar) - len(rest)
            columnar = columnar.take(rest)
            merging = [k for k in dict.fromkeys(columnar.columns[key]) if k in holding]
            stored = _stored(conn, table, key, merging) if merging else {}
            records, fresh = _split_fresh(copies, columnar, key, stored, counts)
        else:
            stored = _stored(conn, table, key, list(counts))
        if columnar is None and copies:
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
            _insert_ignore(conn, schema.merge_conflict, plan.conflicts, "fingerprint")
        if quarantined:
            rows = [quarantine_row(q, run_id, now) for q in quarantined]
            _insert_ignore(conn, schema.quarantine, rows, "fingerprint")
        if cursor is not None:
            set_cursor(conn, cursor[0], cursor[1], run_id, now)
        result = BatchResult(
            plan.inserted + len(new) + copied, plan.updated, plan.unchanged + skipped,
            len(quarantined), len(plan.conflicts),
        )  # fmt: skip
        if spec.name == "license" and (result.inserted or result.updated):
            refresh_holders(conn, list(counts))
        if count:
            count_in_run(conn, run_id, result)
        return result

    def _copied_all_new(
        self,
        conn: Connection,
        spec: GoldenTable,
        batch: IncomingColumns,
        counts: Counter[str],
        run_id: str,
        now: datetime,
    ) -> bool:
        """COPY a columnar batch as new golden rows without looking its keys up first,
        while the batches of this entity bring only keys the store does not hold (a first
        load), where the dialect copies; True when it did.

        The primary key tells if one is held after all: the COPY is then rolled back to
        its savepoint, and the batch looked up and planned as usual. Saves the look-up,
        about 2 µs a key on the server, on every batch of a first load."""
        if (
            not dialect_of(conn).copies
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
            if not constraint_violation(exc):
                raise
            self._all_new[spec.name] = False
            return False
        savepoint.commit()
        return True


def _stored(conn: Connection, table: Any, key: str, keys: list[str]) -> dict[str, Row]:
    """The golden rows held under ``keys``, by key (provenance in its stored form: the
    merge expands it where it must)."""
    stored: dict[str, Row] = {}
    for match in dialect_of(conn).key_matches(table.c[key], keys):
        result = conn.execute(select(table).where(match))
        names = tuple(result.keys())
        for found in result.all():
            golden = dict(zip(names, found, strict=True))
            stored[golden[key]] = golden
    return stored


def _split_fresh(
    copies: bool,
    batch: IncomingColumns,
    key: str,
    stored: Mapping[str, Row],
    counts: Counter[str],
) -> tuple[list[Incoming], IncomingColumns | None]:
    """The records of a columnar batch to merge, and where the dialect ``copies`` those
    whose key is neither stored nor repeated in the batch: new golden rows, COPYed as
    columns."""
    if not copies:
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


def _insert_ignore(conn: Connection, table: Any, rows: list[Row], unique: str) -> None:
    insert = dialect_of(conn).upsert(table)
    conn.execute(insert.on_conflict_do_nothing(index_elements=[unique]), rows)


def _columns_of(batch: Batch) -> IncomingColumns:
    return IncomingColumns(batch.source or "", batch.fields, batch.columns(), batch.record_ids)
