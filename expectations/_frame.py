"""Mapped records to the pandas DataFrame GX validates.

One object column per canonical field (absent fields are empty columns), built column
by column from the records. Two clean-ups happen here, both on values that cannot be
wrong, so every real problem is still left for an expectation to report:

* blank text (``""``, spaces, the ideographic space) and NaN count as missing, as they
  would after normalization;
* code columns (gender, ethnicity, holder ID type, ...) are folded with the same
  cleaners normalization uses (``男`` becomes ``1``, full-width digits half-width),
  once per distinct value, so a value set judges what the store would hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from expectations.custom import per_distinct
from expectations.suites import model_columns
from tongban.errors import RecordError
from tongban.normalize import clean_text, gender_code

__all__ = ["CODE_COLUMNS", "to_frame"]


def _gender(value: Any) -> Any:
    try:
        return gender_code(value)
    except RecordError:
        return clean_text(value)  # left for the value-set expectation to report


CODE_COLUMNS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "person": {"gender": _gender, "ethnicity": clean_text, "marital_status": clean_text},
    "enterprise": {"region_code": clean_text},
    "license": {
        "license_type_code": clean_text,
        "license_number": clean_text,
        "holder_id_type": clean_text,
        "jurisdiction_code": clean_text,
        "status": clean_text,
    },
}


def to_frame(entity: str, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The batch as a DataFrame: model columns first, then any unknown field a record has.

    Row ``i`` is ``records[i]`` (a RangeIndex), which is how failures find their record.
    """
    model = model_columns(entity)
    held = getattr(records, "columns", None)  # records held as columns (MappedRows)
    present: set[str] = set(held) if held is not None else set().union(*records)
    extra = sorted(str(k) for k in present.difference(model))
    columns = [*model, *extra]
    if held is not None:
        n = len(records)
        frame = pd.DataFrame(
            {c: _object_array(held[c]) if c in held else np.full(n, None) for c in columns},
            columns=columns,
            dtype=object,
            copy=False,  # a block a column: not stacked into one 2-D array first
        )  # a RangeIndex
    else:
        # pandas reads the records into object columns in C (a column at a time in
        # Python costs three times as much).
        frame = pd.DataFrame(list(records), columns=columns, dtype=object)  # a RangeIndex
    # Blank text becomes None, column by column.
    cleaners = CODE_COLUMNS.get(entity, {})
    blank_free: frozenset[str] = getattr(records, "blank_free", frozenset())
    for column in columns:
        values = frame[column].to_numpy()
        sent = held[column] if held is not None and column in held else values
        if column not in blank_free and _may_be_blank(sent):
            blank = [
                i for i, v in enumerate(values) if v.__class__ is str and (not v or v.isspace())
            ]
            if blank:
                values = values.copy()
                values[blank] = None
                frame[column] = values
        cleaner = cleaners.get(column)
        if cleaner is not None:
            frame[column] = per_distinct(frame[column], cleaner).to_numpy()
    return frame


_SPACE_ONLY = re.compile(r"\x00\s+\x00")


def _may_be_blank(values: Sequence[Any]) -> bool:
    """Whether a column may hold blank text (when it is all text: a join, a membership
    test and a search in C)."""
    try:
        joined = "\x00".join(values)
    except TypeError:  # None or other values: look value by value
        return True
    return "" in values or _SPACE_ONLY.search(f"\x00{joined}\x00") is not None


def _object_array(values: list[Any]) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))
