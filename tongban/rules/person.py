"""The person rule (公民): the ID number decides the birth date and the gender.

A record's ID number is checked (GB 11643, a legacy 15-digit number upgraded); a birth
date or gender it states must agree with what the number gives, and the number's are
kept; a person must have a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tongban.errors import RecordError
from tongban.identifiers import ascii_matrix
from tongban.identifiers.id_number import RegionCheck, check_id_numbers
from tongban.normalize import gender_code
from tongban.rules._columns import Columns, Errors, clean_texts, dates, per_distinct

__all__ = ["TEXTS", "clean_people"]

TEXTS = ("name", "ethnicity", "marital_status", "address", "phone")


def clean_people(
    cols: Mapping[str, list[Any]], n: int, region_check: RegionCheck, errors: Errors
) -> Columns:
    """The person rule over ``n`` records held as columns; each failure into ``errors``."""
    empty: list[Any] = [None] * n
    numbers, bad = check_id_numbers(cols.get("id_number", empty), region_check=region_check)
    errors.fail_all(bad, "id_number")
    out = clean_texts(cols, TEXTS, n)
    out["id_number"] = numbers
    born, sex = _born_and_sex(numbers)
    if "birth_date" in cols:
        given = dates(cols["birth_date"], "birth_date", errors)
        for i, g in enumerate(given):
            if g is not None and g != born[i] and i not in errors:
                errors.fail(i, RecordError(
                    "person.birth_date_matches_id",
                    f"birth date {g} disagrees with ID number {numbers[i]} ({born[i]})",
                    value=cols["birth_date"][i], field="birth_date",
                ))  # fmt: skip
    if "gender" in cols:
        stated = per_distinct(cols["gender"], gender_code, errors)
        for i, g in enumerate(stated):
            if g in ("1", "2") and g != sex[i] and i not in errors:
                errors.fail(i, RecordError(
                    "person.gender_matches_id",
                    f"gender {g} disagrees with ID number {numbers[i]} (digit 17 gives {sex[i]})",
                    value=cols["gender"][i], field="gender",
                ))  # fmt: skip
    out["birth_date"], out["gender"] = born, sex
    names = out["name"]
    if None in names:
        for i, name in enumerate(names):
            if name is None:
                errors.fail(i, RecordError(
                    "person.name.missing", f"person {numbers[i]} has no name", field="name"
                ))  # fmt: skip
    return out


def _born_and_sex(numbers: list[str | None]) -> tuple[list[date | None], list[str | None]]:
    """The birth date and gender each valid number gives (None where it failed)."""
    import numpy as np

    n = len(numbers)
    if not n:
        return [], []
    digits = ascii_matrix(numbers, 18)[:, :17].astype(np.int64) - 48
    failed = (digits < 0).any(axis=1) | (digits > 9).any(axis=1)
    digits[failed] = 0
    digits[failed, 6:14] = [1, 9, 7, 0, 0, 1, 0, 1]  # any real date, dropped below
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10:12] @ np.array([10, 1])
    day = digits[:, 12:14] @ np.array([10, 1])
    months = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    months += (month - 1).astype("timedelta64[M]")
    days = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    born: list[date | None] = days.astype(object).tolist()
    sex: list[str | None] = np.where(digits[:, 16] % 2 == 1, "1", "2").astype(object).tolist()
    if failed.any():
        for i in np.flatnonzero(failed).tolist():
            born[i] = sex[i] = None
    return born, sex
