"""The canonical model: people, enterprises and licenses, and how a raw record becomes one.

``Entity.normalize`` turns a record whose keys are canonical field names (the source
mappings rename fields before this) into clean values, or raises
:class:`~tongban.errors.RecordError` naming the rule it broke.

    >>> PERSON.normalize({"id_number": "110105491231002", "name": " 张三 "})["birth_date"]
    datetime.date(1949, 12, 31)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table

from tongban.errors import RecordError
from tongban.identifiers import ascii_matrix, check_credit_code, check_id_number, written_upper
from tongban.identifiers.credit_code import well_formed_credit_codes
from tongban.identifiers.id_number import RegionCheck, well_formed_id_numbers
from tongban.normalize import (
    clean_text,
    clean_text_column,
    clean_texts,
    date_column,
    decimal_column,
    gender_code,
    parse_date,
    parse_decimal,
)
from tongban.store import schema

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "ENTERPRISE",
    "ENTITIES",
    "HOLDER_CITIZEN",
    "HOLDER_ENTERPRISE",
    "LICENSE",
    "PERSON",
    "Entity",
    "entity",
]

Record = dict[str, Any]
# Normalizes columns of n records, adding to the first set the rows it cannot decide and
# to the second the fields it found free of blank text.
ColumnCleaner = Callable[
    [Mapping[str, list[Any]], int, RegionCheck, set[int], set[str]], dict[str, list[Any]]
]

# GB/T 36901-36905 holder ID types.
HOLDER_CITIZEN, HOLDER_ENTERPRISE = "111", "001"


@dataclass(frozen=True, eq=False)
class Entity:
    name: str
    table: Table
    key: str
    fields: tuple[str, ...]
    _clean: Callable[[Mapping[str, Any], RegionCheck], Record]
    _clean_columns: ColumnCleaner | None = None

    def normalize(
        self, raw: Mapping[str, Any], *, region_check: RegionCheck = "historical"
    ) -> Record:
        if not self.inputs.issuperset(raw):
            unknown = set(raw) - self.inputs
            raise RecordError(
                f"{self.name}.unknown_field",
                f"fields {sorted(unknown)} are not part of the {self.name} model",
            )
        return self._clean(raw, region_check)

    def normalize_columns(
        self,
        columns: Mapping[str, list[Any]],
        n: int,
        *,
        region_check: RegionCheck = "historical",
        skip: Collection[int] = (),
        blank_free: set[str] | None = None,
    ) -> tuple[dict[str, list[Any]], dict[int, RecordError]] | None:
        """:meth:`normalize` of ``n`` records held as columns (``columns[field][i]``):
        the normalized columns and, by row, the error of each record that broke a rule.

        Clean columns are judged whole; a record the column checks cannot decide is
        normalized on its own by :meth:`normalize`, so every record gets exactly what
        :meth:`normalize` gives it. Rows in ``skip`` are left as they are (their values
        in the result mean nothing). None when this entity has no column form or a
        column is not one of its fields: the caller goes record by record.

        ``blank_free``, when given, gets the input columns found to hold no empty or
        blank text (a data-quality check need not look for any there)."""
        if self._clean_columns is None or not self.inputs.issuperset(columns):
            return None
        slow: set[int] = set()
        out = self._clean_columns(
            columns, n, region_check, slow, set() if blank_free is None else blank_free
        )
        errors: dict[int, RecordError] = {}
        slow.difference_update(skip)
        if not slow:
            return out, errors
        # Copy on write: a column may be an input's own list, or shared by empty columns.
        shared = {id(values) for values in columns.values()}
        for name, values in out.items():
            if id(values) in shared:
                out[name] = values = list(values)
            shared.add(id(values))
        names = list(columns)
        for i in sorted(slow):
            try:
                record = self._clean({f: columns[f][i] for f in names}, region_check)
            except RecordError as exc:
                errors[i] = exc
                continue
            for name, value in record.items():
                out[name][i] = value
        return out, errors

    @property
    def has_column_form(self) -> bool:
        """Whether :meth:`normalize_columns` judges whole columns of this entity."""
        return self._clean_columns is not None

    @cached_property
    def inputs(self) -> frozenset[str]:
        """Field names a raw record may carry."""
        return frozenset((self.key, *self.fields, *_DERIVED_INPUTS.get(self.name, ())))


_DERIVED_INPUTS = {"license": {"license_key"}}


def _clean_person(raw: Mapping[str, Any], region_check: RegionCheck) -> Record:
    try:
        id_number = check_id_number(raw.get("id_number"), region_check=region_check)
    except RecordError as exc:
        exc.field = "id_number"
        raise
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    sex = "1" if int(id_number[16]) % 2 else "2"
    rec = clean_texts(raw, _PERSON_TEXTS)
    rec["id_number"] = id_number
    given_birth = parse_date(raw.get("birth_date"), field="birth_date")
    if given_birth is not None and given_birth != born:
        raise RecordError(
            "person.birth_date_matches_id",
            f"birth date {given_birth} disagrees with ID number {id_number} ({born})",
            value=raw.get("birth_date"),
            field="birth_date",
        )
    given_sex = gender_code(raw.get("gender"))
    if given_sex in ("1", "2") and given_sex != sex:
        raise RecordError(
            "person.gender_matches_id",
            f"gender {given_sex} disagrees with ID number {id_number} (digit 17 gives {sex})",
            value=raw.get("gender"),
            field="gender",
        )
    rec["birth_date"], rec["gender"] = born, sex
    if not rec["name"]:
        raise RecordError("person.name.missing", f"person {id_number} has no name", field="name")
    return rec


_PERSON_TEXTS = ("name", "ethnicity", "marital_status", "address", "phone")


def _person_columns(
    cols: Mapping[str, list[Any]],
    n: int,
    region_check: RegionCheck,
    slow: set[int],
    blank_free: set[str],
) -> dict[str, list[Any]]:
    """:func:`_clean_person` a column at a time (see :meth:`Entity.normalize_columns`)."""
    import numpy as np

    empty = [None] * n
    out = _text_columns(cols, _PERSON_TEXTS, empty, blank_free)
    ids = cols.get("id_number", empty)
    ok = _judged("id_number", ids, _id_numbers(region_check), blank_free)
    # Birth date and gender as the number gives them (rows not ok are redone one by one).
    digits = ascii_matrix(ids, 18)[:, :17].astype(np.int64) - 48
    digits[~ok] = 0
    digits[~ok, 6:14] = [1, 9, 7, 0, 0, 1, 0, 1]  # any real date
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10:12] @ np.array([10, 1])
    day = digits[:, 12:14] @ np.array([10, 1])
    months = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    months += (month - 1).astype("timedelta64[M]")
    days = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    born = days.astype(object).tolist()  # datetime.date, each
    sex = np.where(digits[:, 16] % 2 == 1, "1", "2").astype(object).tolist()
    given = cols.get("birth_date")
    if given is not None and given.count(None) != n:
        same = [g is None or (type(g) is date and g == b) for g, b in zip(given, born, strict=True)]
        ok &= np.array(same, dtype=bool)
        if all(g is None or type(g) is date for g in given):
            blank_free.add("birth_date")
    stated = cols.get("gender")
    if stated is not None and stated.count(None) != n:
        agree = [g is None or g == s or g in ("0", "9") for g, s in zip(stated, sex, strict=True)]
        ok &= np.array(agree, dtype=bool)
        if set(stated) <= {None, "0", "1", "2", "9"}:
            blank_free.add("gender")
    ok &= ~_is_none(out["name"])
    slow.update(np.flatnonzero(~ok).tolist())
    out["id_number"] = ids
    out["birth_date"] = born
    out["gender"] = sex
    return out


_ENTERPRISE_TEXTS = (
    "name", "enterprise_type", "legal_rep_name", "address", "business_scope", "status",
    "registration_authority",
)  # fmt: skip


def _clean_enterprise(raw: Mapping[str, Any], region_check: RegionCheck) -> Record:
    try:
        credit_code = check_credit_code(raw.get("credit_code"))
    except RecordError as exc:
        exc.field = "credit_code"
        raise
    rec = clean_texts(raw, _ENTERPRISE_TEXTS)
    rec["credit_code"] = credit_code
    rep = raw.get("legal_rep_id_number")
    if clean_text(rep) is not None:
        try:
            rep = check_id_number(rep, region_check=region_check)
        except RecordError as exc:
            raise RecordError(
                f"enterprise.legal_rep.{exc.rule}",
                f"legal representative of {credit_code}: {exc.message}",
                value=rep,
                field="legal_rep_id_number",
            ) from None
    rec["legal_rep_id_number"] = clean_text(rep)
    rec["registered_capital"] = parse_decimal(
        raw.get("registered_capital"), field="registered_capital"
    )
    rec["established_on"] = parse_date(raw.get("established_on"), field="established_on")
    rec["region_code"] = clean_text(raw.get("region_code")) or credit_code[2:8]
    if not rec["name"]:
        raise RecordError(
            "enterprise.name.missing", f"enterprise {credit_code} has no name", field="name"
        )
    return rec


def _enterprise_columns(
    cols: Mapping[str, list[Any]],
    n: int,
    region_check: RegionCheck,
    slow: set[int],
    blank_free: set[str],
) -> dict[str, list[Any]]:
    """:func:`_clean_enterprise` a column at a time (see :meth:`Entity.normalize_columns`)."""
    import numpy as np

    empty = [None] * n
    out = _text_columns(cols, _ENTERPRISE_TEXTS, empty, blank_free)
    codes = cols.get("credit_code", empty)
    ok = _judged("credit_code", codes, well_formed_credit_codes, blank_free)
    rep = cols.get("legal_rep_id_number", empty)
    ok &= _judged("legal_rep_id_number", rep, _id_numbers(region_check), blank_free, absent_ok=True)
    ok &= ~_is_none(out["name"])
    slow.update(np.flatnonzero(~ok).tolist())
    out["credit_code"] = codes
    out["legal_rep_id_number"] = rep
    for name, parse in (("registered_capital", decimal_column), ("established_on", date_column)):
        unparsed: set[int] = set()
        out[name] = parse(cols.get(name, empty), unparsed)
        if not unparsed:  # every value parsed (or None): none was blank text
            blank_free.add(name)
        slow |= unparsed
    given = cols.get("region_code")
    if given is None or given.count(None) == n:
        out["region_code"] = [c[2:8] if c.__class__ is str else None for c in codes]
    else:
        out["region_code"] = [
            clean_text(g) or (c[2:8] if c.__class__ is str else None)
            for g, c in zip(given, codes, strict=True)
        ]
    return out


def _text_columns(
    cols: Mapping[str, list[Any]], names: tuple[str, ...], empty: list[None], blank_free: set[str]
) -> dict[str, list[Any]]:
    """``clean_text`` of the text fields ``names``; a column handed back as it came holds
    no blank text."""
    out = {f: clean_text_column(cols.get(f, empty)) for f in names}
    blank_free.update(f for f in names if f in cols and out[f] is cols[f])
    return out


def _judged(
    name: str,
    values: list[Any],
    well_formed: Callable[[list[Any]], npt.NDArray[np.bool_]],
    blank_free: set[str],
    *,
    absent_ok: bool = False,
) -> npt.NDArray[np.bool_]:
    """By row, whether an identifier column's value is well formed and written in capitals
    (with ``absent_ok``, or missing); the column is ``blank_free`` when every row is."""
    ok = well_formed(values) & written_upper(values)
    if absent_ok:
        ok |= _is_none(values)
    if ok.all():
        blank_free.add(name)
    return ok


def _id_numbers(region_check: RegionCheck) -> Callable[[list[Any]], npt.NDArray[np.bool_]]:
    return lambda values: well_formed_id_numbers(values, region_check=region_check)


def _is_none(values: list[Any]) -> npt.NDArray[np.bool_]:
    import numpy as np

    if None not in values:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def _clean_license(raw: Mapping[str, Any], region_check: RegionCheck) -> Record:
    rec = clean_texts(
        raw,
        ("license_type_code", "license_type_name", "license_number", "holder_name",
         "holder_id_type", "issuer_name", "issuer_code", "jurisdiction_code", "status"),
    )  # fmt: skip
    if raw.get("holders") and not rec["holder_id_type"]:  # mapped without the mirrors
        first = raw["holders"][0] if isinstance(raw["holders"], list) else None
        if isinstance(first, Mapping):
            rec["holder_name"] = rec["holder_name"] or clean_text(first.get("name"))
            rec["holder_id_type"] = clean_text(first.get("id_type"))
            raw = {**raw, "holder_id": raw.get("holder_id") or first.get("id")}
    for required in ("license_type_code", "license_number", "holder_id_type"):
        if not rec[required]:
            raise RecordError(f"license.{required}.missing", f"{required} is empty", field=required)
    rec["holder_id"] = _holder_id(rec["holder_id_type"], raw.get("holder_id"), region_check)
    rec["holders"] = _holders(raw.get("holders"), rec, region_check)
    for name in ("issue_date", "valid_from", "valid_until"):
        rec[name] = parse_date(raw.get(name), field=name)
    if rec["valid_from"] and rec["valid_until"] and rec["valid_until"] < rec["valid_from"]:
        raise RecordError(
            "license.validity_order",
            f"license {rec['license_number']} is valid until {rec['valid_until']}, before"
            f" it is valid from {rec['valid_from']}",
            field="valid_until",
        )
    fields = raw.get("fields")
    if fields is not None and not isinstance(fields, Mapping):
        raise RecordError(
            "license.fields", "type-specific fields must be an object", field="fields"
        )
    rec["fields"] = dict(fields) if fields else None
    rec["license_key"] = f"{rec['license_type_code']}:{rec['license_number']}"
    return rec


def _holder_id(id_type: str, holder: Any, region_check: RegionCheck) -> str:
    """A holder's ID checked by its type: 111 an ID number, 001 a credit code."""
    if id_type == HOLDER_CITIZEN:
        return check_id_number(holder, region_check=region_check)
    if id_type == HOLDER_ENTERPRISE:
        return check_credit_code(holder)
    raise RecordError(
        "license.holder_id_type",
        f"holder ID type {id_type!r} is neither 111 (citizen ID) nor 001 (credit code)",
        field="holder_id_type",
    )


_HOLDER_KEYS = ("name", "id_type", "id", "share", "ownership")


def _holders(given: Any, rec: Record, region_check: RegionCheck) -> list[Record]:
    """Every holder of the license (共有), each checked by its ID type; a license given
    one holder (``holder_*``) has that one. The first holder is ``holder_*``."""
    first = {"name": rec["holder_name"], "id_type": rec["holder_id_type"], "id": rec["holder_id"]}
    if given is None or given == []:
        return [first]
    number = rec["license_number"]
    if not isinstance(given, list) or not all(isinstance(h, Mapping) for h in given):
        raise RecordError(
            "license.holders", f"holders of license {number} must be a list of objects",
            field="holders",
        )  # fmt: skip
    holders: list[Record] = []
    for n, holder in enumerate(given, 1):
        unknown = sorted(set(holder) - set(_HOLDER_KEYS))
        if unknown:
            raise RecordError(
                "license.holders.unknown_field",
                f"holder {n} of license {number}: fields {unknown} are not holder fields"
                f" {list(_HOLDER_KEYS)}",
                field="holders",
            )  # fmt: skip
        clean = {k: clean_text(holder.get(k)) for k in _HOLDER_KEYS}
        if not clean["id_type"]:
            raise RecordError(
                "license.holders.id_type.missing",
                f"holder {n} of license {number} has no ID type", field="holders",
            )  # fmt: skip
        try:
            clean["id"] = _holder_id(clean["id_type"], holder.get("id"), region_check)
        except RecordError as exc:
            raise RecordError(
                f"license.holders.{exc.rule.removeprefix('license.')}",
                f"holder {n} of license {number}: {exc.message}",
                value=holder.get("id"),
                field="holders",
            ) from None
        holders.append({k: v for k, v in clean.items() if v is not None or k in first})
    if (holders[0]["id_type"], holders[0]["id"]) != (first["id_type"], first["id"]):
        raise RecordError(
            "license.holders.first",
            f"license {number}: holder {first['id']} is not the first of its holders"
            f" ({holders[0]['id']})",
            field="holder_id",
        )  # fmt: skip
    rec["holder_name"] = rec["holder_name"] or holders[0]["name"]
    return holders


def _fields(table: Table, key: str) -> tuple[str, ...]:
    fields = schema.golden_fields(table)
    assert key not in fields and key in table.c, f"{key} must be the key of {table.name}"
    return fields


PERSON = Entity(
    "person",
    schema.person,
    "id_number",
    _fields(schema.person, "id_number"),
    _clean_person,
    _person_columns,
)
ENTERPRISE = Entity(
    "enterprise",
    schema.enterprise,
    "credit_code",
    _fields(schema.enterprise, "credit_code"),
    _clean_enterprise,
    _enterprise_columns,
)
LICENSE = Entity(
    "license", schema.license, "license_key", _fields(schema.license, "license_key"), _clean_license
)
ENTITIES: dict[str, Entity] = {e.name: e for e in (PERSON, ENTERPRISE, LICENSE)}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise ValueError(f"unknown entity {name!r}; expected one of {sorted(ENTITIES)}") from None
