"""One sync split into partitions that run in parallel (Airflow mapped tasks) and still end
exactly as one plain sync would.

Every partition reads the same pages from the same start cursor, maps, normalizes and
validates them all (so the data-quality gate decides on the same groups as a plain run),
and writes only its share: the records whose key hashes to it, and the quarantined
records whose source record does. All the records of one key therefore land in one
partition, in source order, in batches cut where a plain run would cut them, so the
store's values, history versions and conflicts come out the same. Each partition commits
its own progress cursor with every batch (a retried partition resumes after its last
batch, and one that had finished returns where it ended); :func:`finish_partitions`
moves the source's cursor once every partition reached the same end, and forgets the
partitions' own.

    >>> start = plan_partitions(store, definition)                        # doctest: +SKIP
    >>> options = SyncOptions.from_settings(settings)                     # doctest: +SKIP
    >>> ends = [sync_partition(store, definition, start, options, part=i, of=2, env=env)
    ...         for i in range(2)]                                        # doctest: +SKIP
    >>> finish_partitions(store, definition, ends)                        # doctest: +SKIP

Only the extraction is repeated per partition; validation and the writes (the larger
part of a sync on PostgreSQL) are split.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.children import fan_out_of
from connectors.definition import SourceDefinition
from connectors.quality import batch_check
from connectors.registry import open_connector
from connectors.sync import prefetch
from connectors.transforms import compile_mapping
from tongban.batch import Batch
from tongban.entities import ENTITIES
from tongban.errors import BatchHeld, FatalError
from tongban.options import SyncOptions
from tongban.pipeline import RunSummary
from tongban.prepare import Prepared, prepare_pages
from tongban.store import Incoming, QuarantineEntry, Store

__all__ = ["PartitionEnd", "finish_partitions", "plan_partitions", "sync_partition"]


@dataclass(frozen=True)
class PartitionEnd:
    """Where one partition stopped: the source cursor after its last page, and its counts."""

    part: int
    cursor: Any
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "cursor": self.cursor, "counts": self.counts}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> PartitionEnd:
        return cls(int(value["part"]), value["cursor"], dict(value["counts"]))


def _progress_key(name: str, part: int, of: int) -> str:
    return f"{name}~{part + 1}of{of}"


def _share(value: Any, of: int) -> int:
    return zlib.crc32(str(value).encode()) % of


def plan_partitions(store: Store, definition: SourceDefinition) -> Any:
    """The cursor every partition of this run starts from (the source's saved cursor)."""
    return store.cursor(definition.name)


def _take(page: Prepared, key: str, part: int, of: int) -> tuple[Any, list[QuarantineEntry]]:
    good = page.good
    if isinstance(good, Batch):
        rows = [i for i, k in enumerate(good.column(key)) if _share(k, of) == part]
        mine: Any = good.take(rows)
    else:
        mine = [r for r in good if _share(r.record[key], of) == part]
    bad = [q for q in page.bad if _share(q.source_record, of) == part]
    return mine, bad


def _record_ids(good: Any) -> set[str | None]:
    if isinstance(good, Batch):
        return set(good.record_ids)
    return {r.source_record for r in good}


def _join(parts: list[Any]) -> list[Incoming] | Batch:
    if parts and all(isinstance(p, Batch) for p in parts):
        return Batch.concat(parts)
    return [item for p in parts for item in p]


def _batches(
    prepared: Iterable[tuple[Prepared, Any]], batch_size: int
) -> Iterator[tuple[list[Prepared], Any]]:
    """Pages grouped where a plain run cuts its batches: once the records read reach
    ``batch_size`` (counting every record read, not just this partition's)."""
    pages: list[Prepared] = []
    read, cursor = 0, None
    for page, page_cursor in prepared:
        pages.append(page)
        read += page.read
        cursor = page_cursor
        if read >= batch_size:
            yield pages, cursor
            pages, read = [], 0
    if pages:
        yield pages, cursor


def sync_partition(
    store: Store,
    definition: SourceDefinition,
    start: Any,
    options: SyncOptions,
    *,
    part: int,
    of: int,
    env: Mapping[str, str],
) -> PartitionEnd:
    """Sync partition ``part`` (0-based) of ``of`` from ``start`` (or from where this
    partition's last attempt stopped). Logged in the run log as ``<source>~<i>of<n>``.

    Of ``options``, ``full`` and ``worker`` do not apply (the plan gives the start; a
    partition is a process of its own already), nor ``cache_dir``: partitions run at
    once, and each reads its system's description afresh rather than race to cache it."""
    if not 0 <= part < of:
        raise ValueError(f"partition {part} is not one of 0..{of - 1}")
    name, entity = definition.name, definition.entity
    key = ENTITIES[entity].key
    progress = _progress_key(name, part, of)
    with store.source_lock(progress):
        # Logged under the partition's own name, so a retry marks only its own killed
        # attempt interrupted.
        run_id = store.start_run(progress, entity=entity, kind="sync partition")
        store.interrupt_runs(progress, keep=run_id)
        summary = RunSummary(run_id, name, entity)
        started = time.perf_counter()
        resumed = store.cursor(progress)
        if resumed is not None and resumed.get("done"):
            # An earlier attempt finished its share but died before saying so: reading on
            # from its end would start a new pass, so its end stands.
            store.finish_run(run_id, status="succeeded", counts={},
                             message="finished by an earlier attempt")  # fmt: skip
            return PartitionEnd(part, resumed["cursor"], dict(resumed["counts"]))
        cursor = resumed["cursor"] if resumed is not None else start
        timings = summary.timings
        timings.update(setup=0.0, extract=0.0, normalize=0.0, validate=0.0, write=0.0)
        region_check = options.region_check
        check = (
            batch_check(definition, store=store, region_check=region_check)
            if options.validate
            else None
        )
        try:
            connector = open_connector(definition, env=env)
            fetched = prefetch(connector.pages(cursor), options.prefetch_pages)
            fan_out = fan_out_of(definition, store, options, run_id)
            raw = ((p.records, p.cursor) for p in fetched)
            timings["setup"] = time.perf_counter() - started  # the gate's suite, the client
            try:
                prepared = prepare_pages(
                    ENTITIES[entity], name, fan_out.tee(raw) if fan_out else raw,
                    mapper=compile_mapping(definition.fields()), check=check,
                    region_check=region_check, group=options.quality_group,
                )  # fmt: skip
                t_wait = time.perf_counter()
                for pages, end in _batches(prepared, options.batch_size):
                    timings["extract"] += time.perf_counter() - t_wait
                    goods, bads, found = [], [], []
                    for page in pages:
                        timings["normalize"] += page.seconds
                        for result in page.validations:
                            timings["validate"] += result.get("seconds", 0.0)
                            if part == 0:  # one record of each validation, not one per part
                                store.record_validation({**result, "run_id": run_id,
                                                         "source": name})  # fmt: skip
                        mine, bad = _take(page, key, part, of)
                        goods.append(mine)
                        bads.extend(bad)
                        if fan_out is not None:  # the children of this partition's records
                            found += fan_out(page, only=_record_ids(mine))
                    good = _join(goods)
                    t_write = time.perf_counter()
                    written = store.write_batch(
                        entity, good, run_id=run_id, quarantined=bads,
                        cursor=(progress, {"cursor": end}),
                        children=fan_out.batches(found) if fan_out and found else (),
                    )  # fmt: skip
                    timings["write"] += time.perf_counter() - t_write
                    summary.add(len(good) + len(bads), written)
                    summary.pages += len(pages)
                    cursor = end
                    t_wait = time.perf_counter()
                timings["extract"] += time.perf_counter() - t_wait
            finally:
                fetched.close()
                connector.close()
        except BaseException as exc:
            message = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, BatchHeld):
                message = f"the data-quality gate held back a batch: {exc.reason}"
            timings["total"] = time.perf_counter() - started
            store.finish_run(run_id, status="failed", counts=summary.counts(), message=message,
                             timings=timings)  # fmt: skip
            raise
        done = {"cursor": cursor, "done": True, "counts": summary.counts()}
        store.write_batch(entity, [], run_id=run_id, cursor=(progress, done))
        timings["total"] = time.perf_counter() - started
        store.finish_run(run_id, status="succeeded", counts=summary.counts(), timings=timings)
    return PartitionEnd(part, cursor, summary.counts())


def finish_partitions(
    store: Store, definition: SourceDefinition, ends: Sequence[PartitionEnd | Mapping[str, Any]]
) -> dict[str, int]:
    """Move the source's cursor to where every partition stopped and forget theirs.

    Partitions that stopped at different cursors (the system changed during the run)
    leave the source's cursor where it was: the next run reads that stretch again, and
    what is stored already comes out unchanged."""
    name = definition.name
    done = sorted(
        (e if isinstance(e, PartitionEnd) else PartitionEnd.from_dict(e) for e in ends),
        key=lambda e: e.part,
    )
    of = len(done)
    if [e.part for e in done] != list(range(of)):
        raise FatalError(f"{name}: partitions {[e.part for e in done]} are not 0..{of - 1}")
    cursors = {repr(e.cursor) for e in done}
    progress = [_progress_key(name, e.part, of) for e in done]
    if len(cursors) != 1:
        store.forget_cursors(progress)
        raise FatalError(
            f"{name}: the partitions ended at different cursors ({sorted(cursors)}); the system"
            " changed during the run, so the source's cursor stays where it was"
        )
    with store.source_lock(name):
        run_id = store.start_run(name, entity=definition.entity, kind="partitions done")
        if done[0].cursor is not None:
            store.write_batch(definition.entity, [], run_id=run_id,
                              cursor=(name, done[0].cursor))  # fmt: skip
        store.forget_cursors(progress)
        totals = {k: sum(e.counts.get(k, 0) for e in done) for k in done[0].counts}
        told = ", ".join(f"{k} {v}" for k, v in totals.items())
        # The partitions' own runs carry the counts; this run only says they are joined.
        store.finish_run(run_id, status="succeeded", counts={},
                         message=f"{of} partitions: {told}")  # fmt: skip
    return totals
