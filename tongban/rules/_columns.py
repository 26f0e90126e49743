"""What every entity rule does to a column: clean text, parse dates and amounts, check
identifiers, and keep the first error of each record.

Each helper takes a whole column and gives every value what the value-level cleaner in
:mod:`tongban.normalize` or :mod:`tongban.identifiers` gives it: a clean column is
judged in a few C calls, and a value that way cannot decide (full-width digits,
``1990年1月1日``, a 15-digit ID number) is decided right there by the value-level
cleaner, which names the rule it broke.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from tongban.errors import RecordError
from tongban.normalize import (
    clean_text,
    clean_text_column,
    date_column,
    decimal_column,
    parse_date,
    parse_decimal,
)

__all__ = [
    "Columns",
    "Errors",
    "clean_texts",
    "dates",
    "decimals",
    "per_distinct",
]

Columns = dict[str, list[Any]]


class Errors(dict[int, RecordError]):
    """The error of each record, by row: a record keeps the first rule it broke (rules
    run in the order a record is checked), and a row that failed before this rule ran
    (in mapping, say) is not judged again."""

    def fail(self, row: int, error: RecordError, field: str | None = None) -> None:
        if row not in self:
            if field is not None and error.field is None:
                error.field = field
            self[row] = error

    def fail_all(self, found: Mapping[int, RecordError], field: str | None = None) -> None:
        for row, error in found.items():
            self.fail(row, error, field)


def clean_texts(cols: Mapping[str, list[Any]], names: tuple[str, ...], n: int) -> Columns:
    """``clean_text`` of each text field ``names`` (a field the batch lacks is None); each
    a list of its own, which a rule may change."""
    out: Columns = {}
    for name in names:
        cleaned = clean_text_column(cols[name]) if name in cols else [None] * n
        out[name] = list(cleaned) if name in cols and cleaned is cols[name] else cleaned
    return out


def dates(values: list[Any], field: str, errors: Errors) -> list[date | None]:
    """``parse_date`` of every value (its failure under ``<field>.format``)."""
    return _decided(date_column, parse_date, values, field, errors)


def decimals(values: list[Any], field: str, errors: Errors) -> list[Any]:
    """``parse_decimal`` of every value (its failure under ``<field>.format``)."""
    return _decided(decimal_column, parse_decimal, values, field, errors)


def _decided(
    column: Callable[[list[Any], set[int]], list[Any]],
    one: Callable[..., Any],
    values: list[Any],
    field: str,
    errors: Errors,
) -> list[Any]:
    """``column`` of ``values``; each value it leaves undecided, ``one`` of that value."""
    undecided: set[int] = set()
    out = column(values, undecided)
    for i in undecided:
        try:
            out[i] = one(values[i], field=field)
        except RecordError as exc:
            errors.fail(i, exc)
    return out


def per_distinct(values: list[Any], clean: Callable[[Any], Any], errors: Errors) -> list[Any]:
    """``clean`` of every value, called once per distinct value (a code column repeats a
    handful of values); a value it refuses fails its rows."""
    seen: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    for i, value in enumerate(values):
        try:
            got = seen[(value.__class__, value)]
        except KeyError:
            got = seen[(value.__class__, value)] = _outcome(clean, value)
        except TypeError:  # a list or a structure: cleaned on its own
            got = _outcome(clean, value)
        if isinstance(got, RecordError):
            errors.fail(i, got)
            got = None
        out.append(got)
    return out


def _outcome(clean: Callable[[Any], Any], value: Any) -> Any:
    try:
        return clean(value)
    except RecordError as exc:
        return exc


def text_or(values: list[Any], fallback: list[Any]) -> list[Any]:
    """``clean_text(value) or fallback`` of every row."""
    return [clean_text(v) or f for v, f in zip(values, fallback, strict=True)]
