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
from tongban.batch import Batch
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


def to_frame(entity: str, records: Batch | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The batch as a DataFrame: model columns first, then any unknown field a record has.

    Row ``i`` is record ``i`` (a RangeIndex), which is how failures find their record. A
    :class:`~tongban.batch.Batch` gives its columns straight from Arrow."""
    model = model_columns(entity)
    if isinstance(records, Batch):
        present: set[str] = set(records.fields)
    else:
        present = set().union(*records)
    extra = sorted(str(k) for k in present.difference(model))
    columns = [*model, *extra]
    if isinstance(records, Batch):
        n = len(records)
        frame = pd.DataFrame(
            {c: _arrow_column(records, c) if c in records else np.full(n, None) for c in columns},
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
    for column in columns:
        values = frame[column].to_numpy()
        if _may_be_blank(values):
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


def _arrow_column(batch: Batch, name: str) -> np.ndarray:
    """A column of the batch as an array of Python objects."""
    values = batch.column(name)
    return np.fromiter(values, dtype=object, count=len(values))


_BLANK = re.compile(r"\x00\s*\x00")


def _may_be_blank(values: Any) -> bool:
    """Whether a column may hold blank text (when it is all text: a join, a membership
    test and a search in C)."""
    try:
        joined = "\x00".join(values)
    except TypeError:  # None or other values: look value by value
        return True
    return _BLANK.search(f"\x00{joined}\x00") is not None
