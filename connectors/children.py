"""Fan-out: records of another entity found inside each source record (``children:``
in a definition), such as the holders of a real-estate title as people.

Each element at ``each`` (kept by ``where``) becomes a record of the child entity with
the record id ``<parent id>/<child id>``; its mapping reads the element, and
``$parent.<path>`` the parent record. Children take the same road as any record of their
entity (mapping, normalization, quarantine under a named rule, the data-quality gate)
and are written in the transaction of their parent's batch, whose cursor they share. A
parent quarantined does not emit its children.

    >>> fan_out = FanOut(definition, check_of=lambda child: None)  # doctest: +SKIP
    >>> pages = fan_out.tee(pages)  # remembers each page's raw records, in order
    >>> batches = fan_out(prepared_page)  # its children, prepared, as ChildBatch
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.definition import ChildRecords, SourceDefinition
from connectors.mapping import Mapper
from connectors.paths import PathSteps, get, parse_path, select
from connectors.transforms import compile_mapping
from tongban.entities import Entity
from tongban.entities import entity as entity_spec
from tongban.errors import BatchHeld, FatalError
from tongban.identifiers.id_number import RegionCheck
from tongban.prepare import BatchCheck, Prepared, SourceRecord, Staged, prepare_batch
from tongban.store import ChildBatch

__all__ = ["PARENT", "ChildStream", "FanOut"]

PARENT = "$parent"
"""The key under which a child record carries its parent (read as ``$parent.<path>``)."""


@dataclass(frozen=True)
class ChildStream:
    """One ``children:`` entry, compiled."""

    child: ChildRecords
    spec: Entity
    mapper: Mapper
    each: PathSteps
    where: tuple[tuple[PathSteps, str], ...]
    record_id: PathSteps
    reads_parent: bool

    @classmethod
    def compile(cls, child: ChildRecords) -> ChildStream:
        fields = child.fields()
        sources = [m.source for m in fields.values()] + [
            p.source for m in fields.values() for p in m.parts().values()
        ]
        return cls(
            child,
            entity_spec(child.entity),
            compile_mapping(fields),
            parse_path(child.each),
            tuple((parse_path(k), str(v)) for k, v in (child.where or {}).items()),
            parse_path(child.record_id),
            any(s is not None and s.startswith(f"{PARENT}.") for s in sources),
        )

    def records(
        self, parents: Sequence[SourceRecord], skip: frozenset[str | None] = frozenset()
    ) -> list[SourceRecord]:
        """The child records of ``parents``, but for the parents in ``skip``."""
        out: list[SourceRecord] = []
        for parent_id, raw in parents:
            if parent_id in skip:
                continue
            for element in select(raw, self.each):
                if not isinstance(element, Mapping):
                    continue
                if any(_text(get(element, path)) != value for path, value in self.where):
                    continue
                child: dict[str, Any] = dict(element)
                if self.reads_parent:
                    child[PARENT] = raw
                own = get(element, self.record_id)
                out.append((f"{parent_id}/{_text(own)}", child))
        return out


def _keys(good: Any, key: str) -> list[str]:
    columns = getattr(good, "columns", None)
    values = columns.get(key, []) if columns is not None else [i.record.get(key) for i in good]
    return [v for v in values if v is not None]


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


class FanOut:
    """The children of a source's pages, page by page: :meth:`tee` the raw pages on
    their way to preparation, then call with each prepared page, in the same order."""

    def __init__(
        self,
        definition: SourceDefinition,
        *,
        check_of: Callable[[ChildRecords], BatchCheck | None],
        region_check: RegionCheck = "historical",
    ):
        self.source = definition.name
        self.streams = [ChildStream.compile(c) for c in definition.children]
        self.checks = [check_of(s.child) for s in self.streams]
        self.region_check = region_check
        self._pending: deque[Sequence[SourceRecord]] = deque()
        self._parent_key = entity_spec(definition.entity).key
        self.parent_keys: frozenset[str] = frozenset()
        """Keys of the parents of the page at hand that pass: written in the same
        transaction as their children, so a child may name them (a license its holder)."""

    def tee(self, pages: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
        for page, cursor in pages:
            self._pending.append(page.records if isinstance(page, Staged) else page)
            yield page, cursor

    def __call__(self, page: Prepared) -> list[ChildBatch]:
        parents = self._pending.popleft()
        skip = frozenset(q.source_record for q in page.bad)
        self.parent_keys = frozenset(_keys(page.good, self._parent_key))
        batches = []
        for stream, check in zip(self.streams, self.checks, strict=True):
            records = stream.records(parents, skip)
            if not records:
                continue
            try:
                good, bad = prepare_batch(
                    stream.spec, self.source, records, mapper=stream.mapper, check=check,
                    region_check=self.region_check,
                )  # fmt: skip
            except BatchHeld as held:
                raise FatalError(
                    f"{self.source}: the data-quality gate refused the {stream.spec.name}"
                    f" records found in its records ({stream.child.each}): {held.reason}"
                ) from None
            batches.append(ChildBatch(stream.spec.name, good, bad))
        return batches
