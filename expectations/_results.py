"""From GX results to the pipeline's words: failures with rule names, and a result to store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
)
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from expectations.custom import Explains

__all__ = ["batch_failure", "record_failure", "trimmed_json"]

# Full lists are read once, to find the failing records; what is stored keeps GX's
# partial lists, so a stored result stays small however dirty the batch was.
_FULL_LISTS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")


def _field(config: ExpectationConfiguration) -> str | None:
    kwargs = config.kwargs
    found = config.meta.get("field") or kwargs.get("column") or kwargs.get("column_B")
    return str(found) if found is not None else None


def record_failure(
    config: ExpectationConfiguration,
    explains: Explains | None,
    record: Mapping[str, Any],
) -> dict[str, Any]:
    """The failure of ``record`` under one record-level expectation, as Failure fields."""
    field = _field(config)
    value = record.get(field) if field else None
    meta = config.meta
    if explains is not None:
        error = explains.explain(record)
        if error is not None:
            return {
                "expectation": config.type,
                "rule": f"{meta.get('rule_prefix', '')}{error.rule}",
                "field": error.field or field,
                "message": error.message,
                "value": error.value if error.value is not None else value,
            }
    columns = config.kwargs.get("column_list")
    if columns:
        value = ":".join(str(record.get(c)) for c in columns)
    template = str(meta.get("message") or "{field} fails {rule}: {value!r}")
    rule = str(meta.get("rule") or config.type)
    return {
        "expectation": config.type,
        "rule": rule,
        "field": field,
        "message": template.format(value=value, field=field, rule=rule),
        "value": value,
    }


def batch_failure(
    entity: str, config: ExpectationConfiguration, result: Mapping[str, Any]
) -> dict[str, Any]:
    """Why a failed expectation holds the whole batch back, as Failure fields."""
    field = _field(config)
    meta = config.meta
    rule = str(meta.get("rule") or config.type)
    if config.type == "expect_table_columns_to_match_set":
        unexpected = (result.get("details") or {}).get("mismatched", {}).get("unexpected", [])
        message = f"fields {sorted(unexpected)} are not part of the {entity} model"
        value: Any = sorted(unexpected)
    elif config.type == "expect_column_proportion_of_non_null_values_to_be_between":
        observed = float(result.get("observed_value") or 0.0)
        allowed = 1.0 - float(config.kwargs.get("min_value") or 0.0)
        message = (
            f"{1.0 - observed:.1%} of {field} values are empty; this source allows at most"
            f" {allowed:.1%}"
        )
        value = round(1.0 - observed, 6)
    elif "unexpected_count" in result:
        mostly = float(config.kwargs.get("mostly", 1.0))
        share = float(result.get("unexpected_percent") or 0.0) / 100.0
        message = (
            f"{share:.1%} of the {field} values given fail ({result['unexpected_count']}"
            f" records); this source tolerates {1.0 - mostly:.1%}"
        )
        value = round(share, 6)
        rule = f"{rule.removesuffix('.*')}.share"
    else:
        message = f"observed {result.get('observed_value')!r}"
        value = result.get("observed_value")
    return {"expectation": config.type, "rule": rule, "field": field, "message": message,
            "value": value}  # fmt: skip


def trimmed_json(
    result: ExpectationSuiteValidationResult,
    *,
    run_id: str,
    run_time: datetime,
    source: str | None,
) -> dict[str, Any]:
    """The GX result as JSON without the full unexpected lists, with the run it belongs to."""
    for outcome in result.results:
        for key in _FULL_LISTS:
            outcome.result.pop(key, None)
    data = result.to_json_dict()
    meta = data.setdefault("meta", {})
    meta["run_id"] = {"run_name": run_id, "run_time": run_time.isoformat()}
    meta["source"] = source
    return data
