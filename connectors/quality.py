"""The data-quality gate of a source: its Great Expectations suite with the thresholds
from the source's ``quality:`` section, and the store's keys for holder checks.

    >>> check = batch_check(definition, store=store)  # doctest: +SKIP
    >>> check("person", mapped_records).gate_passed    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.definition import SourceDefinition
from tongban.identifiers.id_number import RegionCheck
from tongban.prepare import BatchCheck, VerdictLike
from tongban.store import Store

__all__ = ["batch_check"]


def _license_types() -> frozenset[str]:
    from license_vault.catalog import load_catalog

    return frozenset(t.code for t in load_catalog())


def batch_check(
    definition: SourceDefinition,
    *,
    store: Store | None = None,
    region_check: RegionCheck = "historical",
) -> BatchCheck:
    """A check for :func:`tongban.pipeline.run_pages` validating with the entity's suite."""
    from expectations import Thresholds, validate_batch

    thresholds = Thresholds.from_mapping(definition.quality.model_dump())
    license_types = _license_types() if definition.entity == "license" else None
    known_keys: Any = None
    if definition.entity == "license" and store is not None:
        known_keys = lambda codes: store.existing_keys("enterprise", codes)  # noqa: E731

    def check(entity: str, records: Sequence[Mapping[str, Any]]) -> VerdictLike:
        return validate_batch(
            entity, records, thresholds=thresholds, known_keys=known_keys,
            license_types=license_types, source=definition.name, region_check=region_check,
        )  # fmt: skip

    return check
