"""Validate one batch of mapped records against its entity's suite, before anything merges.

    >>> verdict = validate_batch("person", records, thresholds=Thresholds(0.9))  # doctest: +SKIP
    >>> verdict.gate_passed, verdict.record_failures.get(3)                      # doctest: +SKIP
    (True, [Failure(expectation='expect_column_values_to_be_valid_id_number',
                    rule='id_number.checksum', field='id_number', message=..., value=...)])

The pipeline quarantines the records in ``record_failures`` (the expectation's name and
our rule name), merges the rest, and stops when ``gate_passed`` is false: the batch is
kept for review and ``reason`` says which expectation held it back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from expectations._frame import to_frame
from expectations._gx import validate as gx_validate
from expectations._results import batch_failure, record_failure, trimmed_json
from expectations.custom import Explains, KnownKeys, batch_scope
from expectations.suites import Thresholds, build_suite
from tongban.batch import Batch
from tongban.errors import FatalError
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck

__all__ = ["BatchVerdict", "Failure", "SuiteStatistics", "validate_batch"]


@dataclass(frozen=True)
class Failure:
    """One broken expectation: GX's name for it, our rule name, and what a reviewer reads."""

    expectation: str
    rule: str
    field: str | None
    message: str
    value: Any = None


@dataclass(frozen=True)
class SuiteStatistics:
    """Records evaluated, passed (no record-level failure) and failed, for one suite."""

    suite: str
    evaluated: int
    passed: int
    failed: int
    success_ratio: float
    expectations_evaluated: int
    expectations_failed: int


@dataclass
class BatchVerdict:
    """What GX said about one batch, in the pipeline's terms."""

    entity: str
    source: str | None
    run_id: str
    validated_at: datetime
    record_failures: dict[int, list[Failure]]
    batch_failures: list[Failure]
    statistics: SuiteStatistics
    gx_result: dict[str, Any] = field(repr=False)
    seconds: float = 0.0

    @property
    def gate_passed(self) -> bool:
        return not self.batch_failures

    @property
    def reason(self) -> str | None:
        """Why the batch was held back, naming each expectation; None when it passed."""
        if self.gate_passed:
            return None
        return "; ".join(f"{f.expectation} [{f.rule}]: {f.message}" for f in self.batch_failures)

    def as_record(self) -> dict[str, Any]:
        """Everything worth storing about this validation, JSON-ready (for the run's results)."""
        return {
            "run_id": self.run_id,
            "source": self.source,
            "entity": self.entity,
            "suite": self.statistics.suite,
            "validated_at": self.validated_at.isoformat(),
            "gate_passed": self.gate_passed,
            "reason": self.reason,
            "statistics": asdict(self.statistics),
            "batch_failures": [asdict(f) | {"value": _plain(f.value)} for f in self.batch_failures],
            "gx_result": self.gx_result,
        }


def _record(records: Batch | Sequence[Mapping[str, Any]], index: int) -> Mapping[str, Any]:
    return records.row(index) if isinstance(records, Batch) else records[index]


def validate_batch(
    entity: str,
    records: Batch | Sequence[Mapping[str, Any]],
    *,
    thresholds: Thresholds | None = None,
    known_keys: KnownKeys | None = None,
    license_types: Collection[str] | None = None,
    source: str | None = None,
    run_id: str | None = None,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
) -> BatchVerdict:
    """Run the suite of ``entity`` over ``records`` (canonical field names, raw values).

    ``known_keys``: the enterprise credit codes the store holds (a set, or a function from
    candidate codes to those held), checked against license holders; ``license_types``:
    the e-license catalog's type codes. Without them those two checks are not run.
    Raises :class:`~tongban.errors.FatalError` when an expectation cannot be evaluated.
    """
    started = time.perf_counter()
    thresholds = thresholds or Thresholds()
    suite = build_suite(
        entity,
        thresholds,
        license_types=license_types,
        store_check=known_keys is not None,
        region_check=region_check,
    )
    run_id = run_id or uuid.uuid4().hex
    validated_at = datetime.now(UTC)
    frame = to_frame(entity, records)
    keys = {"enterprise": known_keys} if known_keys is not None else {}
    with batch_scope(keys):
        result = gx_validate(source or entity, frame, suite)
        record_failures: dict[int, list[Failure]] = {}
        batch_failures: list[Failure] = []
        for outcome in result.results:
            _raise_if_broken(outcome)
            config = outcome.expectation_config
            if config is None:
                continue
            if config.meta.get("level") == "record":
                expectation = config.to_domain_obj()
                explains = expectation if isinstance(expectation, Explains) else None
                for index in outcome.result.get("unexpected_index_list") or ():
                    failure = Failure(**record_failure(config, explains, _record(records, index)))
                    record_failures.setdefault(int(index), []).append(failure)
            reported_only = config.meta.get("level") == "report"
            if not outcome.success and records and not reported_only:  # empty: holds nothing
                batch_failures.append(Failure(**batch_failure(entity, config, outcome.result)))
    failed = len(record_failures)
    evaluated = len(records)
    ratio = (evaluated - failed) / evaluated if evaluated else 1.0
    if ratio < thresholds.min_success_ratio:
        batch_failures.append(Failure(
            expectation=f"suite:{entity}",
            rule=f"{entity}.success_ratio",
            field=None,
            message=f"{ratio:.1%} of {evaluated} records passed every expectation; this source"
                    f" needs at least {thresholds.min_success_ratio:.1%}",
            value=round(ratio, 6),
        ))  # fmt: skip
    statistics = SuiteStatistics(
        suite=suite.name,
        evaluated=evaluated,
        passed=evaluated - failed,
        failed=failed,
        success_ratio=ratio,
        expectations_evaluated=result.statistics["evaluated_expectations"],
        expectations_failed=result.statistics["unsuccessful_expectations"],
    )
    gx_json = trimmed_json(result, run_id=run_id, run_time=validated_at, source=source)
    gx_json["meta"]["tongban"] = {
        "statistics": asdict(statistics),
        "thresholds": {
            "min_success_ratio": thresholds.min_success_ratio,
            "max_null_share": thresholds.null_shares(entity),
        },
    }
    return BatchVerdict(
        entity=entity,
        source=source,
        run_id=run_id,
        validated_at=validated_at,
        record_failures=record_failures,
        batch_failures=batch_failures,
        statistics=statistics,
        gx_result=gx_json,
        seconds=time.perf_counter() - started,
    )


def _raise_if_broken(outcome: ExpectationValidationResult) -> None:
    """A metric that raised is a bug or an outage (say, the store's key look-up), never a
    verdict on the data: GX records it as a failed expectation, the hub stops the run."""
    info = outcome.exception_info or {}
    # GX gives one dict, or one per metric when a metric (not the expectation) raised.
    details = [info, *(v for v in info.values() if isinstance(v, dict))]
    for detail in details:
        if detail.get("raised_exception"):
            config = outcome.expectation_config
            name = config.type if config is not None else "an expectation"
            raise FatalError(f"{name} could not be evaluated: {detail.get('exception_message')}")


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)
