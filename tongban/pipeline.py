"""The load path every record takes: normalize, validate, merge into the store.

Steps are plain functions over explicit inputs (the store, an entity, records and where
they came from), so the CLI, a test or an Airflow task can call them alike.

    >>> summary = load_records(store, "person", [("a.csv:2", {"id_number": ..., "name": ...})],
    ...                        source="manual")                       # doctest: +SKIP
    >>> summary.read == summary.inserted + summary.updated + summary.unchanged + summary.quarantined
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tongban.entities import entity as entity_spec
from tongban.errors import RecordError
from tongban.identifiers.id_number import RegionCheck
from tongban.store import Incoming, QuarantineEntry, Store

__all__ = ["RunSummary", "load_records"]

SourceRecord = tuple[str | None, Mapping[str, Any]]


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
    timings: dict[str, float] = field(default_factory=dict)
    message: str | None = None

    @property
    def reconciles(self) -> bool:
        """Every record read ended inserted, updated, unchanged or quarantined."""
        return self.read == self.inserted + self.updated + self.unchanged + self.quarantined

    def counts(self) -> dict[str, int]:
        keys = ("read", "inserted", "updated", "unchanged", "quarantined", "conflicts")
        return {k: getattr(self, k) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_records(
    store: Store,
    entity: str,
    records: Iterable[SourceRecord],
    *,
    source: str,
    batch_size: int = 5000,
    region_check: RegionCheck = "historical",
    kind: str = "load",
    on_batch: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """Load ``(source_record_id, raw_record)`` pairs for one entity from one source.

    Each batch is normalized, then merged with its quarantined records in one
    transaction. A failure stops the run, marks it failed in the run log with the
    message and re-raises; batches already written stay written, and are unchanged
    when the run is repeated.
    """
    spec = entity_spec(entity)
    summary = RunSummary(store.start_run(source, entity=entity, kind=kind), source, entity)
    timings = summary.timings
    timings.update(normalize=0.0, write=0.0)
    started = time.perf_counter()
    try:
        for chunk in _chunks(records, batch_size):
            t0 = time.perf_counter()
            good: list[Incoming] = []
            bad: list[QuarantineEntry] = []
            for source_record, raw in chunk:
                try:
                    rec = spec.normalize(raw, region_check=region_check)
                except RecordError as exc:
                    bad.append(
                        QuarantineEntry(
                            entity,
                            source,
                            source_record,
                            dict(raw),
                            exc.rule,
                            exc.message,
                            exc.field,
                        )
                    )
                else:
                    good.append(Incoming(rec, source, source_record))
            t1 = time.perf_counter()
            result = store.write_batch(entity, good, run_id=summary.run_id, quarantined=bad)
            timings["write"] += time.perf_counter() - t1
            timings["normalize"] += t1 - t0
            summary.read += len(chunk)
            summary.inserted += result.inserted
            summary.updated += result.updated
            summary.unchanged += result.unchanged
            summary.quarantined += result.quarantined
            summary.conflicts += result.conflicts
            if on_batch:
                on_batch(summary)
    except BaseException as exc:
        summary.status = "failed"
        summary.message = f"{type(exc).__name__}: {exc}"
        timings["total"] = time.perf_counter() - started
        store.finish_run(
            summary.run_id, status="failed", counts=summary.counts(), timings=timings,
            message=summary.message,
        )  # fmt: skip
        raise
    summary.status = "succeeded"
    timings["total"] = time.perf_counter() - started
    store.finish_run(summary.run_id, status="succeeded", counts=summary.counts(), timings=timings)
    return summary


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
