"""Expectations about single values the hub must be able to read: dates and amounts.

A department may spell a date ``19900101``, ``1990-1-1`` or ``1990年1月1日``; what
:func:`tongban.normalize.parse_date` reads is a date, anything else is reported under
``<field>.format``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import column_condition_partial

from expectations.custom._base import (
    Explains,
    WholeColumnMetric,
    dates,
    failure,
    missing,
    per_distinct,
)
from tongban.errors import RecordError
from tongban.normalize import parse_date, parse_decimal

__all__ = ["ExpectColumnValuesToBeValidDate", "ExpectColumnValuesToBeValidDecimal"]


class ColumnValuesValidDate(WholeColumnMetric):
    condition_metric_name = "column_values.valid_date"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        return dates(column).notna() | missing(column)


class ExpectColumnValuesToBeValidDate(Explains, ColumnMapExpectation):
    """Values are real calendar dates in a spelling the hub reads."""

    map_metric = "column_values.valid_date"
    success_keys = ("mostly",)
    _template = "$column values must be real dates"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        value = record.get(self.column)
        return failure(lambda: parse_date(value, field=self.column))


def _decimal_ok(value: Any) -> bool:
    try:
        parse_decimal(value, field="amount")
    except RecordError:
        return False
    return True


class ColumnValuesValidDecimal(WholeColumnMetric):
    condition_metric_name = "column_values.valid_decimal"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        return per_distinct(column, _decimal_ok).astype(bool) | missing(column)


class ExpectColumnValuesToBeValidDecimal(Explains, ColumnMapExpectation):
    """Values are numbers (thousands separators allowed), e.g. registered capital."""

    map_metric = "column_values.valid_decimal"
    success_keys = ("mostly",)
    _template = "$column values must be numbers"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        value = record.get(self.column)
        return failure(lambda: parse_decimal(value, field=self.column))
