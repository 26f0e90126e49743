"""Expectations about identifiers: ID numbers, credit codes, regions, keys and catalogs.

Each one calls the hub's own rules (``tongban.identifiers``), so a value GX rejects is
exactly a value the store would refuse, and the quarantine shows the same rule names
(``id_number.checksum``, ``credit_code.charset``, ...).

    >>> ExpectColumnValuesToBeValidIdNumber(column="id_number").expectation_type
    'expect_column_values_to_be_valid_id_number'
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import column_condition_partial

from expectations.custom._base import (
    Explains,
    WholeColumnMetric,
    credit_codes,
    failure,
    id_numbers,
    known_key_lookup,
    missing,
)
from tongban.errors import RecordError
from tongban.identifiers import (
    DEFAULT_REGION_CHECK,
    check_credit_code,
    check_id_number,
    is_known_region,
)
from tongban.normalize import clean_text

__all__ = [
    "ExpectColumnValuesToBeInLicenseCatalog",
    "ExpectColumnValuesToBeInStore",
    "ExpectColumnValuesToBeKnownRegionCode",
    "ExpectColumnValuesToBeUniqueIdentifiers",
    "ExpectColumnValuesToBeValidCreditCode",
    "ExpectColumnValuesToBeValidHolders",
    "ExpectColumnValuesToBeValidIdNumber",
]

Identifier = Literal["id_number", "credit_code"]
RegionCheckField = Literal["historical", "province"]


def _canonical(column: pd.Series, identifier: str, region_check: RegionCheckField) -> pd.Series:
    if identifier == "id_number":
        return id_numbers(column, region_check)
    return credit_codes(column)


def _canonical_value(value: Any, identifier: str, region_check: RegionCheckField) -> str | None:
    try:
        if identifier == "id_number":
            return check_id_number(value, region_check=region_check)
        return check_credit_code(value)
    except RecordError:
        return None


class ColumnValuesValidIdNumber(WholeColumnMetric):
    condition_metric_name = "column_values.valid_id_number"
    condition_value_keys = ("region_check",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, region_check: RegionCheckField, **_: Any) -> pd.Series:
        return id_numbers(column, region_check).notna() | missing(column)


class ExpectColumnValuesToBeValidIdNumber(Explains, ColumnMapExpectation):
    """Values are citizen ID numbers (公民身份号码, GB 11643): length, check character, birth
    date, and a region code GB/T 2260 has listed (``region_check="province"``: prefix only).
    """

    region_check: RegionCheckField = DEFAULT_REGION_CHECK
    map_metric = "column_values.valid_id_number"
    success_keys = ("region_check", "mostly")
    _template = "$column values must be valid citizen ID numbers (GB 11643)"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        value = record.get(self.column)
        return failure(lambda: check_id_number(value, region_check=self.region_check))


class ColumnValuesValidCreditCode(WholeColumnMetric):
    condition_metric_name = "column_values.valid_credit_code"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        return credit_codes(column).notna() | missing(column)


class ExpectColumnValuesToBeValidCreditCode(Explains, ColumnMapExpectation):
    """Values are unified social credit codes (统一社会信用代码, GB 32100)."""

    map_metric = "column_values.valid_credit_code"
    success_keys = ("mostly",)
    _template = "$column values must be valid unified social credit codes (GB 32100)"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        value = record.get(self.column)
        return failure(lambda: check_credit_code(value))


def holders_problem(holders: Any, region_check: RegionCheckField) -> RecordError | None:
    """What is wrong with a license's list of holders (共有), under the rule normalization
    names (``license.holders.id_number.checksum``, ...); None when nothing is."""
    if holders is None or holders == []:
        return None
    if not isinstance(holders, list) or not all(isinstance(h, Mapping) for h in holders):
        return RecordError("license.holders", "holders must be a list of objects", field="holders")
    for n, holder in enumerate(holders, 1):
        kind = clean_text(holder.get("id_type"))
        if not kind:
            return RecordError(
                "license.holders.id_type.missing", f"holder {n} has no ID type", field="holders"
            )
        value = holder.get("id")
        if kind == "111":
            error = failure(partial(check_id_number, value, region_check=region_check))
        elif kind == "001":
            error = failure(partial(check_credit_code, value))
        else:
            error = RecordError(
                "holder_id_type", f"holder ID type {kind!r} is neither 111 nor 001", value=kind
            )
        if error is not None:
            return RecordError(
                f"license.holders.{error.rule}", f"holder {n}: {error.message}",
                value=value, field="holders",
            )  # fmt: skip
    return None


class ColumnValuesValidHolders(WholeColumnMetric):
    condition_metric_name = "column_values.valid_holders"
    condition_value_keys = ("region_check",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, region_check: RegionCheckField, **_: Any) -> pd.Series:
        judged = column.map(lambda v: isinstance(v, list) and not holders_problem(v, region_check))
        return judged.astype(bool) | missing(column)


class ExpectColumnValuesToBeValidHolders(Explains, ColumnMapExpectation):
    """Each value is a list of holders (共有), each ID valid for its type: 111 a citizen
    ID number (GB 11643), 001 a unified social credit code (GB 32100)."""

    region_check: RegionCheckField = DEFAULT_REGION_CHECK
    map_metric = "column_values.valid_holders"
    success_keys = ("region_check", "mostly")
    _template = "$column must list holders whose IDs are valid for their ID type"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        return holders_problem(record.get(self.column), self.region_check)


class ColumnValuesKnownRegionCode(WholeColumnMetric):
    condition_metric_name = "column_values.known_region_code"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        known = column.map(lambda v: isinstance(v, str) and is_known_region(v)).astype(bool)
        return known | missing(column)


class ExpectColumnValuesToBeKnownRegionCode(Explains, ColumnMapExpectation):
    """Values are administrative division codes (行政区划代码) GB/T 2260 has ever listed."""

    map_metric = "column_values.known_region_code"
    success_keys = ("mostly",)
    _template = "$column values must be region codes listed in GB/T 2260 (any edition)"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        code = clean_text(record.get(self.column))
        if code is None or is_known_region(code):
            return None
        return RecordError(
            self.rule_name(f"{self.column}.unknown_region"),
            f"'{code}' was never listed in GB/T 2260",
            value=record.get(self.column),
            field=self.column,
        )


class ColumnValuesUniqueIdentifiers(WholeColumnMetric):
    condition_metric_name = "column_values.unique_identifiers"
    condition_value_keys = ("identifier", "region_check")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls, column: pd.Series, identifier: str, region_check: RegionCheckField, **_: Any
    ) -> pd.Series:
        canonical = _canonical(column, identifier, region_check)
        return ~(canonical.notna() & canonical.duplicated(keep=False))


class ExpectColumnValuesToBeUniqueIdentifiers(Explains, ColumnMapExpectation):
    """No two records of the batch carry the same identifier once normalized: a 15-digit
    number and its 18-digit upgrade, or ``x`` and ``X``, are the same person."""

    identifier: Identifier
    region_check: RegionCheckField = DEFAULT_REGION_CHECK
    map_metric = "column_values.unique_identifiers"
    success_keys = ("identifier", "region_check", "mostly")
    _template = "$column values must be unique within the batch (as $identifier)"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        key = _canonical_value(record.get(self.column), self.identifier, self.region_check)
        return RecordError(
            self.rule_name(f"{self.column}.duplicate"),
            f"{self.identifier} {key} occurs more than once in this batch",
            value=record.get(self.column),
            field=self.column,
        )


class ColumnValuesInStore(WholeColumnMetric):
    condition_metric_name = "column_values.in_store"
    condition_value_keys = ("key_set", "identifier")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, key_set: str, identifier: str, **_: Any) -> pd.Series:
        canonical = _canonical(column, identifier, DEFAULT_REGION_CHECK)
        candidates = set(canonical.dropna().unique())
        present = set(known_key_lookup(key_set)(candidates)) if candidates else set()
        # An invalid identifier is reported by its own expectation, not as a missing key.
        return canonical.isna() | canonical.isin(present)


class ExpectColumnValuesToBeInStore(Explains, ColumnMapExpectation):
    """Values name a record the store already holds, e.g. a license holder's credit code.

    ``key_set`` names the keys given to the batch (``known_keys={"enterprise": ...}``);
    the keys themselves are never part of the suite.
    """

    key_set: str
    identifier: Identifier = "credit_code"
    map_metric = "column_values.in_store"
    success_keys = ("key_set", "identifier", "mostly")
    _template = "$column values must be keys of $key_set records held in the store"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        key = _canonical_value(record.get(self.column), self.identifier, DEFAULT_REGION_CHECK)
        if key is None or key in known_key_lookup(self.key_set)([key]):
            return None
        return RecordError(
            self.rule_name(f"{self.column}.not_in_store"),
            f"{self.key_set} {key} is not held in the store",
            value=record.get(self.column),
            field=self.column,
        )


class ColumnValuesInLicenseCatalog(WholeColumnMetric):
    condition_metric_name = "column_values.in_license_catalog"
    condition_value_keys = ("value_set",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, value_set: list[str], **_: Any) -> pd.Series:
        return column.isin(value_set) | missing(column)


class ExpectColumnValuesToBeInLicenseCatalog(Explains, ColumnMapExpectation):
    """Values are license type codes of the e-license catalog (电子证照目录, GB/T 36902)."""

    value_set: list[str]
    map_metric = "column_values.in_license_catalog"
    success_keys = ("value_set", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column", "value_set")
    _template = "$column values must be license types of the e-license catalog"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        code = clean_text(record.get(self.column))
        if code is None or code in self.value_set:
            return None
        return RecordError(
            self.rule_name(f"{self.column}.not_in_catalog"),
            f"license type '{code}' is not in the e-license catalog",
            value=record.get(self.column),
            field=self.column,
        )
