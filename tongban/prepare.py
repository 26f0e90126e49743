"""From raw records to what the store takes: map, normalize, validate (the data-quality
gate). A page travels as one :class:`~tongban.batch.Batch`: its records end either in
the batch of records to store or as a :class:`QuarantineEntry` naming the rule (and
expectation) they broke.

Validation is a callable handed in (``check``): the Great Expectations suites live in
the ``expectations`` package, which builds on this one. It sees a whole group of pages
at once, because a suite run has a fixed cost (about 0.1 s) that small batches would pay
again and again; a group the gate refuses raises :class:`~tongban.errors.BatchHeld` and
none of its pages is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tongban.batch import Batch
from tongban.entities import Entity
from tongban.errors import BatchHeld, EntryError, RecordError
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck
from tongban.options import QUALITY_GROUP
from tongban.store import Incoming, QuarantineEntry
from tongban.text import scan_records

__all__ = [
    "BatchCheck",
    "Mapper",
    "Prepared",
    "SourceRecord",
    "Staged",
    "VerdictLike",
    "prepare_batch",
    "prepare_outcomes",
    "prepare_pages",
]


SourceRecord = tuple[str | None, Mapping[str, Any]]


class Mapper(Protocol):
    """A source's field mapping (``connectors.mapping.Mapper``): a page of raw records
    as canonical columns, and by row the error of each record a transform failed."""

    def columns(
        self, raws: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, list[Any]], dict[int, RecordError]]: ...


class FailureLike(Protocol):
    @property
    def expectation(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def message(self) -> str: ...


class VerdictLike(Protocol):
    @property
    def gate_passed(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def record_failures(self) -> Mapping[int, Sequence[FailureLike]]: ...
    def as_record(self) -> dict[str, Any]: ...


BatchCheck = Callable[[str, Batch], VerdictLike]
"""Validates a batch of mapped records of an entity (``expectations.validate_batch``)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One page, mapped, validated and normalized (here or in a worker process): the
    records to store and those to quarantine. ``good`` is a list of :class:`Incoming`
    only for records a reviewer corrected (each carries its correction)."""

    good: Batch | list[Incoming]
    bad: list[QuarantineEntry]
    read: int
    seconds: float = 0.0
    validations: list[dict[str, Any]] = field(default_factory=list)


Outcome = tuple[Batch, list[QuarantineEntry]]


@dataclass(slots=True)
class Staged:
    """Pages mapped and normalized, waiting for the group's validation.

    Staging needs no Great Expectations and no store, so it can run in the process that
    fetches (``connectors._worker``) while validation and writing run in the syncing
    one; a staged page pickles as its raw records and two Arrow tables. Each page is
    held as the batch the gate validates (``mapped``) and the batch of its normalized
    records (``normalized``), whose errors are those of mapping and normalization."""

    records: list[SourceRecord] = field(default_factory=list)
    mapped: list[Batch] = field(default_factory=list)
    normalized: list[Batch] = field(default_factory=list)
    seconds: float = 0.0

    def add(
        self,
        spec: Entity,
        records: Sequence[SourceRecord],
        mapper: Mapper | None,
        region_check: RegionCheck,
    ) -> None:
        """Map and normalize ``records`` now (as pages arrive); validation comes later."""
        t0 = time.perf_counter()
        mapped = _mapped(spec, records, mapper)
        self.mapped.append(mapped)
        self.normalized.append(spec.normalize_batch(mapped, region_check=region_check))
        self.records.extend(records)
        self.seconds += time.perf_counter() - t0

    def extend(self, other: Staged) -> None:
        """Append the pages ``other`` staged (a page staged elsewhere joins a group)."""
        self.records.extend(other.records)
        self.mapped.extend(other.mapped)
        self.normalized.extend(other.normalized)
        self.seconds += other.seconds

    def judge(
        self, spec: Entity, source: str, check: BatchCheck | None
    ) -> tuple[Batch, dict[int, QuarantineEntry], dict[str, Any] | None]:
        """Validate the staged records as one batch: the normalized batch, the quarantine
        entry of each record to hold back (by row) and the validation result (None
        without a check). Raises :class:`BatchHeld` when the gate refuses the batch.

        A record the suite fails is quarantined under the expectation even when mapping or
        normalization also failed it (the suite names the rule a reviewer reads first),
        but for a record refused where it entered."""
        t0 = time.perf_counter()
        records = self.records
        normalized = Batch.concat(self.normalized)
        normalized.source = source
        failures: Mapping[int, Sequence[FailureLike]] = {}
        result: dict[str, Any] | None = None
        if check is not None and records:
            mapped = Batch.concat(self.mapped)
            t1 = time.perf_counter()
            verdict = check(spec.name, mapped)
            validated = time.perf_counter() - t1
            if not verdict.gate_passed:
                raise BatchHeld(verdict.reason or "the gate refused the batch", list(records),
                                verdict.as_record())  # fmt: skip
            failures = verdict.record_failures
            result = {**verdict.as_record(), "seconds": validated}
        errors = normalized.errors
        bad = {
            i: _quarantined(spec.name, source, records[i], failures.get(i), errors.get(i))
            for i in sorted({*failures, *errors})
        }
        self.seconds += time.perf_counter() - t0
        return normalized, bad, result

    def conclude_pages(
        self, spec: Entity, source: str, check: BatchCheck | None, sizes: Sequence[int]
    ) -> tuple[list[Outcome], dict[str, Any] | None]:
        """:meth:`judge`, the outcomes given back a page at a time (``sizes``): the
        records to store and those to quarantine."""
        normalized, bad, result = self.judge(spec, source, check)
        t0 = time.perf_counter()
        pieces: list[Outcome] = []
        start = 0
        for size in sizes:
            stop = start + size
            rows = range(start, stop)
            held = [bad[i] for i in rows if i in bad] if bad else []
            chunk = normalized.slice(start, stop)
            if held:
                chunk = chunk.take([i - start for i in rows if i not in bad])
            chunk.errors = {}
            pieces.append((chunk, held))
            start = stop
        self.seconds += time.perf_counter() - t0
        return pieces, result


def _mapped(spec: Entity, records: Sequence[SourceRecord], mapper: Mapper | None) -> Batch:
    """A page as the batch the gate validates: mapped to canonical fields (without a
    mapper, the records' own fields); records refused where they entered keep that
    error, and only their fields of the entity (what made them refused must not trip
    the batch's checks, such as the columns a batch may have)."""
    refused = scan_records(records)
    ids = [r[0] for r in records]
    if mapper is None:
        if refused:
            inputs = spec.inputs
            records = [
                (rid, {k: v for k, v in raw.items() if k in inputs}) if i in refused else (rid, raw)
                for i, (rid, raw) in enumerate(records)
            ]  # fmt: skip
        return spec.batch_of(records, refused)
    columns, errors = mapper.columns([r[1] for r in records])
    errors.update(refused)
    return Batch.from_columns(columns, ids, errors)


def _quarantined(
    entity: str,
    source: str,
    record: SourceRecord,
    found: Sequence[FailureLike] | None,
    error: RecordError | None,
) -> QuarantineEntry:
    """The quarantine entry of a record the suite failed (``found``) or whose mapping or
    normalization failed with ``error``; the suite's verdict is named first."""
    why: tuple[str, str, str | None, str | None]
    if isinstance(error, EntryError):  # refused where it entered: that comes first
        why = (error.rule, error.message, error.field, None)
    elif found:
        first = found[0]
        message = "; ".join(dict.fromkeys(f.message for f in found))
        why = (first.rule, message, first.field, first.expectation)
    else:
        assert error is not None
        why = (error.rule, error.message, error.field, None)
    return QuarantineEntry(entity, source, record[0], dict(record[1]), *why)


def prepare_outcomes(
    spec: Entity,
    source: str,
    records: Sequence[SourceRecord],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
) -> tuple[list[Incoming | QuarantineEntry], dict[str, Any] | None]:
    """Each record's outcome, in order (a record to store as an :class:`Incoming`), and
    the validation result (None without check). For records handled one by one, such
    as those a reviewer corrected.

    Raises :class:`BatchHeld` when the gate refuses the batch."""
    staged = Staged()
    staged.add(spec, records, mapper, region_check)
    normalized, bad, result = staged.judge(spec, source, check)
    rows = normalized.good().rows() if len(bad) < len(records) else []
    good = iter(rows)
    out: list[Incoming | QuarantineEntry] = [
        bad[i] if i in bad else Incoming(next(good), source, records[i][0])
        for i in range(len(records))
    ]
    return out, result


def prepare_batch(
    spec: Entity,
    source: str,
    records: Sequence[SourceRecord],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
) -> tuple[Batch, list[QuarantineEntry]]:
    """The records that go to the store, as one batch, and those held back in quarantine.

    Raises :class:`BatchHeld` when the gate refuses the batch."""
    staged = Staged()
    staged.add(spec, records, mapper, region_check)
    pieces, _ = staged.conclude_pages(spec, source, check, [len(records)])
    return pieces[0]


def prepare_pages(
    spec: Entity,
    source: str,
    pages: Iterable[tuple[Sequence[SourceRecord] | Staged | Prepared, Any]],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
    group: int = QUALITY_GROUP,
) -> Iterator[tuple[Prepared, Any]]:
    """Prepare raw pages in groups of about ``group`` records (one validation each) and
    give them back page by page with their cursors; prepared pages pass through.

    Each page is mapped and normalized as it arrives, so the work overlaps with fetching
    the next (a page may also come staged already, from a worker process); validation
    waits for the group. Without ``check`` every page is prepared alone. With it, a
    failure part-way through a group loses nothing but the group's progress: none of it
    was written, and the next run reads it again."""
    if check is None:
        group = 1
    staged = Staged()
    sizes: list[tuple[int, Any]] = []

    def drain() -> Iterator[tuple[Prepared, Any]]:
        nonlocal staged
        current, pages_of = staged, list(sizes)
        staged = Staged()  # the raw pages go as soon as they are prepared
        sizes.clear()
        try:
            outcomes, result = current.conclude_pages(
                spec, source, check, [size for size, _ in pages_of]
            )
        except BatchHeld as held:
            held.cursor_after = pages_of[-1][1]
            raise
        seconds = current.seconds
        del current
        for n, ((size, cursor), (good, bad)) in enumerate(zip(pages_of, outcomes, strict=True)):
            yield (
                Prepared(
                    good, bad, size, seconds if n == 0 else 0.0,
                    [result] if result is not None and n == 0 else [],
                ),
                cursor,
            )  # fmt: skip

    waiting = 0
    for page, cursor in pages:
        if isinstance(page, Prepared):
            if sizes:
                yield from drain()
                waiting = 0
            yield page, cursor
            continue
        if isinstance(page, Staged):
            size = len(page.records)
            staged.extend(page)
        else:
            size = len(page)
            staged.add(spec, page, mapper, region_check)
        sizes.append((size, cursor))
        waiting += size
        if waiting >= group:
            yield from drain()
            waiting = 0
    if sizes:
        yield from drain()
