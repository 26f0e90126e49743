"""People, enterprises and licenses as properties of ``Entity.normalize``: a clean record,
however a department system typed it, normalizes to one value that normalizing again
leaves as it is; a record with one broken field is refused under that field's rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongban.entities import ENTERPRISE, LICENSE, PERSON, Entity
from tongban.errors import RecordError
from tongban.identifiers.credit_code import AUTHORITIES
from tongban.identifiers.regions import region_codes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Record = dict[str, Any]
REGIONS = sorted(region_codes())
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WORDS = {"1": ["1", "男", "男性", "M", "male"], "2": ["2", "女", "女性", "F", "Female"]}

# -- identifiers, built from the standards' weights -------------------------------------


def id_number(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def credit_code(head: str, body8: str) -> str:
    org = sum(int(c, 36) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    first17 = head + body8 + "0123456789X"[-org % 11]
    total = sum(CREDIT_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + CREDIT_ALPHABET[-total % 31]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def half_width(text: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text)


@st.composite
def people_ids(draw: st.DrawFn) -> tuple[str, str, date]:
    """(the number as typed, the number, the birth date): lower-case x, full-width,
    padded, or the legacy 15-digit form."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)))
    number = id_number(draw(st.sampled_from(REGIONS)), born, draw(st.integers(0, 999)))
    typed = draw(
        st.sampled_from([number, number.lower(), full_width(number), f" {number}\u3000",
                         number[:6] + number[8:17]])
    )  # fmt: skip
    return typed, number, born


@st.composite
def credit_codes(draw: st.DrawFn) -> tuple[str, str]:
    """(the code as typed, the code)."""
    authority = draw(st.sampled_from(sorted(AUTHORITIES)))
    kind = draw(st.sampled_from(sorted(AUTHORITIES[authority][1])))
    region = draw(st.sampled_from([*REGIONS, "100000"]))
    code = credit_code(
        authority + kind + region, draw(st.text(CREDIT_ALPHABET, min_size=8, max_size=8))
    )
    return draw(st.sampled_from([code, code.lower(), full_width(code), f"{code} "])), code


TEXT = "张王李赵明华国庆建设有限公司路号 ·()（）；ABCabc0123-"
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
names = st.text(TEXT, min_size=1, max_size=12).filter(lambda t: t.strip())
texts = st.none() | st.text(TEXT, max_size=12)


def spelled(day: date) -> st.SearchStrategy[object]:
    return st.sampled_from(
        [day, day.isoformat(), f"{day:%Y%m%d}", f"{day.year}年{day.month}月{day.day}日",
         f"{day.year}/{day.month}/{day.day}", full_width(day.isoformat())]
    )  # fmt: skip


def some(draw: st.DrawFn, rec: Record, fields: tuple[str, ...], values: Any) -> None:
    for f in fields:
        if draw(st.booleans()):
            rec[f] = draw(values)


# -- clean records ----------------------------------------------------------------------


@st.composite
def people(draw: st.DrawFn) -> tuple[Record, str, date, str]:
    typed, number, born = draw(people_ids())
    sex = "1" if int(number[16]) % 2 else "2"
    rec: Record = {"id_number": typed, "name": draw(names)}
    some(draw, rec, ("ethnicity", "marital_status", "address", "phone"), texts)
    some(draw, rec, ("birth_date",), st.none() | spelled(born))
    some(draw, rec, ("gender",), st.sampled_from([None, "", "0", "9", "未知", *WORDS[sex]]))
    return rec, number, born, sex


capitals = st.decimals(min_value=0, max_value=10**9, places=2)


@st.composite
def enterprises(draw: st.DrawFn) -> tuple[Record, str]:
    typed, code = draw(credit_codes())
    rec: Record = {"credit_code": typed, "name": draw(names)}
    some(draw, rec, ("enterprise_type", "legal_rep_name", "address", "business_scope",
                     "status", "registration_authority"), texts)  # fmt: skip
    some(draw, rec, ("legal_rep_id_number",), st.none() | people_ids().map(lambda t: t[0]))
    some(draw, rec, ("registered_capital",),
         st.none() | capitals | capitals.map(str) | capitals.map(lambda d: f" {d:,} "))  # fmt: skip
    some(draw, rec, ("established_on",), st.none() | dates.flatmap(spelled))
    some(draw, rec, ("region_code",), st.none() | st.sampled_from(REGIONS))
    return rec, code


@st.composite
def holders(draw: st.DrawFn) -> tuple[str, str, str]:
    """(ID type, the ID as typed, the ID): a citizen (111) or an enterprise (001)."""
    if draw(st.booleans()):
        typed, number, _ = draw(people_ids())
        return "111", typed, number
    typed, code = draw(credit_codes())
    return "001", typed, code


@st.composite
def licenses(draw: st.DrawFn) -> Record:
    id_type, typed, _ = draw(holders())
    rec: Record = {
        "license_type_code": draw(st.from_regex(r"[0-9A-Z]{6,20}", fullmatch=True)),
        "license_number": draw(st.sampled_from(["浙(2020)杭州市不动产权第", "D2", "JZ-"]))
        + str(draw(st.integers(0, 10**7))),
    }
    first = {"name": draw(texts), "id_type": id_type, "id": typed}
    given_as = draw(st.sampled_from(["holder", "holders", "both"]))
    if given_as != "holders":
        rec.update(holder_name=first["name"], holder_id_type=id_type, holder_id=typed)
    if given_as != "holder":
        others = [{"name": draw(texts), "id_type": t, "id": i, "share": draw(texts)}
                  for t, i, _ in draw(st.lists(holders(), max_size=2))]  # fmt: skip
        rec["holders"] = [first, *others]
    some(draw, rec, ("license_type_name", "issuer_name", "issuer_code", "jurisdiction_code",
                     "status"), texts)  # fmt: skip
    valid_from = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 1, 1)))
    some(draw, rec, ("issue_date", "valid_from"), spelled(valid_from))
    some(draw, rec, ("valid_until",), spelled(valid_from + timedelta(draw(st.integers(0, 20000)))))
    some(draw, rec, ("fields",), st.none() | st.dictionaries(st.sampled_from("abc"), texts))
    return rec


@SETTINGS
@given(people(), st.sampled_from(["historical", "province"]))
def test_a_clean_person_normalizes_once_and_for_all(case: Any, region_check: Any) -> None:
    rec, number, born, sex = case
    out = PERSON.normalize(rec, region_check=region_check)
    assert (out["id_number"], out["birth_date"], out["gender"]) == (number, born, sex)
    assert out["name"] == " ".join(half_width(rec["name"]).split())
    assert PERSON.normalize(out, region_check=region_check) == out


@SETTINGS
@given(enterprises())
def test_a_clean_enterprise_normalizes_once_and_for_all(case: tuple[Record, str]) -> None:
    rec, code = case
    out = ENTERPRISE.normalize(rec)
    assert out["credit_code"] == code
    assert out["region_code"] == (rec.get("region_code") or code[2:8])
    capital = rec.get("registered_capital")
    if capital is not None:
        assert out["registered_capital"] == Decimal(str(capital).replace(",", "").strip())
    assert ENTERPRISE.normalize(out) == out


@SETTINGS
@given(licenses())
def test_a_clean_license_normalizes_once_and_for_all(rec: Record) -> None:
    out = LICENSE.normalize(rec)
    assert out["license_key"] == f"{rec['license_type_code']}:{rec['license_number']}"
    assert out["holders"][0]["id"] == out["holder_id"]
    assert out["holders"][0]["id_type"] == out["holder_id_type"]
    assert len(out["holders"]) == len(rec.get("holders") or [None])
    assert LICENSE.normalize(out) == out


# -- one broken field -------------------------------------------------------------------

Break = Callable[[st.DataObject, Record], tuple[Any, str]]  # -> (the value, the rule)


def other_digit(number: str, pos: int) -> str:
    return number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]


def _other_day(data: st.DataObject, rec: Record) -> tuple[Any, str]:
    born = PERSON.normalize(rec)["birth_date"]
    day = data.draw(dates.filter(lambda d: d != born))
    return data.draw(spelled(day)), "person.birth_date_matches_id"


def _other_sex(data: st.DataObject, rec: Record) -> tuple[Any, str]:
    sex = PERSON.normalize(rec)["gender"]
    return data.draw(st.sampled_from(WORDS["2" if sex == "1" else "1"])), "person.gender_matches_id"


NO_DATE = st.sampled_from(["2023-02-29", "19000229", "2026年4月31日", "2026/13/01", "明天"])
BLANK = st.sampled_from([None, "", "  ", "\u3000"])
PERSON_BREAKS: dict[str, Break] = {
    "id_number": lambda d, r: (other_digit(PERSON.normalize(r)["id_number"], 16),
                               "id_number.checksum"),
    "birth_date": _other_day,
    "gender": _other_sex,
    "name": lambda d, r: (d.draw(BLANK), "person.name.missing"),
}  # fmt: skip
PERSON_FORMAT_BREAKS: dict[str, Break] = {
    "id_number": lambda d, r: (d.draw(BLANK), "id_number.missing"),
    "birth_date": lambda d, r: (d.draw(NO_DATE), "birth_date.format"),
    "gender": lambda d, r: (d.draw(st.sampled_from(["X", "其他", "3"])), "gender.value"),
}
ENTERPRISE_BREAKS: dict[str, Break] = {
    "credit_code": lambda d, r: (ENTERPRISE.normalize(r)["credit_code"][:17] + "O",
                                 "credit_code.charset"),
    "legal_rep_id_number": lambda d, r: (
        other_digit(d.draw(people_ids())[1], 16), "enterprise.legal_rep.id_number.checksum"),
    "registered_capital": lambda d, r: (d.draw(st.sampled_from(["约100万", "一百万", "1.2.3"])),
                                        "registered_capital.format"),
    "established_on": lambda d, r: (d.draw(NO_DATE), "established_on.format"),
    "name": lambda d, r: (d.draw(BLANK), "enterprise.name.missing"),
}  # fmt: skip
LICENSE_BREAKS: dict[str, Break] = {
    "license_type_code": lambda d, r: (d.draw(BLANK), "license.license_type_code.missing"),
    "license_number": lambda d, r: (d.draw(BLANK), "license.license_number.missing"),
    "holder_id_type": lambda d, r: (d.draw(st.sampled_from(["999", "112", "身份证"])),
                                    "license.holder_id_type"),
    "issue_date": lambda d, r: (d.draw(NO_DATE), "issue_date.format"),
    "valid_from": lambda d, r: (d.draw(NO_DATE), "valid_from.format"),
    "valid_until": lambda d, r: (d.draw(NO_DATE), "valid_until.format"),
    "fields": lambda d, r: (d.draw(st.sampled_from(["a=1", ["a"], 3])), "license.fields"),
}  # fmt: skip


def assert_refused(entity: Entity, rec: Record, field: str, value: Any, rule: str) -> None:
    broken = {**rec, field: value}
    with pytest.raises(RecordError) as info:
        entity.normalize(broken)
    assert (info.value.rule, info.value.field) == (rule, field), (field, value)


@SETTINGS
@given(
    people(), st.data(), st.sampled_from([*PERSON_BREAKS, *(f"{f}!" for f in PERSON_FORMAT_BREAKS)])
)
def test_a_person_with_one_broken_field_is_refused_under_its_rule(
    case: Any, data: st.DataObject, which: str
) -> None:
    rec = case[0]
    field = which.rstrip("!")
    breaks = PERSON_FORMAT_BREAKS if which.endswith("!") else PERSON_BREAKS
    value, rule = breaks[field](data, rec)
    assert_refused(PERSON, rec, field, value, rule)


@SETTINGS
@given(enterprises(), st.data(), st.sampled_from(sorted(ENTERPRISE_BREAKS)))
def test_an_enterprise_with_one_broken_field_is_refused_under_its_rule(
    case: tuple[Record, str], data: st.DataObject, field: str
) -> None:
    value, rule = ENTERPRISE_BREAKS[field](data, case[0])
    assert_refused(ENTERPRISE, case[0], field, value, rule)


@SETTINGS
@given(licenses(), st.data(), st.sampled_from(sorted(LICENSE_BREAKS)))
def test_a_license_with_one_broken_field_is_refused_under_its_rule(
    rec: Record, data: st.DataObject, field: str
) -> None:
    value, rule = LICENSE_BREAKS[field](data, rec)
    assert_refused(LICENSE, rec, field, value, rule)


@SETTINGS
@given(licenses(), st.integers(1, 5000))
def test_a_license_valid_until_before_it_is_valid_from_is_refused(rec: Record, days: int) -> None:
    start = date(2020, 1, 1)
    rec = {**rec, "valid_from": start.isoformat()}
    assert_refused(LICENSE, rec, "valid_until", start - timedelta(days), "license.validity_order")


@SETTINGS
@given(licenses(), st.data())
def test_a_license_with_a_broken_co_holder_is_refused_naming_the_holders(
    rec: Record, data: st.DataObject
) -> None:
    id_type, _, number = data.draw(holders())
    broken = other_digit(number, 16) if id_type == "111" else number[:17] + "I"
    first = LICENSE.normalize(rec)["holders"][0]
    rule = "id_number.checksum" if id_type == "111" else "credit_code.charset"
    co_holders = [first, {"name": "李四", "id_type": id_type, "id": broken}]
    assert_refused(LICENSE, rec, "holders", co_holders, f"license.holders.{rule}")


@SETTINGS
@given(licenses().filter(lambda r: "holder_id" in r), st.data())
def test_a_license_with_a_broken_holder_id_is_refused_naming_the_field(
    rec: Record, data: st.DataObject
) -> None:
    number = LICENSE.normalize(rec)["holder_id"]
    broken = other_digit(number, 16) if rec["holder_id_type"] == "111" else number[:17] + "I"
    with pytest.raises(RecordError) as info:
        LICENSE.normalize({**rec, "holder_id": broken, "holders": None})
    assert info.value.field == "holder_id"
