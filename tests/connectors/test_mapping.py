"""The mapper a definition compiles to, over a page: every transform takes a whole column,
a value it cannot convert fails its record alone (the field kept as sent, the rule
``<target>.<problem>``), and one record mapped alone gives its row of the page or raises
its error. Inputs vary as departments send them: dates in many spellings, full-width
digits, region names."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.definition import FieldMapping
from connectors.mapping import Mapper
from connectors.transforms import compile_mapping
from tongban.errors import RecordError
from tongban.identifiers import region
from tongban.identifiers.regions import region_codes

SETTINGS = settings(max_examples=60, deadline=None)
FULL = {cp: cp + 0xFEE0 for cp in range(0x21, 0x7F)}  # ASCII to its full-width form


SOURCE = "x"


class Rule:
    """The rule a value fails its record under, where a test expects a value."""

    def __init__(self, rule: str):
        self.rule = rule


def mapper_of(fields: dict[str, Any]) -> Mapper:
    return compile_mapping({t: FieldMapping.model_validate(m) for t, m in fields.items()})


def check_page(
    mapper: Mapper, raws: list[dict[str, Any]], target: str, expected: list[Any]
) -> None:
    """``raws`` mapped as a page give ``expected`` in ``target``: a value, or the rule a
    record fails under (a :class:`Rule`), its field then kept as sent; each
    record mapped alone gives the same, or raises that rule."""
    before = copy.deepcopy(raws)
    columns, errors = mapper.columns(raws)
    assert raws == before, "the page was changed"
    assert len(columns[target]) == len(raws)
    for i, (raw, want) in enumerate(zip(raws, expected, strict=True)):
        if isinstance(want, Rule):
            assert i in errors and errors[i].rule == want.rule, (i, raw, errors.get(i))
            assert errors[i].field == target
            assert columns[target][i] is raw[SOURCE], "a failed field is kept as sent"
            with pytest.raises(RecordError) as info:
                mapper(raw)
            assert info.value.rule == want.rule
            continue
        assert i not in errors, (i, raw, errors.get(i))
        got = columns[target][i]
        assert got == want and type(got) is type(want), (i, raw, got, want)
        assert mapper(raw) == {t: values[i] for t, values in columns.items()}


def one_field(transforms: list[Any], target: str = "f") -> Mapper:
    return mapper_of({target: {"from": SOURCE, "transforms": transforms}})


# --- a page ------------------------------------------------------------------------------


def test_a_failing_value_fails_its_record_alone_and_later_transforms_skip_it():
    mapper = mapper_of({
        "birth_date": {"from": "csrq", "transforms": ["trim", "date"]},
        "gender": {"from": "xb", "transforms": ["gender", {"default": "9"}]},
        "name": {"from": "xm"},
    })  # fmt: skip
    raws = [
        {"csrq": "1990-01-01", "xb": "男", "xm": "甲"},
        {"csrq": " 1990-02-30 ", "xb": "女", "xm": "乙"},
        {"csrq": "19900101", "xb": "X", "xm": "丙"},
        {"csrq": None, "xb": None},
    ]
    columns, errors = mapper.columns(raws)
    assert columns == {
        "birth_date": [date(1990, 1, 1), " 1990-02-30 ", date(1990, 1, 1), None],
        "gender": ["1", "2", "X", "9"],  # X failed: kept as sent, not defaulted
        "name": ["甲", "乙", "丙", None],
    }
    assert {i: e.rule for i, e in errors.items()} == {1: "birth_date.format", 2: "gender.value"}
    assert mapper(raws[3]) == {"birth_date": None, "gender": "9", "name": None}
    with pytest.raises(RecordError, match="not a real date"):
        mapper(raws[1])


def test_a_record_carries_its_first_error_in_the_order_of_the_mapping():
    mapper = mapper_of({
        "gender": {"from": "xb", "transforms": ["gender"]},
        "birth_date": {"from": "csrq", "transforms": ["date"]},
        "fields": {"fields": {"area": {"from": "mj", "transforms": ["decimal"]}}},
    })  # fmt: skip
    raws = [
        {"xb": "?", "csrq": "bad", "mj": "x"},
        {"xb": "1", "csrq": "bad", "mj": "x"},
        {"xb": "1", "csrq": "1990-01-01", "mj": "约100"},
        {"xb": "1", "csrq": "1990-01-01", "mj": "100"},
    ]
    columns, errors = mapper.columns(raws)
    assert {i: e.rule for i, e in errors.items()} == {
        0: "gender.value", 1: "birth_date.format", 2: "fields.area.format",
    }  # fmt: skip
    assert columns["fields"][2] == {"area": "约100"}  # kept as sent inside the structure
    assert str(columns["fields"][3]["area"]) == "100"


def test_a_list_read_with_every_item_fails_with_its_first_bad_item():
    mapper = mapper_of({"ids": {"from": "QLR[*].ZJHM", "transforms": ["trim", "date"]}})
    raws = [
        {"QLR": [{"ZJHM": " 1990-01-01"}, {"ZJHM": "19900102"}]},
        {"QLR": [{"ZJHM": "1990-01-01"}, {"ZJHM": "x"}, {"ZJHM": "y"}]},
        {"QLR": []},
        {},
    ]
    columns, errors = mapper.columns(raws)
    assert columns["ids"] == [
        [date(1990, 1, 1), date(1990, 1, 2)], ["1990-01-01", "x", "y"], None, None,
    ]  # fmt: skip
    assert list(errors) == [1] and "'x'" in errors[1].message


def test_an_empty_page_has_every_target():
    mapper = mapper_of({
        "a": {"from": "x", "transforms": ["trim"]},
        "holders": {"each": "Q[*]", "fields": {"name": "n"}},
    })  # fmt: skip
    assert mapper.columns([]) == (
        {"a": [], "holders": [], "holder_name": [], "holder_id_type": [], "holder_id": []},
        {},
    )


# --- inputs as departments send them -----------------------------------------------------

SPELLINGS = [
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d:%Y-%m-%d}T08:30:00",
    lambda d: f" {d:%Y-%m-%d} 08:30",
    lambda d: f"{d:%Y%m%d}".translate(FULL),  # full-width digits
    lambda d: f"{d.year}－{d.month}－{d.day}".translate(FULL),
    lambda d: d,
    lambda d: datetime(d.year, d.month, d.day, 12),
]
NOT_DATES = ["1990-02-30", "19901301", "昨天", "1990-1", "２０２６０２３０", "90-01-01"]


@st.composite
def dated(draw: st.DrawFn) -> tuple[Any, Any]:
    """A value as sent and what it maps to (a date, None, or the rule it fails)."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(NOT_DATES)), Rule("birth_date.format")
    if kind == 1:
        return draw(st.sampled_from([None, "", "  ", "\u3000"])), None
    day = draw(st.dates(date(1900, 1, 1), date(2099, 12, 31)))
    return draw(st.sampled_from(SPELLINGS))(day), day


@SETTINGS
@given(st.lists(dated(), max_size=12), st.sampled_from(["mixed", "%Y-%m-%d", "%Y%m%d"]))
def test_dates_in_every_spelling_departments_use(sent, page):
    if page != "mixed":  # a page of one spelling, parsed whole (a bad date among them)
        sent = [(f"{want:{page}}", want) for _, want in sent if type(want) is date]
        if len(sent) % 2:
            sent += [(f"{date(2000, 2, 1):{page}}".replace("01", "30"), Rule("birth_date.format"))]
    mapper = one_field(["date"], target="birth_date")
    check_page(mapper, [{SOURCE: v} for v, _ in sent], "birth_date", [w for _, w in sent])


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str | None]:
    digits = draw(st.text("0123456789", max_size=11))
    spelled = ""
    for k, ch in enumerate(digits):
        if k and draw(st.integers(0, 4)) == 0:
            spelled += draw(st.sampled_from(["-", " ", "（", "）", "\u3000", "－"]))
        spelled += ch.translate(FULL) if draw(st.booleans()) else ch
    return spelled, digits or None


@SETTINGS
@given(st.lists(phones(), max_size=12))
def test_full_width_digits_and_separators_give_the_digits(sent):
    raws = [{SOURCE: v} for v, _ in sent]
    check_page(one_field(["fullwidth", "digits"]), raws, "f", [w for _, w in sent])
    ascii_only = [{SOURCE: w} for _, w in sent if w is not None]
    check_page(one_field(["digits"]), ascii_only, "f", [r[SOURCE] for r in ascii_only])


def _unique_counties() -> list[str]:
    """Counties in force whose name no other code ever had."""
    names = Counter(region(c).name for c in region_codes())  # type: ignore[union-attr]
    return [
        c
        for c in sorted(region_codes())
        if c[4:] != "00" and region(c).in_force and names[region(c).name] == 1  # type: ignore[union-attr]
    ]


COUNTIES = _unique_counties()


@st.composite
def region_names(draw: st.DrawFn) -> tuple[str, Any]:
    """A region as a department writes it, and its GB/T 2260 code (or the rule)."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(["火星", "某某县", "区", "月球"])), Rule("f.region_name")
    code = draw(st.sampled_from(COUNTIES))
    name = region(code).name  # type: ignore[union-attr]
    province = region(code[:2] + "0000")
    city = region(code[:4] + "00")
    parents = [r.name for r in (province, city) if r is not None and r.name not in ("市辖区", "县")]
    written = draw(st.sampled_from([
        name, "".join([*parents, name]), " ".join([*parents, name]), f"\u3000{name} ", code,
    ]))  # fmt: skip
    return written, code


@SETTINGS
@given(st.lists(region_names(), max_size=10).flatmap(lambda xs: st.permutations(xs + xs)))
def test_region_names_and_codes_give_the_code(sent):
    check_page(one_field(["region"]), [{SOURCE: v} for v, _ in sent], "f", [w for _, w in sent])


GENDERS = [("男", "1"), ("女", "2"), (" 女 ", "2"), ("F", "2"), ("m", "1"), ("MALE", "1"),
           ("未知", "0"), ("9", "9"), ("1", "1"), (1, "1"), (None, None), ("", None),
           ("x", Rule("f.value")), (True, Rule("f.value")), ("男性?", Rule("f.value"))]  # fmt: skip
ETHNICITIES = [("汉族", "01"), ("汉", "01"), ("1", "01"), (1, "01"), ("01", "01"), ("回族", "03"),
               (" 回族 ", "03"), ("维吾尔", "05"), ("97", "97"), (None, None),
               ("火星族", Rule("f.value")), ("00", Rule("f.value"))]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(GENDERS), max_size=12), st.lists(st.sampled_from(ETHNICITIES)))
@example([GENDERS[9], GENDERS[13]], [ETHNICITIES[3], (True, Rule("f.value"))])
def test_code_tables_over_a_page_of_repeated_values(genders, ethnicities):
    """A column's distinct values are looked up once; 1 and True stay apart."""
    for transform, sent in (("gender", genders), ("ethnicity", ethnicities)):
        raws = [{SOURCE: v} for v, _ in sent]
        check_page(one_field([transform]), raws, "f", [w for _, w in sent])
