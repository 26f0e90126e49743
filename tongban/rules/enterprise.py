"""The enterprise rule (企业): the credit code keys it, and gives its region.

The unified social credit code is checked (GB 32100); a legal representative's ID
number, when given, is checked too (under ``enterprise.legal_rep.<rule>``); the
registered capital is an amount in 万元, kept to the yuan (four decimal places, as the
store holds it: an amount sent with more is rounded here, so the same record sent again
is unchanged), and the founding day a date; the region is the one
given or else the code's; an enterprise must have a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tongban.errors import RecordError
from tongban.identifiers.credit_code import check_credit_codes
from tongban.identifiers.id_number import RegionCheck, check_id_numbers
from tongban.rules._columns import (
    Columns,
    Errors,
    clean_texts,
    dates,
    decimals,
    text_or,
)

__all__ = ["TEXTS", "clean_enterprises"]

TEXTS = (
    "name", "enterprise_type", "legal_rep_name", "address", "business_scope", "status",
    "registration_authority",
)  # fmt: skip


def clean_enterprises(
    cols: Mapping[str, list[Any]], n: int, region_check: RegionCheck, errors: Errors
) -> Columns:
    """The enterprise rule over ``n`` records held as columns; each failure into ``errors``."""
    empty: list[Any] = [None] * n
    codes, bad = check_credit_codes(cols.get("credit_code", empty))
    errors.fail_all(bad, "credit_code")
    out = clean_texts(cols, TEXTS, n)
    out["credit_code"] = codes
    out["legal_rep_id_number"] = _legal_reps(cols.get("legal_rep_id_number", empty), codes,
                                             region_check, errors)  # fmt: skip
    capital = decimals(cols.get("registered_capital", empty), "registered_capital", errors)
    out["registered_capital"] = [_to_the_yuan(v) for v in capital]
    out["established_on"] = dates(cols.get("established_on", empty), "established_on", errors)
    regions = [c[2:8] if c is not None else None for c in codes]
    given = cols.get("region_code")
    out["region_code"] = regions if given is None else text_or(given, regions)
    names = out["name"]
    if None in names:
        for i, name in enumerate(names):
            if name is None:
                errors.fail(i, RecordError(
                    "enterprise.name.missing", f"enterprise {codes[i]} has no name",
                    field="name",
                ))  # fmt: skip
    return out


def _legal_reps(
    given: list[Any], codes: list[str | None], region_check: RegionCheck, errors: Errors
) -> list[str | None]:
    """The legal representatives' ID numbers, checked where given."""
    texts = clean_texts({"rep": given}, ("rep",), len(given))["rep"]
    rows = [i for i, t in enumerate(texts) if t is not None]
    if not rows:
        return texts
    if len(rows) == len(given):
        numbers, bad = check_id_numbers(given, region_check=region_check)
    else:
        checked, found = check_id_numbers([given[i] for i in rows], region_check=region_check)
        numbers = list(texts)
        bad = {}
        for j, i in enumerate(rows):
            numbers[i] = checked[j]
            if j in found:
                bad[i] = found[j]
    for i, exc in bad.items():
        errors.fail(i, RecordError(
            f"enterprise.legal_rep.{exc.rule}",
            f"legal representative of {codes[i]}: {exc.message}",
            value=given[i], field="legal_rep_id_number",
        ))  # fmt: skip
    return numbers


_YUAN = Decimal("0.0001")  # 万元 to four places: one yuan


def _to_the_yuan(amount: Any) -> Any:
    """``amount`` rounded to four decimal places when it has more (the store's scale)."""
    if isinstance(amount, Decimal) and amount.is_finite():
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            return amount.quantize(_YUAN, rounding=ROUND_HALF_UP)
    return amount
