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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from expectations.custom._base import per_distinct
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
    present: set[str] = set().union(*records) if records else set()
    extra = sorted(str(k) for k in present.difference(model))
    columns = [*model, *extra]
    # pandas reads the records into object columns in C (a column at a time in Python
    # costs three times as much); blank text then becomes None, column by column.
    frame = pd.DataFrame(list(records), columns=columns, dtype=object)  # a RangeIndex
    cleaners = CODE_COLUMNS.get(entity, {})
    for column in columns:
        values = frame[column].to_numpy()
        blank = [i for i, v in enumerate(values) if v.__class__ is str and (not v or v.isspace())]
        if blank:
            values = values.copy()
            values[blank] = None
            frame[column] = values
        cleaner = cleaners.get(column)
        if cleaner is not None:
            frame[column] = per_distinct(frame[column], cleaner).to_numpy()
    return frame
