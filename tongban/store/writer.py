"""The golden writer: a batch merged into the golden rows, with its history versions,
conflicts, quarantined records, cursor and run counts, in one transaction.

A batch's records that make new golden rows alone go by COPY where the dialect has it
(:mod:`tongban.store._bulk`); the rest through :func:`~tongban.store.merge.plan_merge`,
the one merge. Records a reviewer corrected come as a list of :class:`Incoming`, each
with its correction, and go through the same merge.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from tongban.batch import Batch
from tongban.store import schema
from tongban.store._bulk import JsonCache, insert_rows, new_golden_rows, update_rows
from tongban.store.dialect import constraint_violation, dialect_of
from tongban.store.golden import GoldenTable, golden_table, utcnow
from tongban.store.holders import refresh_holders
from tongban.store.merge import Incoming, MergeRules, compact_provenance, plan_merge, unchanged
from tongban.store.quality import QuarantineEntry, quarantine_row
from tongban.store.runs import count_in_run, set_cursor

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
        # Per entity: whether its last batch found none of its keys stored.
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
        now = utcnow()
        cache = JsonCache()  # golden rows and their versions share provenance objects
        copied = skipped = 0
        if isinstance(records, Batch):
            keys = records.column(key)
            counts = Counter(keys)
            if self._copied_all_new(conn, spec, records, counts, run_id, now):
                merging: list[Incoming] = []
                copied = len(records)
            else:
                merging, fresh, skipped = self._sorted(conn, spec, records, keys, counts)
                new_golden_rows(
                    conn, table, key, spec.fields, fresh, run_id=run_id, now=now, cache=cache
                )  # fmt: skip
                copied = len(fresh)
        else:  # records a reviewer corrected, each with its correction
            merging = list(records)
            counts = Counter([r.record[key] for r in merging])
        stored = _stored(conn, table, key, list(dict.fromkeys(r.record[key] for r in merging)))
        plan = plan_merge(
            spec.name, key, spec.fields, stored, merging, self.rules, run_id=run_id, now=now
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
            plan.inserted + copied, plan.updated, plan.unchanged + skipped,
            len(quarantined), len(plan.conflicts),
        )  # fmt: skip
        if spec.name == "license" and (result.inserted or result.updated):
            refresh_holders(conn, list(counts))
        if count:
            count_in_run(conn, run_id, result)
        return result

    def _sorted(
        self,
        conn: Connection,
        spec: GoldenTable,
        batch: Batch,
        keys: list[Any],
        counts: Counter[Any],
    ) -> tuple[list[Incoming], Batch, int]:
        """A batch's records sorted by what they do to the store: those to merge with a
        golden row (or with each other: a key twice in the batch), those that make new
        golden rows alone (COPYed where the dialect copies), and how many change nothing
        (:func:`~tongban.store.merge.unchanged`)."""
        key, fields, table = spec.key, spec.fields, spec.table
        # What the unchanged test reads of each stored row, as the driver gives it.
        columns = [table.c[key], *(table.c[f] for f in fields), table.c.provenance]
        held: dict[Any, Any] = {}
        for match in dialect_of(conn).key_matches(table.c[key], list(counts)):
            held.update((row[0], row) for row in conn.execute(select(*columns).where(match)).all())
        self._all_new[spec.name] = not held  # the next batch may try COPY first
        copies = dialect_of(conn).copies
        offered = zip(*(batch.column(f) for f in fields), strict=True) if held else None
        source = batch.source or ""
        fresh: list[int] = []
        merged: list[int] = []
        skipped = 0
        for i, k in enumerate(keys):
            values = next(offered) if offered is not None else ()
            row = held.get(k)
            if row is None:
                (fresh if copies and counts[k] == 1 else merged).append(i)
            elif counts[k] == 1 and unchanged(row[1:-1], row[-1], values, source):
                skipped += 1
            else:
                merged.append(i)
        rows = batch.take(merged)
        incoming = [
            Incoming(r, source, rid) for r, rid in zip(rows.rows(), rows.record_ids, strict=True)
        ]
        return incoming, batch.take(fresh), skipped

    def _copied_all_new(
        self,
        conn: Connection,
        spec: GoldenTable,
        batch: Batch,
        counts: Counter[Any],
        run_id: str,
        now: datetime,
    ) -> bool:
        """COPY a batch as new golden rows without looking its keys up first, while the
        batches of this entity bring only keys the store does not hold (a first load),
        where the dialect copies; True when it did.

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
            new_golden_rows(
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
    if not keys:
        return stored
    for match in dialect_of(conn).key_matches(table.c[key], keys):
        result = conn.execute(select(table).where(match))
        names = tuple(result.keys())
        for found in result.all():
            golden = dict(zip(names, found, strict=True))
            stored[golden[key]] = golden
    return stored


def _insert_ignore(conn: Connection, table: Any, rows: list[Row], unique: str) -> None:
    insert = dialect_of(conn).upsert(table)
    conn.execute(insert.on_conflict_do_nothing(index_elements=[unique]), rows)
