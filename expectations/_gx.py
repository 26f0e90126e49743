"""One Great Expectations context per process: in memory, offline, quiet.

Creating a context, a data source and an asset costs far more than validating a small
batch, so they are made once and reused; a batch is only a DataFrame handed to the
asset's batch definition.
"""

from __future__ import annotations

import os
import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

# GX reads this when it is imported: no usage statistics ever leave the hub.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

# Before GX: the modules it imports but the gate never uses load only if used.
import expectations._deferred  # noqa: F401,I001
import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
)
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.validator.v1_validator import Validator

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import PandasDatasource

__all__ = ["DATASOURCE", "batch_definition", "new_context", "validate"]

DATASOURCE = "tongban"

# GX fingerprints every pandas batch below this many bytes with an md5 over a hash of each
# cell, kept only as a marker in the result: a tenth of the cost of validating a group.
# Batches here are named by their run and group instead, so the fingerprint is skipped.
pandas_execution_engine.HASH_THRESHOLD = 0
_lock = threading.Lock()

# An expectation's ``configuration`` is a property that builds a new
# ExpectationConfiguration (a pydantic ``dict()`` of the expectation) on every read, and
# GX reads it again for each keyword of each metric it plans: about a thousand times a
# suite run, half the fixed cost of validating a group. A suite's expectations do not
# change while it runs, so inside :func:`validate` each is built once per run.
_built: ContextVar[dict[int, tuple[Expectation, ExpectationConfiguration]] | None] = ContextVar(
    "tongban_gx_configurations", default=None
)
_configuration: property = Expectation.__dict__["configuration"]


def _once_per_run(self: Expectation) -> ExpectationConfiguration:
    built = _built.get()
    if built is None:  # outside a run of the gate: as GX has it
        return _configuration.fget(self)  # type: ignore[misc]
    hit = built.get(id(self))
    if hit is None or hit[0] is not self:
        hit = built[id(self)] = (self, _configuration.fget(self))  # type: ignore[misc]
    return hit[1]


Expectation.configuration = property(_once_per_run)  # type: ignore[method-assign,assignment]
_datasource: PandasDatasource | None = None
_definitions: dict[str, BatchDefinition[Any]] = {}


def new_context() -> AbstractDataContext:
    """A fresh in-memory context: no analytics, no progress bars, no temporary docs site."""
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={},
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def batch_definition(asset: str) -> BatchDefinition[Any]:
    """The whole-DataFrame batch definition of ``asset`` (one asset per source)."""
    global _datasource
    with _lock:
        found = _definitions.get(asset)
        if found is None:
            if _datasource is None:
                _datasource = new_context().data_sources.add_pandas(DATASOURCE)
            found = _datasource.add_dataframe_asset(
                name=asset
            ).add_batch_definition_whole_dataframe("batch")
            _definitions[asset] = found
        return found


def validate(
    asset: str, frame: pd.DataFrame, suite: gx.ExpectationSuite
) -> ExpectationSuiteValidationResult:
    """Validate ``frame`` as one batch of ``asset`` with full unexpected-index lists.

    This drives the Validator that ``Batch.validate`` uses, without first loading a
    ``Batch``: each load fingerprints (hashes) the whole DataFrame, and ``Batch.validate``
    loads it a second time, which would double the fixed cost of every batch.
    """
    validator = Validator(
        batch_definition=batch_definition(asset),
        batch_parameters={"dataframe": frame},
        result_format="COMPLETE",
    )
    token = _built.set({})
    try:
        return validator.validate_expectation_suite(suite)
    finally:
        _built.reset(token)
