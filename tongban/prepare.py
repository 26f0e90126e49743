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

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tongban.entities import Entity
from tongban.errors import BatchHeld, RecordError
from tongban.identifiers.id_number import RegionCheck
from tongban.store import Incoming, QuarantineEntry

__all__ = ["QUALITY_GROUP", "BatchCheck", "Prepared", "prepare_batch", "prepare_pages"]

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

    good: list[Incoming]
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
    mapped: list[Mapping[str, Any]] = []
    map_errors: dict[int, RecordError] = {}
    if mapper is None:
        mapped = [raw for _, raw in records]
    else:
        to_canonical = _lenient(mapper)
        for i, (_, raw) in enumerate(records):
            rec, error = to_canonical(raw)
            mapped.append(rec)
            if error is not None:
                map_errors[i] = error
    t0 = time.perf_counter()
    verdict = check(spec.name, mapped) if check is not None and records else None
    validated = time.perf_counter() - t0
    if verdict is not None and not verdict.gate_passed:
        raise BatchHeld(verdict.reason or "the gate refused the batch", list(records),
                        verdict.as_record())  # fmt: skip
    failures = verdict.record_failures if verdict is not None else {}
    normalize = spec.normalize
    out: list[Incoming | QuarantineEntry] = []
    for i, (source_record, raw) in enumerate(records):
        found = failures.get(i)
        if found:
            first = found[0]
            message = "; ".join(dict.fromkeys(f.message for f in found))
            out.append(QuarantineEntry(spec.name, source, source_record, dict(raw), first.rule,
                                       message, first.field, first.expectation))  # fmt: skip
            continue
        error = map_errors.get(i)
        if error is None:
            try:
                out.append(Incoming(normalize(mapped[i], region_check=region_check), source,
                                    source_record))  # fmt: skip
                continue
            except RecordError as exc:
                error = exc
        out.append(QuarantineEntry(spec.name, source, source_record, dict(raw), error.rule,
                                   error.message, error.field))  # fmt: skip
    if verdict is None:
        return out, None
    return out, {**verdict.as_record(), "seconds": validated}


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
    pages: Iterable[tuple[Sequence[SourceRecord] | Prepared, Any]],
    *,
    mapper: Mapper | None = None,
    check: BatchCheck | None = None,
    region_check: RegionCheck = "historical",
    group: int = QUALITY_GROUP,
) -> Iterator[tuple[Prepared, Any]]:
    """Prepare raw pages in groups of about ``group`` records (one validation each) and
    give them back page by page with their cursors; prepared pages pass through.

    Without ``check`` every page is prepared alone. With it, a failure part-way through a
    group loses nothing but the group's progress: none of it was written, and the next
    run reads it again."""
    if check is None:
        group = 1
    waiting: list[tuple[Sequence[SourceRecord], Any]] = []
    size = 0

    def drain() -> Iterator[tuple[Prepared, Any]]:
        records = [r for page, _ in waiting for r in page]
        sizes = [(len(page), cursor) for page, cursor in waiting]
        waiting.clear()  # the raw pages go as soon as they are prepared
        t0 = time.perf_counter()
        try:
            outcomes, result = prepare_outcomes(
                spec, source, records, mapper=mapper, check=check, region_check=region_check
            )
        except BatchHeld as held:
            held.cursor_after = sizes[-1][1]
            raise
        del records
        seconds = time.perf_counter() - t0
        start = 0
        for n, (size, cursor) in enumerate(sizes):
            part = outcomes[start : start + size]
            start += size
            yield (
                Prepared(
                    [o for o in part if isinstance(o, Incoming)],
                    [o for o in part if isinstance(o, QuarantineEntry)],
                    size,
                    seconds if n == 0 else 0.0,
                    [result] if result is not None and n == 0 else [],
                ),
                cursor,
            )

    for page, cursor in pages:
        if isinstance(page, Prepared):
            if waiting:
                yield from drain()
                size = 0
            yield page, cursor
            continue
        waiting.append((page, cursor))
        size += len(page)
        if size >= group:
            yield from drain()
            size = 0
    if waiting:
        yield from drain()
