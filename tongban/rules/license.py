"""The license rule (电子证照, GB/T 36901-36905): catalog, holders, validity.

A license needs its type code, its number and its holder's ID type; every holder's ID is
checked by its type (111 a citizen ID number, 001 a credit code); a license may have
several holders (共有), the first of whom is also ``holder_*``; it is valid from a day
before it is valid until one; its key is ``<type code>:<number>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tongban.errors import RecordError
from tongban.identifiers import check_credit_code, check_id_number
from tongban.identifiers.credit_code import check_credit_codes
from tongban.identifiers.id_number import RegionCheck, check_id_numbers
from tongban.normalize import clean_text
from tongban.rules._columns import Columns, Errors, clean_texts, dates

__all__ = ["HOLDER_CITIZEN", "HOLDER_ENTERPRISE", "TEXTS", "clean_licenses"]

# GB/T 36901-36905 holder ID types.
HOLDER_CITIZEN, HOLDER_ENTERPRISE = "111", "001"

TEXTS = (
    "license_type_code", "license_type_name", "license_number", "holder_name",
    "holder_id_type", "issuer_name", "issuer_code", "jurisdiction_code", "status",
)  # fmt: skip
_REQUIRED = ("license_type_code", "license_number", "holder_id_type")
_HOLDER_KEYS = ("name", "id_type", "id", "share", "ownership")


def clean_licenses(
    cols: Mapping[str, list[Any]], n: int, region_check: RegionCheck, errors: Errors
) -> Columns:
    """The license rule over ``n`` records held as columns; each failure into ``errors``."""
    empty: list[Any] = [None] * n
    out = clean_texts(cols, TEXTS, n)
    given_holders = cols.get("holders", empty)
    holder_ids = list(cols.get("holder_id", empty))
    _mirror_first_holder(out, given_holders, holder_ids)
    for required in _REQUIRED:
        for i, value in enumerate(out[required]):
            if not value:
                errors.fail(i, RecordError(
                    f"license.{required}.missing", f"{required} is empty", field=required
                ))  # fmt: skip
    out["holder_id"] = _holder_ids(out["holder_id_type"], holder_ids, region_check, errors)
    holders: list[Any] = [None] * n
    out["holders"] = holders
    for i in range(n):
        if i not in errors:
            try:
                holders[i] = _holders(given_holders[i], out, i, region_check)
            except RecordError as exc:
                errors.fail(i, exc)
    for name in ("issue_date", "valid_from", "valid_until"):
        out[name] = dates(cols.get(name, empty), name, errors)
    for i, (start, end) in enumerate(zip(out["valid_from"], out["valid_until"], strict=True)):
        if start and end and end < start:
            errors.fail(i, RecordError(
                "license.validity_order",
                f"license {out['license_number'][i]} is valid until {end}, before it is"
                f" valid from {start}",
                field="valid_until",
            ))  # fmt: skip
    out["fields"] = _type_fields(cols.get("fields", empty), errors)
    out["license_key"] = [
        f"{t}:{number}" for t, number in zip(out["license_type_code"], out["license_number"],
                                             strict=True)
    ]  # fmt: skip
    return out


def _mirror_first_holder(out: Columns, given: list[Any], holder_ids: list[Any]) -> None:
    """A license mapped with ``holders`` but not ``holder_*`` takes them from the first."""
    names, types = out["holder_name"], out["holder_id_type"]
    for i, holders in enumerate(given):
        if holders and not types[i] and isinstance(holders, list):
            first = holders[0]
            if isinstance(first, Mapping):
                names[i] = names[i] or clean_text(first.get("name"))
                types[i] = clean_text(first.get("id_type"))
                holder_ids[i] = holder_ids[i] or first.get("id")


def _holder_ids(
    types: list[str | None], given: list[Any], region_check: RegionCheck, errors: Errors
) -> list[str | None]:
    """Each holder's ID checked by its type, the citizens' and the enterprises' each as a
    column."""
    out: list[str | None] = [None] * len(types)
    by_type: dict[str, list[int]] = {HOLDER_CITIZEN: [], HOLDER_ENTERPRISE: []}
    for i, kind in enumerate(types):
        if i in errors:
            continue
        if kind in by_type:
            by_type[kind].append(i)
        else:
            errors.fail(i, _unknown_type(kind))
    for kind, rows in by_type.items():
        values = [given[i] for i in rows]
        checked, bad = (
            check_id_numbers(values, region_check=region_check)
            if kind == HOLDER_CITIZEN
            else check_credit_codes(values)
        )
        for j, i in enumerate(rows):
            out[i] = checked[j]
            if j in bad:
                errors.fail(i, bad[j], field="holder_id")
    return out


def _unknown_type(kind: str | None) -> RecordError:
    return RecordError(
        "license.holder_id_type",
        f"holder ID type {kind!r} is neither 111 (citizen ID) nor 001 (credit code)",
        field="holder_id_type",
    )


def _holder_id(id_type: str, holder: Any, region_check: RegionCheck) -> str:
    if id_type == HOLDER_CITIZEN:
        return check_id_number(holder, region_check=region_check)
    if id_type == HOLDER_ENTERPRISE:
        return check_credit_code(holder)
    raise _unknown_type(id_type)


def _holders(given: Any, out: Columns, i: int, region_check: RegionCheck) -> list[dict[str, Any]]:
    """Every holder of license ``i`` (共有), each checked by its ID type; a license given
    one holder (``holder_*``) has that one. The first holder is ``holder_*``."""
    first = {"name": out["holder_name"][i], "id_type": out["holder_id_type"][i],
             "id": out["holder_id"][i]}  # fmt: skip
    if given is None or given == []:
        return [first]
    number = out["license_number"][i]
    if not isinstance(given, list) or not all(isinstance(h, Mapping) for h in given):
        raise RecordError(
            "license.holders", f"holders of license {number} must be a list of objects",
            field="holders",
        )  # fmt: skip
    holders: list[dict[str, Any]] = []
    for k, holder in enumerate(given, 1):
        unknown = sorted(set(holder) - set(_HOLDER_KEYS))
        if unknown:
            raise RecordError(
                "license.holders.unknown_field",
                f"holder {k} of license {number}: fields {unknown} are not holder fields"
                f" {list(_HOLDER_KEYS)}",
                field="holders",
            )  # fmt: skip
        clean = {key: clean_text(holder.get(key)) for key in _HOLDER_KEYS}
        if not clean["id_type"]:
            raise RecordError(
                "license.holders.id_type.missing",
                f"holder {k} of license {number} has no ID type", field="holders",
            )  # fmt: skip
        try:
            clean["id"] = _holder_id(clean["id_type"], holder.get("id"), region_check)
        except RecordError as exc:
            raise RecordError(
                f"license.holders.{exc.rule.removeprefix('license.')}",
                f"holder {k} of license {number}: {exc.message}",
                value=holder.get("id"),
                field="holders",
            ) from None
        holders.append({key: v for key, v in clean.items() if v is not None or key in first})
    if (holders[0]["id_type"], holders[0]["id"]) != (first["id_type"], first["id"]):
        raise RecordError(
            "license.holders.first",
            f"license {number}: holder {first['id']} is not the first of its holders"
            f" ({holders[0]['id']})",
            field="holder_id",
        )  # fmt: skip
    out["holder_name"][i] = out["holder_name"][i] or holders[0]["name"]
    return holders


def _type_fields(given: list[Any], errors: Errors) -> list[Any]:
    """Type-specific fields: an object, or nothing."""
    out: list[Any] = []
    for i, fields in enumerate(given):
        if fields is not None and not isinstance(fields, Mapping):
            errors.fail(i, RecordError(
                "license.fields", "type-specific fields must be an object", field="fields"
            ))  # fmt: skip
            out.append(None)
            continue
        out.append(dict(fields) if fields else None)
    return out
