"""Data Docs: the suites and the stored validation results as a static HTML site.

Results persist in the store, not in a GX project directory: the pipeline stores
``BatchVerdict.as_record()`` (or just its ``gx_result``) with the run, and
``tongban quality docs`` loads the latest ones and calls :func:`build_data_docs`. A
scaled deployment therefore needs no shared GX directory, and a clean clone builds the
site with nothing but the store (no network: GX renders from packaged templates).

    >>> index = build_data_docs(tmp_path / "docs", results=[verdict.as_record()])  # doctest: +SKIP
    >>> index.name
    'index.html'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationSuiteValidationResultSchema,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from expectations._gx import new_context
from expectations.suites import ENTITY_NAMES, build_suite

__all__ = ["build_data_docs"]

SITE = "tongban"


def build_data_docs(
    directory: str | Path,
    results: Iterable[Mapping[str, Any]] = (),
    *,
    suites: Iterable[gx.ExpectationSuite] | None = None,
) -> Path:
    """Build the Data Docs site into ``directory`` and return its ``index.html``.

    ``results``: stored validations, each a ``BatchVerdict.as_record()`` or its
    ``gx_result``. ``suites``: what to document; by default every entity's suite, as
    the latest result of that suite ran it (else as the code builds it by default).
    """
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    context = new_context()
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,  # type: ignore[typeddict-unknown-key]  # GX reads it
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(directory),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    loaded = sorted((_load(r) for r in results), key=lambda item: item[0].run_id.run_time)
    latest: dict[str, ExpectationSuiteValidationResult] = {}
    for key, result in loaded:
        context.validation_results_store.set(key, result)
        latest[result.suite_name] = result
    for suite in suites if suites is not None else _default_suites(latest):
        context.suites.add(suite)
    context.build_data_docs(site_names=[SITE])
    return directory / "index.html"


def _load(
    stored: Mapping[str, Any],
) -> tuple[ValidationResultIdentifier, ExpectationSuiteValidationResult]:
    data = dict(stored.get("gx_result", stored))
    meta = dict(data.get("meta") or {})
    run = meta.get("run_id") or {}
    run_name = str(run.get("run_name") or stored.get("run_id") or "run")
    run_time = datetime.fromisoformat(str(run.get("run_time") or stored.get("validated_at")))
    result = ExpectationSuiteValidationResultSchema().load(data)
    batch = (meta.get("active_batch_definition") or {}).get("data_asset_name")
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
        run_id=RunIdentifier(run_name=run_name, run_time=run_time),
        batch_identifier=str(meta.get("source") or batch or result.suite_name),
    )
    return key, result


def _default_suites(
    latest: Mapping[str, ExpectationSuiteValidationResult],
) -> list[gx.ExpectationSuite]:
    found = []
    for name in ENTITY_NAMES:
        result = latest.get(name)
        configs = (
            [o.expectation_config for o in result.results if o.expectation_config is not None]
            if result is not None
            else [e.configuration for e in build_suite(name).expectations]
        )
        # Fresh objects: the context takes ownership of what it is given.
        expectations = [config.to_domain_obj() for config in configs]
        found.append(gx.ExpectationSuite(name=name, expectations=expectations))
    return found
