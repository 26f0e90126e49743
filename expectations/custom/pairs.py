"""Expectations over two columns of one record: what the ID number says, dates in order.

A citizen ID number carries the birth date (digits 7-14) and the gender (parity of digit
17); a source that disagrees with it has mixed up two people or mistyped one of them.
Rows where either side is missing or unreadable are left to the expectations of that
column, so each problem is reported once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)

from expectations.custom._base import Explains, dates, genders, id_numbers, memoized, per_distinct
from tongban.errors import RecordError
from tongban.identifiers import DEFAULT_REGION_CHECK, check_id_number
from tongban.normalize import gender_code, parse_date

__all__ = [
    "ExpectColumnPairDatesToBeInOrder",
    "ExpectColumnPairValuesToMatchIdNumberBirthDate",
    "ExpectColumnPairValuesToMatchIdNumberGender",
]

RegionCheckField = Literal["historical", "province"]
IgnoreRowIf = Literal["both_values_are_missing", "either_value_is_missing", "neither"]
_PAIR_DOMAIN = ("batch_id", "table", "column_A", "column_B", "row_condition", "condition_parser",
                "ignore_row_if")  # fmt: skip


def _quietly(check: Any, value: Any) -> Any:
    try:
        return check(value)
    except RecordError:
        return None


def _id_sex(id_number: str) -> str:
    return "1" if int(id_number[16]) % 2 else "2"


def _compact_dates(column: pd.Series) -> pd.Series:
    """Each date as ``YYYYMMDD`` (the spelling inside an ID number); None if unreadable."""

    def compact(c: pd.Series) -> pd.Series:
        return per_distinct(dates(c), lambda d: d.strftime("%Y%m%d"))

    return memoized(column, "date8", compact)


class ColumnPairIdNumberBirthDate(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.id_number_birth_date"
    condition_domain_keys = _PAIR_DOMAIN
    condition_value_keys = ("region_check",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls, column_A: pd.Series, column_B: pd.Series, region_check: RegionCheckField, **_: Any
    ) -> pd.Series:
        ids = id_numbers(column_A, region_check).to_numpy()
        given = _compact_dates(column_B).to_numpy()
        ok = [i is None or g is None or i[6:14] == g for i, g in zip(ids, given, strict=True)]
        return pd.Series(np.array(ok, dtype=bool), index=column_A.index)


class ExpectColumnPairValuesToMatchIdNumberBirthDate(Explains, ColumnPairMapExpectation):
    """The birth date (column B) is the one the citizen ID number (column A) carries."""

    region_check: RegionCheckField = DEFAULT_REGION_CHECK
    ignore_row_if: IgnoreRowIf = "either_value_is_missing"
    map_metric = "column_pair_values.id_number_birth_date"
    success_keys = ("region_check", "ignore_row_if", "mostly")
    _template = "$column_B must be the birth date carried by the ID number in $column_A"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        id_number = _quietly(check_id_number, record.get(self.column_A))
        given = _quietly(lambda v: parse_date(v, field=self.column_B), record.get(self.column_B))
        if id_number is None or given is None:
            return None
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        if given == born:
            return None
        return RecordError(
            self.rule_name("person.birth_date_matches_id"),
            f"birth date {given} disagrees with ID number {id_number} ({born})",
            value=record.get(self.column_B),
            field=self.column_B,
        )


class ColumnPairIdNumberGender(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.id_number_gender"
    condition_domain_keys = _PAIR_DOMAIN
    condition_value_keys = ("region_check",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls, column_A: pd.Series, column_B: pd.Series, region_check: RegionCheckField, **_: Any
    ) -> pd.Series:
        ids = id_numbers(column_A, region_check).to_numpy()
        codes = genders(column_B).to_numpy()
        ok = [
            i is None or g not in ("1", "2") or _id_sex(i) == g
            for i, g in zip(ids, codes, strict=True)
        ]
        return pd.Series(np.array(ok, dtype=bool), index=column_A.index)


class ExpectColumnPairValuesToMatchIdNumberGender(Explains, ColumnPairMapExpectation):
    """The gender (column B, GB/T 2261.1) is the one the ID number's digit 17 gives:
    odd for men (1), even for women (2); 0 (unknown) and 9 (not stated) never disagree."""

    region_check: RegionCheckField = DEFAULT_REGION_CHECK
    ignore_row_if: IgnoreRowIf = "either_value_is_missing"
    map_metric = "column_pair_values.id_number_gender"
    success_keys = ("region_check", "ignore_row_if", "mostly")
    _template = "$column_B must be the gender carried by the ID number in $column_A"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        id_number = _quietly(check_id_number, record.get(self.column_A))
        given = _quietly(gender_code, record.get(self.column_B))
        if id_number is None or given not in ("1", "2") or _id_sex(id_number) == given:
            return None
        return RecordError(
            self.rule_name("person.gender_matches_id"),
            f"gender {given} disagrees with ID number {id_number}"
            f" (digit 17 gives {_id_sex(id_number)})",
            value=record.get(self.column_B),
            field=self.column_B,
        )


class ColumnPairDatesInOrder(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.dates_in_order"
    condition_domain_keys = _PAIR_DOMAIN

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **_: Any) -> pd.Series:
        first, then = dates(column_A).to_numpy(), dates(column_B).to_numpy()
        ok = [a is None or b is None or a <= b for a, b in zip(first, then, strict=True)]
        return pd.Series(np.array(ok, dtype=bool), index=column_A.index)


class ExpectColumnPairDatesToBeInOrder(Explains, ColumnPairMapExpectation):
    """The date in column A is on or before the date in column B, e.g. a license's
    ``valid_from`` and ``valid_until`` (有效期起始日期, 有效期截止日期)."""

    ignore_row_if: IgnoreRowIf = "either_value_is_missing"
    map_metric = "column_pair_values.dates_in_order"
    success_keys = ("ignore_row_if", "mostly")
    _template = "$column_A must be on or before $column_B"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        first = _quietly(lambda v: parse_date(v, field=self.column_A), record.get(self.column_A))
        then = _quietly(lambda v: parse_date(v, field=self.column_B), record.get(self.column_B))
        if first is None or then is None or first <= then:
            return None
        return RecordError(
            self.rule_name(f"{self.column_B}.before_{self.column_A}"),
            f"{self.column_B} {then} is before {self.column_A} {first}",
            value=record.get(self.column_B),
            field=self.column_B,
        )
