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
    >>> found = fan_out(prepared_page)  # its children, as raw records
    >>> batches = fan_out.batches(found)  # prepared, as ChildBatch, a batch at a time
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.definition import ChildRecords, SourceDefinition
from connectors.mapping import Mapper
from connectors.paths import PathSteps, get, parse_path, select
from connectors.quality import batch_check
from connectors.transforms import compile_mapping
from tongban.batch import Batch
from tongban.entities import Entity
from tongban.entities import entity as entity_spec
from tongban.errors import BatchHeld, FatalError
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck
from tongban.options import SyncOptions
from tongban.prepare import BatchCheck, Prepared, SourceRecord, Staged
from tongban.store import ChildBatch, Store

__all__ = ["PARENT", "ChildStream", "FanOut", "fan_out_of"]

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


def _keys(good: Prepared, key: str, only: Collection[str | None] | None) -> list[str]:
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(good.good, Batch):
        pairs = zip(good.good.column(key), good.good.record_ids, strict=True)
    else:
        pairs = ((i.record.get(key), i.source_record) for i in good.good)
    return [k for k, record in pairs if k is not None and (only is None or record in only)]


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
        region_check: RegionCheck = DEFAULT_REGION_CHECK,
        on_validation: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.source = definition.name
        self.streams = [ChildStream.compile(c) for c in definition.children]
        self.checks = [check_of(s.child) for s in self.streams]
        self.region_check = region_check
        self.on_validation = on_validation  # each gate's result, to record
        self._pending: deque[Sequence[SourceRecord]] = deque()
        self._parent_key = entity_spec(definition.entity).key
        self._held: set[str] = set()  # keys of the batch's parents that pass, so far
        self.parent_keys: frozenset[str] = frozenset()
        """Keys of the parents of the batch at hand that pass: written in the same
        transaction as their children, so a child may name them (a license its holder)."""

    def tee(self, pages: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
        for page, cursor in pages:
            self._pending.append(page.records if isinstance(page, Staged) else page)
            yield page, cursor

    def __call__(
        self, page: Prepared, only: Collection[str | None] | None = None
    ) -> list[tuple[int, list[SourceRecord]]]:
        """The child records of a prepared page (but of its quarantined records; with
        ``only``, of those parent record ids alone), by stream: prepared later, a batch
        at a time (:meth:`batches`)."""
        parents = self._pending.popleft()
        if only is not None:
            parents = [p for p in parents if p[0] in only]
        skip = frozenset(q.source_record for q in page.bad)
        self._held.update(_keys(page, self._parent_key, only))
        found = [(n, s.records(parents, skip)) for n, s in enumerate(self.streams)]
        return [(n, records) for n, records in found if records]

    def batches(self, found: list[tuple[int, list[SourceRecord]]]) -> list[ChildBatch]:
        """The child records found in a batch's pages, mapped, normalized and through
        their entity's gate, one batch a stream."""
        self.parent_keys, self._held = frozenset(self._held), set()
        by_stream: dict[int, list[SourceRecord]] = {}
        for n, records in found:
            by_stream.setdefault(n, []).extend(records)
        out = []
        for n, records in sorted(by_stream.items()):
            stream = self.streams[n]
            try:
                staged = Staged()
                staged.add(stream.spec, records, stream.mapper, self.region_check)
                pieces, result = staged.conclude_pages(
                    stream.spec, self.source, self.checks[n], [len(records)]
                )
            except BatchHeld as held:
                raise FatalError(
                    f"{self.source}: the data-quality gate refused the {stream.spec.name}"
                    f" records found in its records ({stream.child.each}): {held.reason}"
                ) from None
            if result is not None and self.on_validation is not None:
                self.on_validation(result)
            good, bad = pieces[0]
            out.append(ChildBatch(stream.spec.name, good, bad))
        return out


def fan_out_of(
    definition: SourceDefinition,
    store: Store,
    options: SyncOptions,
    run_id: str,
) -> FanOut | None:
    """The fan-out of a source's ``children:``, each entity checked by its own suite at
    the source's thresholds (unless ``options`` say not to validate) and its results
    recorded with ``run_id``; None for a source without children."""
    if not definition.children:
        return None
    ratio = definition.quality.min_success_ratio
    region_check = options.region_check

    def check_of(child: ChildRecords) -> BatchCheck | None:
        if not options.validate:
            return None
        held = (lambda: fan_out.parent_keys) if definition.entity == "enterprise" else None
        return batch_check(
            None, entity=child.entity, source=definition.name, store=store,
            region_check=region_check, min_success_ratio=ratio, also_held=held,
        )  # fmt: skip

    def record(result: dict[str, Any]) -> None:
        store.record_validation({**result, "run_id": run_id, "source": definition.name})

    fan_out = FanOut(definition, check_of=check_of, region_check=region_check, on_validation=record)
    return fan_out
