"""The load path every record takes: map, normalize, validate, merge into the store.

Steps are plain functions over explicit inputs (the store, an entity, pages of records
and where they came from), so the CLI, a test or an Airflow task can call them alike;
nothing here assumes a terminal or a single process.

A page is a list of ``(source_record_id, raw_record)`` pairs and the source's cursor
after it. Pages are written in batches; a batch's records, its quarantined records and
the cursor of its last page are committed in one transaction, so a run killed anywhere
resumes right after the last committed page and neither loses nor repeats a record.

    >>> summary = load_records(store, "person", [("a.csv:2", {"id_number": ..., "name": ...})],
    ...                        source="manual")                       # doctest: +SKIP
    >>> summary.read == summary.inserted + summary.updated + summary.unchanged + summary.quarantined
    True
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from tongban.batch import Batch
from tongban.entities import entity as entity_spec
from tongban.errors import BatchHeld
from tongban.options import SyncOptions
from tongban.prepare import (
    BatchCheck,
    Mapper,
    Prepared,
    SourceRecord,
    Staged,
    prepare_batch,
    prepare_pages,
)
from tongban.store import (
    BatchResult,
    ChildBatch,
    Incoming,
    QuarantineEntry,
    Store,
)

__all__ = [
    "Prepared",
    "RunSummary",
    "fewer_collections",
    "load_records",
    "prepare_batch",
    "run_pages",
]

DEFAULTS = SyncOptions()
"""The options of a load given none: those of a hub with default settings."""

PageLike = tuple[Sequence[SourceRecord] | Staged | Prepared, Any]  # records, cursor after them


class FanOutLike(Protocol):
    """Records of other entities inside a source's records (``connectors.children``):
    called with each prepared page, in order, it gives what it found there; ``batches``
    prepares what a batch's pages found, to be written with the batch."""

    def __call__(self, page: Prepared) -> list[Any]: ...

    def batches(self, found: list[Any]) -> list[ChildBatch]: ...


@dataclass
class RunSummary:
    run_id: str
    source: str
    entity: str
    status: str = "running"
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    conflicts: int = 0
    pages: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    children: dict[str, dict[str, int]] = field(default_factory=dict)
    """Counts of the records of other entities found in the source's, by entity."""

    @property
    def reconciles(self) -> bool:
        """Every record read ended inserted, updated, unchanged or quarantined."""
        return self.read == self.inserted + self.updated + self.unchanged + self.quarantined

    def counts(self) -> dict[str, int]:
        keys = ("read", "inserted", "updated", "unchanged", "quarantined", "conflicts")
        return {k: getattr(self, k) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, read: int, result: BatchResult) -> None:
        self.read += read
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.quarantined += result.quarantined
        self.conflicts += result.conflicts
        for entity, counts in result.children:
            mine = self.children.setdefault(entity, {})
            for k in ("inserted", "updated", "unchanged", "quarantined", "conflicts"):
                mine[k] = mine.get(k, 0) + getattr(counts, k)


@contextmanager
def fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while batches are built.

    A batch makes hundreds of thousands of small dicts that all stay alive until it is
    written; with the default threshold (700 new objects) the collector walks them again
    and again for nothing. Loads run about 15% faster with it relaxed; the previous
    thresholds come back afterwards.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run_pages(
    store: Store,
    entity: str,
    pages: Iterable[PageLike],
    *,
    source: str,
    options: SyncOptions = DEFAULTS,
    kind: str = "load",
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    save_cursor: bool = False,
    on_batch: Callable[[RunSummary], None] | None = None,
    run_id: str | None = None,
    fan_out: FanOutLike | None = None,
) -> RunSummary:
    """Run pages of one source through the load path and log the run.

    ``options`` gives the batch size, the validation group and the region check (the rest
    of a sync's options are the caller's). With ``save_cursor``, each batch commits the
    cursor of its last page together with its records. ``fan_out`` gives the records of
    other entities found in a prepared page's records (``connectors.children``); they are
    written with the page's batch. A failure stops the run, marks it failed in the run log
    with the exception's message and re-raises; batches already written stay written.
    """
    batch_size, group = options.batch_size, options.quality_group
    region_check = options.region_check
    spec = entity_spec(entity)
    run_id = run_id or store.start_run(source, entity=entity, kind=kind)
    summary = RunSummary(run_id, source, entity)
    timings = summary.timings
    timings.update(extract=0.0, normalize=0.0, write=0.0)
    started = time.perf_counter()
    good: list[Batch | list[Incoming]] = []
    bad: list[QuarantineEntry] = []
    kids: list[Any] = []
    read = 0
    cursor: Any = None
    have_cursor = False

    def take(page: Prepared) -> None:
        nonlocal read
        if len(page.good):
            good.append(page.good)
        bad.extend(page.bad)
        if fan_out is not None:
            kids.extend(fan_out(page))
        read += page.read
        timings["normalize"] += page.seconds
        for result in page.validations:
            timings["validate"] = timings.get("validate", 0.0) + result.get("seconds", 0.0)
            store.record_validation({**result, "run_id": run_id, "source": source})

    # A validated group's batches may all wait for the writer while the next is prepared.
    depth = -(-group // batch_size) + 1 if check is not None else 1
    writer = _Writer(store, entity, run_id, summary, on_batch, depth)

    def flush() -> None:
        nonlocal good, bad, read, kids
        writer.submit(
            _one_batch(good),
            bad,
            read,
            (source, cursor) if save_cursor and have_cursor else None,
            fan_out.batches(kids) if fan_out is not None and kids else [],
        )
        good, bad, read, kids = [], [], 0, []

    try:
        with fewer_collections():
            t_wait = time.perf_counter()
            prepared = prepare_pages(
                spec, source, pages, mapper=mapper, check=check, region_check=region_check,
                group=group,
            )  # fmt: skip
            for page_records, page_cursor in prepared:
                timings["extract"] += time.perf_counter() - t_wait
                take(page_records)
                cursor, have_cursor = page_cursor, True
                summary.pages += 1
                if read >= batch_size:
                    flush()
                t_wait = time.perf_counter()
            timings["extract"] += time.perf_counter() - t_wait
            if read or (save_cursor and have_cursor):
                flush()
            writer.close()
    except BaseException as exc:
        also = ""
        try:
            writer.close()  # let the batch in flight commit or fail before reporting
        except BaseException as late:
            also = f" (and the batch being written failed: {type(late).__name__}: {late})"
        summary.status = "failed"
        summary.message = f"{type(exc).__name__}: {exc}{also}"
        if isinstance(exc, BatchHeld):
            summary.message = _hold(store, exc, run_id, source, entity) + also
        timings["total"] = time.perf_counter() - started
        store.finish_run(
            run_id, status="failed", counts=summary.counts(), timings=timings,
            message=summary.message,
        )  # fmt: skip
        raise
    summary.status = "succeeded"
    timings["total"] = time.perf_counter() - started
    store.finish_run(run_id, status="succeeded", counts=summary.counts(), timings=timings)
    return summary


def _one_batch(parts: list[Batch | list[Incoming]]) -> Batch | list[Incoming]:
    """Pages' records as one batch (records a reviewer corrected stay records, each
    with its correction)."""
    batches = [p for p in parts if isinstance(p, Batch)]
    if len(batches) == len(parts) and parts:
        return Batch.concat(batches)
    records = [_incoming(p) if isinstance(p, Batch) else p for p in parts]
    return [item for part in records for item in part]


def _incoming(batch: Batch) -> list[Incoming]:
    source = batch.source or ""
    return [Incoming(r, source, i) for r, i in zip(batch.rows(), batch.record_ids, strict=True)]


def _hold(store: Store, held: BatchHeld, run_id: str, source: str, entity: str) -> str:
    """Keep the refused batch for review; the store's records are untouched."""
    if held.result is not None:
        store.record_validation({**held.result, "run_id": run_id, "source": source})
    batch_id = store.hold_batch(
        run_id=run_id, source=source, entity=entity, reason=held.reason, records=held.records,
        cursor_before=store.cursor(source), cursor_after=held.cursor_after,
    )  # fmt: skip
    return (
        f"the data-quality gate held back a batch of {len(held.records)} records (kept for"
        f" review as held batch {batch_id}): {held.reason}"
    )


class _Writer:
    """Writes batches on a background thread, one at a time and in order, while the next
    pages are fetched, validated and normalized (the driver releases the GIL while the
    database works).

    Up to ``depth`` batches wait their turn: validation prepares a whole group of pages at
    once, and its batches are written while the next group is prepared. After a failed
    write, the batches behind it are not written: each commits its cursor, and a cursor
    past a lost batch would skip its records.
    """

    def __init__(
        self,
        store: Store,
        entity: str,
        run_id: str,
        summary: RunSummary,
        on_batch: Callable[[RunSummary], None] | None,
        depth: int = 1,
    ):
        self.store, self.entity, self.run_id = store, entity, run_id
        self.summary, self.on_batch = summary, on_batch
        self.depth = max(1, depth)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="tongban-write")
        self._pending: deque[tuple[Future[tuple[BatchResult, float]], int]] = deque()
        self._broken = False

    def submit(
        self,
        good: Batch | list[Incoming],
        bad: list[QuarantineEntry],
        read: int,
        cursor: tuple[str, Any] | None,
        children: list[ChildBatch] | None = None,
    ) -> None:
        self._settle(keep=self.depth - 1)
        future = self._pool.submit(self._write, good, bad, cursor, children or [])
        self._pending.append((future, read))

    def _write(
        self,
        good: Batch | list[Incoming],
        bad: list[QuarantineEntry],
        cursor: tuple[str, Any] | None,
        children: list[ChildBatch],
    ) -> tuple[BatchResult, float]:
        if self._broken:
            raise _NotWritten("an earlier batch of this run failed to write")
        t0 = time.perf_counter()
        try:
            result = self.store.write_batch(
                self.entity,
                good,
                run_id=self.run_id,
                quarantined=bad,
                cursor=cursor,
                children=children,
            )
        except BaseException:
            self._broken = True
            raise
        return result, time.perf_counter() - t0

    def _settle(self, keep: int) -> None:
        """Account for finished batches in order; wait until at most ``keep`` are pending.
        The first failure is raised here."""
        while self._pending and (len(self._pending) > keep or self._pending[0][0].done()):
            future, read = self._pending.popleft()
            result, seconds = future.result()
            self.summary.timings["write"] += seconds
            self.summary.add(read, result)
            if self.on_batch:
                self.on_batch(self.summary)

    def wait(self) -> None:
        self._settle(keep=0)

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._broken = True  # anything still queued after a failure stays unwritten
            self._pool.shutdown(wait=True)


class _NotWritten(Exception):
    """A batch queued behind a failed one."""


def load_records(
    store: Store,
    entity: str,
    records: Iterable[SourceRecord],
    *,
    source: str,
    options: SyncOptions = DEFAULTS,
    kind: str = "load",
    on_batch: Callable[[RunSummary], None] | None = None,
    check: BatchCheck | None = None,
) -> RunSummary:
    """Load ``(source_record_id, raw_record)`` pairs for one entity from one source; the
    records already use canonical field names. Repeating a load changes nothing."""
    return run_pages(
        store, entity, ((chunk, None) for chunk in _chunks(records, options.batch_size)),
        source=source, options=options, kind=kind, on_batch=on_batch, check=check,
    )  # fmt: skip


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
