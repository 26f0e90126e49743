"""What each department system sends: raw records in its own field names, with dirt.

One function per source renders record *i* as the system holds it and, when the record
is dirty, the manifest entry saying what the hub must make of it. Source names and their
record ids: ``gongan_population`` (``recordId``), ``scjg_enterprise`` and ``scjg_license``
(``id``), ``minzheng_marriage`` (``str(id)``), ``renshe_insurance`` (``<file>:<line>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sandbox import _vocab as v
from sandbox import dirt as dk
from sandbox._draw import Draws
from sandbox.dirt import KINDS, DirtRates
from sandbox.manifest import ManifestEntry
from sandbox.world import Enterprise, Person, World

__all__ = [
    "SOURCES",
    "enterprise_item",
    "insurance_row",
    "license_item",
    "marriage_row",
    "population_person",
]

SOURCES = (
    "gongan_population",
    "scjg_enterprise",
    "scjg_license",
    "minzheng_marriage",
    "renshe_insurance",
    "zjj_qualification",
    "zrzy_realestate",  # sandbox.titles
)
_ID_KINDS = ("id_15", "id_lower_x", "id_fullwidth", "id_spaces")
_BAD_ID_KINDS = ("id_bad_check", "id_unknown_region", "id_impossible_date")
_PERSON_KINDS = (*_ID_KINDS, *_BAD_ID_KINDS, "gender_variant", "name_missing")
GONGAN_KINDS = (*_PERSON_KINDS, "date_format", "date_impossible")
MINZHENG_KINDS = (*_PERSON_KINDS, "date_format", "conflict")
RENSHE_KINDS = (*_PERSON_KINDS, "date_format", "date_impossible", "conflict")
SCJG_KINDS = (
    *_ID_KINDS, "credit_bad_check", "legal_rep_bad_id", "date_format", "date_impossible",
    "name_missing",
)  # fmt: skip
LICENSE_KINDS = ("credit_bad_check", "date_format", "date_impossible")


@dataclass(frozen=True, slots=True)
class _PersonFields:
    """Field names of a person-like source and its usual gender spelling."""

    source: str
    id: str
    name: str
    gender: str
    birth: str | None
    male_female: tuple[str, str]
    variants: tuple[tuple[str, str], ...]


_GONGAN = _PersonFields(
    "gongan_population", "sfzh", "xm", "xb", "csrq", ("1", "2"), (("男", "女"), ("M", "F"))
)
_MINZHENG = _PersonFields(
    "minzheng_marriage", "sfzh", "xm", "xb", None, ("男", "女"), (("1", "2"), ("M", "F"))
)
_RENSHE = _PersonFields(
    "renshe_insurance", "公民身份号码", "姓名", "性别", "出生日期", ("男", "女"),
    (("1", "2"), ("M", "F")),
)  # fmt: skip


def _id_transform(kind: str, number: str, d: Draws) -> str | None:
    if kind == "id_15":
        return dk.id_15(number)
    if kind == "id_lower_x":
        return dk.id_lower_x(number)
    if kind == "id_fullwidth":
        return dk.id_fullwidth(number)
    if kind == "id_spaces":
        return dk.id_spaces(number, d)
    if kind == "id_bad_check":
        return dk.id_bad_check(number, d)
    if kind == "id_unknown_region":
        return dk.id_unknown_region(number, d)
    if kind == "id_impossible_date":
        return dk.id_impossible_date(number, d)
    raise ValueError(f"{kind} is not an ID number dirt kind")


def _entry(
    source: str, record: str, kind: str, field: str, canonical: str | None, key: str,
    entity: str = "person",
) -> ManifestEntry:  # fmt: skip
    spec = KINDS[kind]
    if spec.expect == "quarantined":
        assert spec.rule is not None
        rule = spec.rule.format(field=canonical, entity=entity)
        return ManifestEntry(source, record, kind, field, "quarantined", rule, None, canonical)
    return ManifestEntry(source, record, kind, field, spec.expect, None, key, canonical)


def _dirt_of(
    world: World, rates: DirtRates, source: str, i: int, kinds: tuple[str, ...]
) -> tuple[str, Draws] | None:
    """The dirt record ``i`` of ``source`` gets, with the draws that pick its values;
    None: the record stays clean."""
    kind = rates.pick(world.seed, source, i, kinds)
    return None if kind is None else (kind, Draws(world.seed, f"dirt-value:{source}", i))


def _gongan_clean(world: World, rates: DirtRates, i: int) -> bool:
    """Whether the registry's own record of person ``i`` lands (clean or normalized)."""
    kind = rates.pick(world.seed, "gongan_population", i, GONGAN_KINDS)
    return kind is None or KINDS[kind].expect == "normalized"


def _dirty_person(
    world: World, rates: DirtRates, f: _PersonFields, index: int, record: str,
    raw: dict[str, str], person: Person,
) -> ManifestEntry | None:  # fmt: skip
    """Apply the dirt record ``index`` of ``f.source`` gets to ``raw``; its entry or None."""
    kinds = {
        "gongan_population": GONGAN_KINDS,
        "minzheng_marriage": MINZHENG_KINDS,
        "renshe_insurance": RENSHE_KINDS,
    }[f.source]
    dirt = _dirt_of(world, rates, f.source, index, kinds)
    if dirt is None:
        return None
    kind, d = dirt
    key = person.id_number
    if kind in _ID_KINDS or kind in _BAD_ID_KINDS:
        value = _id_transform(kind, key, d)
        if value is None:
            return None
        raw[f.id] = value
        return _entry(f.source, record, kind, f.id, "id_number", key)
    if kind == "gender_variant":
        pair = d.pick(f.variants)
        raw[f.gender] = pair[0] if person.gender == "1" else pair[1]
        return _entry(f.source, record, kind, f.gender, "gender", key)
    if kind == "name_missing":
        raw[f.name] = ""
        return _entry(f.source, record, kind, f.name, "name", key)
    if kind in ("date_format", "date_impossible"):
        if f.birth is None:  # 民政: the registration date, not a person field
            raw["djrq"] = dk.date_variant(date.fromisoformat(raw["djrq"]), d)
            return _entry(f.source, record, kind, "djrq", None, key)
        born = person.birth_date
        raw[f.birth] = (
            dk.date_variant(born, d) if kind == "date_format" else dk.impossible_date(born, d)
        )
        return _entry(f.source, record, kind, f.birth, "birth_date", key)
    if kind == "conflict":
        if not _gongan_clean(world, rates, person.index):
            return None  # the registry's value never lands, so nothing to conflict with
        if f.source == "renshe_insurance" and d.chance(0.5):
            phone = person.phone
            while phone == person.phone:
                phone = f"{d.pick(v.MOBILE_PREFIXES)}{d.below(10**8):08d}"
            raw["联系电话"] = phone
            return _entry(f.source, record, kind, "联系电话", "phone", key)
        raw[f.name] = dk.conflicting_name(person.name, d, v.GIVEN_CHARS)
        return _entry(f.source, record, kind, f.name, "name", key)
    raise ValueError(f"dirt kind {kind} does not apply to {f.source}")


# -- 公安 population registry ------------------------------------------------------------


def population_person(
    world: World, rates: DirtRates, i: int
) -> tuple[dict[str, str], ManifestEntry | None]:
    """Person ``i`` as the registry's SOAP service returns it (bgsj included)."""
    p = world.person(i)
    record = f"GA{i:07d}"
    raw = {
        "recordId": record,
        "sfzh": p.id_number,
        "xm": p.name,
        "xb": p.gender,
        "csrq": p.birth_date.isoformat(),
        "mz": p.ethnicity,
        "zz": p.address,
        "lxdh": p.phone,
        "hyzk": p.marital_status,
        "bgsj": world.timeline("gongan_population", world.people).iso(i),
    }
    return raw, _dirty_person(world, rates, _GONGAN, i, record, raw, p)


# -- 民政 marriage registrations (front-end DB) -------------------------------------------


def marriage_row(
    world: World, rates: DirtRates, row: int
) -> tuple[dict[str, str], ManifestEntry | None]:
    """Row ``row`` (0-based; its id is row + 1): party ``row % 2`` of marriage ``row // 2``."""
    m = world.marriage(row // 2)
    p = world.person(m.husband if row % 2 == 0 else m.wife)
    raw = {
        "id": str(row + 1),
        "djbh": m.number,
        "sfzh": p.id_number,
        "xm": p.name,
        "xb": "男" if p.gender == "1" else "女",
        "hyzk": m.kind,
        "djrq": m.registered_on.isoformat(),
    }
    return raw, _dirty_person(world, rates, _MINZHENG, row, raw["id"], raw, p)


# -- 人社 social insurance (file drop) ------------------------------------------------------


def insurance_row(
    world: World, rates: DirtRates, i: int, record: str
) -> tuple[dict[str, str], ManifestEntry | None]:
    """Person ``i`` as a line of the insurance drop; ``record`` is ``<file>:<line>``."""
    p = world.person(i)
    d = Draws(world.seed, "insurance", i)
    joined = dk_date_after(p.birth_date, 18, world, d)
    employer = world.enterprise(d.below(world.enterprises)).credit_code if world.enterprises else ""
    raw = {
        "公民身份号码": p.id_number,
        "姓名": p.name,
        "性别": "男" if p.gender == "1" else "女",
        "出生日期": p.birth_date.isoformat(),
        "联系电话": p.phone,
        "参保状态": d.weighted(v.INSURANCE_STATUSES, v.INSURANCE_STATUS_CUMULATIVE),
        "参保日期": joined.isoformat(),
        "单位统一社会信用代码": employer,
    }
    return raw, _dirty_person(world, rates, _RENSHE, i, record, raw, p)


def dk_date_after(born: date, years: int, world: World, d: Draws) -> date:
    start = max(date(1995, 1, 1), date(born.year + years, 1, 1))
    end = world.as_of
    return date.fromordinal(d.between(start.toordinal(), max(start, end).toordinal()))


# -- 市场监管 enterprise registry ----------------------------------------------------------


def enterprise_item(
    world: World, rates: DirtRates, i: int, e: Enterprise | None = None
) -> tuple[dict[str, str], ManifestEntry | None]:
    """Enterprise ``i`` as an item of ``GET /api/v1/enterprises``."""
    e = e or world.enterprise(i)
    item = {
        "id": e.record_id,
        "uniscid": e.credit_code,
        "entname": e.name,
        "enttype": e.enterprise_type,
        "lerep": e.legal_rep_name,
        "lerep_cerno": e.legal_rep_id_number,
        "regcap": e.registered_capital,
        "estdate": e.established_on.isoformat(),
        "dom": e.address,
        "opscope": e.business_scope,
        "regstate": e.status,
        "regorg": e.registration_authority,
        "updated_at": world.timeline("scjg_enterprise", world.enterprises).iso(i),
    }
    dirt = _dirt_of(world, rates, "scjg_enterprise", i, SCJG_KINDS)
    if dirt is None:
        return item, None
    kind, d = dirt
    src, key = "scjg_enterprise", e.credit_code
    if kind in _ID_KINDS:
        value = _id_transform(kind, e.legal_rep_id_number, d)
        if value is None:
            return item, None
        item["lerep_cerno"] = value
        return item, _entry(src, e.record_id, kind, "lerep_cerno", "legal_rep_id_number", key)
    if kind == "credit_bad_check":
        item["uniscid"] = _bad_credit_code(e.credit_code, d)
        return item, _entry(src, e.record_id, kind, "uniscid", "credit_code", key)
    if kind == "legal_rep_bad_id":
        item["lerep_cerno"] = dk.id_bad_check(e.legal_rep_id_number, d)
        return item, _entry(src, e.record_id, kind, "lerep_cerno", "legal_rep_id_number", key)
    if kind == "name_missing":
        item["entname"] = ""
        return item, _entry(src, e.record_id, kind, "entname", "name", key, "enterprise")
    est = e.established_on
    item["estdate"] = (
        dk.date_variant(est, d) if kind == "date_format" else dk.impossible_date(est, d)
    )
    return item, _entry(src, e.record_id, kind, "estdate", "established_on", key)


def _bad_credit_code(code: str, d: Draws) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    wrong = alphabet[(alphabet.index(code[17]) + d.between(1, 30)) % 31]
    return code[:17] + wrong


def license_item(
    world: World, rates: DirtRates, i: int, e: Enterprise | None = None
) -> tuple[dict[str, str | None], ManifestEntry | None]:
    """Business license ``i`` as an item of ``GET /api/v1/licenses`` (valid_to null: 长期)."""
    lic = world.business_license(i, e)
    item: dict[str, str | None] = {
        "id": f"YYZZ{i:08d}",
        "licno": lic.license_number,
        "lictype": lic.license_type_code,
        "licname": lic.license_type_name,
        "uniscid": lic.holder_id,
        "entname": lic.holder_name,
        "issue_org": lic.issuer_name,
        "issue_org_code": lic.issuer_code,
        "issue_date": lic.issue_date.isoformat(),
        "valid_from": lic.valid_from.isoformat(),
        "valid_to": lic.valid_until.isoformat() if lic.valid_until else None,
        "status": lic.status,
        "updated_at": world.timeline("scjg_license", world.enterprises).iso(i),
    }
    dirt = _dirt_of(world, rates, "scjg_license", i, LICENSE_KINDS)
    if dirt is None:
        return item, None
    kind, d = dirt
    src, record, key = "scjg_license", str(item["id"]), lic.license_key
    if kind == "credit_bad_check":
        item["uniscid"] = _bad_credit_code(lic.holder_id, d)
        return item, _entry(src, record, kind, "uniscid", "holder_id", key, "license")
    issued = lic.issue_date
    item["issue_date"] = (
        dk.date_variant(issued, d) if kind == "date_format" else dk.impossible_date(issued, d)
    )
    return item, _entry(src, record, kind, "issue_date", "issue_date", key, "license")
