"""Reprocessing quarantined records a reviewer corrected, through the normal path.

The raw record stays as received in quarantine; its corrections (who, why, which field,
old and new value) are applied in order, and the record goes through the same mapping,
validation and normalization as any record of its source. One that lands is marked
``fixed`` (never deleted) and its fields carry the correction in their provenance; one
that fails again stays open with the new reason.

    >>> report = reprocess(store, definitions=load_definitions())  # doctest: +SKIP
    >>> report.landed, report.still_failing                         # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.definition import SourceDefinition
from connectors.quality import batch_check
from connectors.transforms import compile_mapping
from tongban.entities import entity as entity_spec
from tongban.errors import FatalError
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck
from tongban.options import SyncOptions
from tongban.pipeline import run_pages
from tongban.prepare import Prepared, prepare_outcomes
from tongban.store import Incoming, QuarantineEntry, Store

__all__ = ["ReprocessReport", "corrected", "reprocess"]


@dataclass
class ReprocessReport:
    landed: list[int] = field(default_factory=list)
    still_failing: list[tuple[int, str, str]] = field(default_factory=list)  # id, rule, message
    runs: list[str] = field(default_factory=list)


def corrected(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The raw record with the reviewer's corrections applied, in order."""
    record = dict(entry["raw"])
    for c in entry.get("corrections") or []:
        record[c["field"]] = c["new"]
    return record


def _correction(entry: Mapping[str, Any]) -> dict[str, Any]:
    fixes = entry.get("corrections") or []
    return {
        "quarantine_id": entry["id"],
        "by": sorted({c["by"] for c in fixes}),
        "why": [c["why"] for c in fixes],
        "fields": [c["field"] for c in fixes],
    }


def reprocess(
    store: Store,
    *,
    definitions: Mapping[str, SourceDefinition],
    ids: Sequence[int] | None = None,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
) -> ReprocessReport:
    """Run open quarantined records (``ids``, or every open one with a correction)
    through their source's path again."""
    if ids:
        entries = [store.quarantine_entry(i) for i in ids]
        closed = [e["id"] for e in entries if e["status"] != "open"]
        if closed:
            raise FatalError(f"quarantined records {closed} are not open")
    else:
        entries = [e for e in store.quarantined(status="open", limit=None) if e["corrections"]]
    report = ReprocessReport()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        groups[entry["source"], entry["entity"]].append(entry)
    for (source, entity), group in groups.items():
        definition = definitions.get(source)
        fields = definition.fields_of(entity) if definition else None  # a child's, maybe
        mapper = compile_mapping(fields) if fields is not None else None
        check = None
        if definition is not None and entity == definition.entity:
            check = batch_check(definition, store=store, region_check=region_check)
        elif definition is not None:
            check = batch_check(
                None, entity=entity, source=source, store=store, region_check=region_check,
                min_success_ratio=definition.quality.min_success_ratio,
            )  # fmt: skip
        records = [(e["source_record"], corrected(e)) for e in group]
        outcomes, _ = prepare_outcomes(
            entity_spec(entity), source, records, mapper=mapper, check=check,
            region_check=region_check,
        )  # fmt: skip
        good: list[Incoming] = []
        landed: list[int] = []
        for entry, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, QuarantineEntry):
                store.still_failing(entry["id"], rule=outcome.rule, message=outcome.message,
                                    expectation=outcome.expectation)  # fmt: skip
                report.still_failing.append((entry["id"], outcome.rule, outcome.message))
                continue
            good.append(Incoming(outcome.record, outcome.source, outcome.source_record,
                                 _correction(entry)))  # fmt: skip
            landed.append(entry["id"])
        if not good:
            continue
        summary = run_pages(
            store, entity, [(Prepared(good, [], len(good)), None)], source=source,
            options=SyncOptions(region_check=region_check), kind="reprocess",
        )  # fmt: skip
        store.mark_fixed(landed, run_id=summary.run_id)
        report.landed.extend(landed)
        report.runs.append(summary.run_id)
    return report
