"""The data-quality gate of a source: its Great Expectations suite with the thresholds
from the source's ``quality:`` section, and the store's keys for holder checks.

    >>> check = batch_check(definition, store=store)  # doctest: +SKIP
    >>> check("person", mapped_records).gate_passed    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any

from connectors.definition import SourceDefinition
from tongban.batch import Batch
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck
from tongban.prepare import BatchCheck, VerdictLike
from tongban.store import Store

__all__ = ["batch_check"]


def _license_types() -> frozenset[str]:
    from license_vault.catalog import load_catalog

    return frozenset(t.code for t in load_catalog())


def batch_check(
    definition: SourceDefinition | None,
    *,
    entity: str | None = None,
    source: str | None = None,
    store: Store | None = None,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
    min_success_ratio: float | None = None,
    also_held: Callable[[], Collection[str]] | None = None,
) -> BatchCheck:
    """A check for :func:`tongban.pipeline.run_pages` validating with the entity's suite,
    at the thresholds of the source's ``quality:`` section (defaults for a file loaded by
    hand, which has no definition: give ``entity`` and ``source`` instead). ``also_held``:
    enterprise keys written with the batch (a license's holder among its parents).

    Great Expectations is imported by the first batch checked, not here: a run that
    reads nothing (a source with nothing new) never pays for it."""
    if definition is not None:
        entity, source = definition.entity, definition.name
        quality: Mapping[str, Any] | None = definition.quality.model_dump()
    else:
        quality = None
    if entity is None:
        raise ValueError("give a source definition, or the entity of the records")
    known_keys: Any = None
    if entity == "license" and store is not None:

        def known_keys(codes: Collection[str]) -> Collection[str]:
            held = set(store.existing_keys("enterprise", codes))
            return held | (set(codes) & set(also_held())) if also_held is not None else held

    gate: list[BatchCheck] = []  # built once, by the first batch

    def build() -> BatchCheck:
        from expectations import Thresholds, validate_batch

        thresholds = Thresholds.from_mapping(quality) if quality is not None else Thresholds()
        if min_success_ratio is not None:
            thresholds = dataclasses.replace(thresholds, min_success_ratio=min_success_ratio)
        license_types = _license_types() if entity == "license" else None

        def validate(entity: str, records: Batch) -> VerdictLike:
            return validate_batch(
                entity, records, thresholds=thresholds, known_keys=known_keys,
                license_types=license_types, source=source, region_check=region_check,
            )  # fmt: skip

        return validate

    def check(entity: str, records: Batch) -> VerdictLike:
        if not gate:
            gate.append(build())
        return gate[0](entity, records)

    return check
