"""What every connector gives the pipeline: pages of raw records, each with the cursor
that resumes right after it.

A connector never writes anything. The pipeline stores a page's records and the page's
cursor in one transaction, so a run killed anywhere starts again exactly after the last
stored page.
"""

from __future__ import annotations

import difflib
import logging
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from connectors.definition import Retry
from tongban.errors import FatalError, RetriableError

__all__ = [
    "Connector",
    "Page",
    "RawRecord",
    "call_with_retries",
    "check_source_fields",
    "check_source_paths",
]

log = logging.getLogger(__name__)

RawRecord = tuple[str | None, Mapping[str, Any]]
"""A source record id (for provenance and quarantine) and the record as the system sent it."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    records: Sequence[RawRecord]
    cursor: Any
    """JSON-able state after this page: passing it to ``pages()`` yields the next page."""


class Connector(Protocol):
    """A department system seen as pages of records after a cursor."""

    def pages(self, cursor: Any) -> Iterator[Page]:
        """Pages after ``cursor`` (None: from the beginning), in order."""
        ...

    def close(self) -> None: ...


def call_with_retries(
    call: Callable[[], T],
    retry: Retry,
    *,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on :class:`RetriableError` wait (its ``retry_after``, else exponential
    backoff with jitter) and try again, up to ``retry.attempts`` tries in all. The last
    error propagates, its message saying how many tries were made."""
    delay = retry.backoff
    for attempt in range(1, retry.attempts + 1):
        try:
            return call()
        except RetriableError as exc:
            if attempt == retry.attempts:
                raise RetriableError(
                    f"{what}: gave up after {attempt} tries: {exc}", retry_after=exc.retry_after
                ) from exc
            wait = (
                exc.retry_after if exc.retry_after is not None else delay * random.uniform(0.5, 1.0)
            )
            wait = min(wait, retry.max_backoff)
            log.info("%s: %s; try %d of %d in %.2fs", what, exc, attempt + 1, retry.attempts, wait)
            sleep(wait)
            delay = min(delay * 2, retry.max_backoff)
    raise AssertionError("unreachable")


def check_source_fields(
    source: str, wanted: Mapping[str, str], found: Collection[str], where: str
) -> None:
    """Refuse a mapping that reads a field the system does not have (its table's columns,
    a file's header), naming the mapping key and the nearest real field name: a misspelt
    field would otherwise map to nothing, record after record."""
    from connectors.transforms import field_path

    names = [str(f) for f in found]
    problems = []
    for target, field in wanted.items():
        path = field_path(field)
        if field in found or (path is not None and str(path[0]) in found):
            continue
        near = difflib.get_close_matches(field, names, n=1, cutoff=0.3)
        hint = f" (nearest: {near[0]!r})" if near else ""
        problems.append(f"mapping.{target}: source field {field!r} is not in {where}{hint}")
    if problems:
        raise FatalError(f"{source}: {'; '.join(problems)}")


SchemaTree = Mapping[str, "SchemaTree | None"]
"""A record type's fields, each with the fields of its nested type (None: a plain value)."""


def check_source_paths(
    source: str, wanted: Mapping[str, str], tree: SchemaTree, where: str
) -> None:
    """:func:`check_source_fields` through nested types: each named step of a path must
    be a field of the type the path has reached (list steps, ``[n]`` and ``[*]``, stay on
    it). The problem names the mapping key, the missing step and the nearest real field
    at that level."""
    from connectors.paths import parse_path

    problems = []
    for target, field in wanted.items():
        level: SchemaTree | None = tree
        try:
            steps = [s for s in parse_path(field) if isinstance(s, str)] if field else []
        except ValueError:
            continue  # a malformed path is the definition's to refuse
        if field in tree:
            continue  # a field whose own name holds a dot
        for step in steps:
            if level is None or step not in level:
                names = list(level or ())
                near = difflib.get_close_matches(step, names, n=1, cutoff=0.3)
                hint = f" (nearest: {near[0]!r})" if near else ""
                whose = "" if step == steps[0] else f" (step {step!r})"
                problems.append(
                    f"mapping.{target}: source field {field!r}{whose} is not in {where}{hint}"
                )
                break
            level = level[step]
    if problems:
        raise FatalError(f"{source}: {'; '.join(problems)}")
