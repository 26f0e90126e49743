"""From raw records to what the store takes: map, validate (the data-quality gate),
normalize. Every record comes out either as an :class:`Incoming` golden-record update
or as a :class:`QuarantineEntry` naming the rule (and expectation) it broke.

Validation is a callable handed in (``check``): the Great Expectations suites live in
the ``expectations`` package, which builds on this one. It sees a whole group of pages
at once, because a suite run has a fixed cost (about 0.1 s) that small batches would pay
again and again; a group the gate refuses raises :class:`~tongban.errors.BatchHeld` and
none of its pages is written.
"""

from __future__ import annotations

import json
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tongban.columns import ColumnPage, MappedRows, join_columns, stage_columns
from tongban.entities import Entity
from tongban.errors import BatchHeld, EntryError, RecordError
from tongban.identifiers.id_number import RegionCheck
from tongban.store import Incoming, IncomingColumns, QuarantineEntry
from tongban.text import scan_records

__all__ = [
    "QUALITY_GROUP",
    "BatchCheck",
    "MappedRows",
    "Prepared",
    "SourceRecord",
    "Staged",
    "VerdictLike",
    "prepare_batch",
    "prepare_outcomes",
    "prepare_pages",
]

QUALITY_GROUP = 40_000
"""Records validated together. A suite run costs about 0.1 s whatever its size, so larger
groups validate faster, but a group is in memory three times over (as received, mapped,
normalized: about 3 KB a record), and Great Expectations itself takes 250 MB; 40,000
keeps a sync under 500 MB."""

SourceRecord = tuple[str | None, Mapping[str, Any]]
Mapper = Callable[[Mapping[str, Any]], dict[str, Any]]


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


BatchCheck = Callable[[str, Sequence[Mapping[str, Any]]], VerdictLike]
"""Validates mapped records of an entity as one batch (``expectations.validate_batch``)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One page, mapped, validated and normalized (here or in a worker process)."""

    good: list[Incoming] | IncomingColumns
    bad: list[QuarantineEntry]
    read: int
    seconds: float = 0.0
    validations: list[dict[str, Any]] = field(default_factory=list)


def _lenient(mapper: Mapper) -> Callable[[Mapping[str, Any]], tuple[dict, RecordError | None]]:
    lenient = getattr(mapper, "lenient", None)
    if lenient is not None:
        return lenient

    def strict(raw: Mapping[str, Any]) -> tuple[dict, RecordError | None]:
        try:
            return mapper(raw), None
        except RecordError as exc:
            return dict(raw), exc

    return strict


Outcome = tuple["list[Incoming] | IncomingColumns", list[QuarantineEntry]]


@dataclass(slots=True)
class Staged:
    """Records mapped and normalized, waiting for the group's validation.

    Staging needs no Great Expectations and no store, so it can run in the process that
    fetches (``connectors._worker``) while validation and writing run in the syncing
    one; a staged page pickles its three forms of a record with their values shared.

    Pages of a mapped source whose entity has a column form are held column by column
    (``pages``; see :meth:`Entity.normalize_columns`), the others record by record
    (``mapped`` and ``results``); a group mixing both is held record by record."""

    records: list[SourceRecord] = field(default_factory=list)
    mapped: list[Mapping[str, Any]] = field(default_factory=list)
    # Per record: the normalized record, or the RecordError of its mapping or normalization.
    results: list[dict[str, Any] | RecordError] = field(default_factory=list)
    pages: list[ColumnPage] = field(default_factory=list)
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
        # A group held record by record stays so (a page staged elsewhere joined it).
        joinable = bool(self.pages or not self.records)
        refused = scan_records(records)
        page = stage_columns(spec, records, mapper, region_check, refused) if joinable else None
        if page is not None:
            self.pages.append(page)
            self.records.extend(records)
            self.seconds += time.perf_counter() - t0
            return
        self._to_rows()
        normalize = spec.normalize
        to_canonical = _lenient(mapper) if mapper is not None else None
        mapped, results = self.mapped, self.results
        for i, record in enumerate(records):
            raw = record[1]
            if i in refused:
                mapped.append(_validated_form(spec, raw, to_canonical))
                results.append(refused[i])
                continue
            if to_canonical is None:
                rec: Mapping[str, Any] = raw
            else:
                rec, error = to_canonical(raw)
                if error is not None:
                    mapped.append(rec)
                    results.append(error)
                    continue
            mapped.append(rec)
            try:
                results.append(normalize(rec, region_check=region_check))
            except RecordError as exc:
                results.append(exc)
        self.records.extend(records)
        self.seconds += time.perf_counter() - t0

    def _to_rows(self) -> None:
        """Hold the column pages record by record (before rows join them)."""
        for page in self.pages:
            for mapped, result in page.rows():
                self.mapped.append(mapped)
                self.results.append(result)
        self.pages.clear()

    def extend(self, other: Staged) -> None:
        """Append the records ``other`` staged (a page staged elsewhere joins a group)."""
        if other.pages and (self.pages or not self.records):
            self.pages.extend(other.pages)
        else:
            self._to_rows()
            other._to_rows()
            self.mapped.extend(other.mapped)
            self.results.extend(other.results)
        self.records.extend(other.records)
        self.seconds += other.seconds

    def _verdict(
        self, spec: Entity, mapped: Sequence[Mapping[str, Any]], check: BatchCheck | None
    ) -> tuple[VerdictLike | None, float]:
        """The check's verdict on the group (None without a check); raises
        :class:`BatchHeld` when the gate refuses it."""
        records = self.records
        if check is None or not records:
            return None, 0.0
        t0 = time.perf_counter()
        verdict = check(spec.name, mapped)
        validated = time.perf_counter() - t0
        if not verdict.gate_passed:
            raise BatchHeld(verdict.reason or "the gate refused the batch", list(records),
                            verdict.as_record())  # fmt: skip
        return verdict, validated

    def conclude(
        self, spec: Entity, source: str, check: BatchCheck | None
    ) -> tuple[list[Incoming | QuarantineEntry], dict[str, Any] | None]:
        """Validate the staged records as one batch; each record's outcome, in order.

        A record the suite fails is quarantined under the expectation even when mapping or
        normalization also failed it (the suite names the rule a reviewer reads first).
        Raises :class:`BatchHeld` when the gate refuses the batch."""
        self._to_rows()
        records = self.records
        t0 = time.perf_counter()
        verdict, validated = self._verdict(spec, self.mapped, check)
        failures = verdict.record_failures if verdict is not None else {}
        out: list[Incoming | QuarantineEntry] = []
        name = spec.name
        for i, result in enumerate(self.results):
            found = failures.get(i) if failures else None
            if not found and type(result) is dict:
                out.append(Incoming(result, source, records[i][0]))
                continue
            out.append(_quarantined(name, source, records[i], found, result))
        self.seconds += time.perf_counter() - t0
        if verdict is None:
            return out, None
        return out, {**verdict.as_record(), "seconds": validated}

    def conclude_pages(
        self, spec: Entity, source: str, check: BatchCheck | None, sizes: Sequence[int]
    ) -> tuple[list[Outcome], dict[str, Any] | None]:
        """:meth:`conclude`, the outcomes given back a page at a time (``sizes``): the
        records to store (held as columns when they were staged so) and those to
        quarantine."""
        if not self.pages:
            outcomes, result = self.conclude(spec, source, check)
            split: list[Outcome] = []
            start = 0
            for size in sizes:
                part = outcomes[start : start + size]
                start += size
                split.append((
                    [o for o in part if isinstance(o, Incoming)],
                    [o for o in part if isinstance(o, QuarantineEntry)],
                ))  # fmt: skip
            return split, result
        t0 = time.perf_counter()
        pages, records = self.pages, self.records
        n = len(records)
        mapped = join_columns([p.mapped for p in pages])
        blank_free = frozenset.intersection(*(p.blank_free for p in pages))
        verdict, validated = self._verdict(spec, MappedRows(mapped, n, blank_free), check)
        failures = verdict.record_failures if verdict is not None else {}
        errors: dict[int, RecordError] = {}
        offset = 0
        for page in pages:
            errors.update((offset + i, e) for i, e in page.errors.items())
            offset += page.n
        normalized = join_columns([p.normalized for p in pages])
        batch = IncomingColumns(source, tuple(normalized), normalized, [r[0] for r in records])
        held = sorted({*failures, *errors})
        pieces: list[Outcome] = []
        start = 0
        name = spec.name
        for size in sizes:
            stop = start + size
            bad_rows = held[bisect_left(held, start) : bisect_left(held, stop)]
            chunk = batch.slice(start, stop)
            if bad_rows:
                bad_set = set(bad_rows)
                chunk = chunk.take([i - start for i in range(start, stop) if i not in bad_set])
            bad = [
                _quarantined(name, source, records[i], failures.get(i), errors.get(i))
                for i in bad_rows
            ]
            pieces.append((chunk, bad))
            start = stop
        self.seconds += time.perf_counter() - t0
        if verdict is None:
            return pieces, None
        return pieces, {**verdict.as_record(), "seconds": validated}


def _validated_form(
    spec: Entity,
    raw: Mapping[str, Any],
    to_canonical: Callable[[Mapping[str, Any]], tuple[dict, RecordError | None]] | None,
) -> dict[str, Any]:
    """What validation sees of a record refused where it entered: its fields of the
    entity, a nested value as its JSON text. (Its rule is decided; the batch's checks, such as the
    columns a batch may have, must not trip over what made it refused.)"""
    mapped = raw if to_canonical is None else to_canonical(raw)[0]
    inputs = spec.inputs
    return {
        k: (json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, Mapping | list) else v)
        for k, v in mapped.items()
        if k in inputs
    }


def _quarantined(
    entity: str,
    source: str,
    record: SourceRecord,
    found: Sequence[FailureLike] | None,
    error: object,
) -> QuarantineEntry:
    """The quarantine entry of a record the suite failed (``found``) or whose mapping or
    normalization raised ``error``; the suite's verdict is named first."""
    why: tuple[str, str, str | None, str | None]
    if isinstance(error, EntryError):  # refused where it entered: that comes first
        why = (error.rule, error.message, error.field, None)
    elif found:
        first = found[0]
        message = "; ".join(dict.fromkeys(f.message for f in found))
        why = (first.rule, message, first.field, first.expectation)
    else:
        assert isinstance(error, RecordError)
        why = (error.rule, error.message, error.field, None)
    return QuarantineEntry(entity, source, record[0], dict(record[1]), *why)


def prepare_outcomes(
    spec: Entity,
    source: str,
    records: Sequence[SourceRecord],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = "historical",
) -> tuple[list[Incoming | QuarantineEntry], dict[str, Any] | None]:
    """Each record's outcome, in order, and the validation result (None without check).

    Raises :class:`BatchHeld` when the gate refuses the batch."""
    staged = Staged()
    staged.add(spec, records, mapper, region_check)
    return staged.conclude(spec, source, check)


def prepare_batch(
    spec: Entity,
    source: str,
    records: Sequence[SourceRecord],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = "historical",
) -> tuple[list[Incoming], list[QuarantineEntry]]:
    """The records that go to the store and those held back in quarantine."""
    outcomes, _ = prepare_outcomes(
        spec, source, records, mapper=mapper, check=check, region_check=region_check
    )
    good = [o for o in outcomes if isinstance(o, Incoming)]
    bad = [o for o in outcomes if isinstance(o, QuarantineEntry)]
    return good, bad


def prepare_pages(
    spec: Entity,
    source: str,
    pages: Iterable[tuple[Sequence[SourceRecord] | Staged | Prepared, Any]],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = "historical",
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
