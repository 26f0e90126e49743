"""The column lane of a sync gives exactly what the row lane gives.

A page of a mapped enterprise source is mapped (``Mapper.columns``), normalized
(``Entity.normalize_columns``), validated (``MappedRows``) and written (``IncomingColumns``,
COPY text made a column at a time) without a dict per record. Each step is compared here
with its record-by-record counterpart (``Mapper.lenient``, ``Entity.normalize``, a list of
``Incoming``, the row lane of ``Staged``) on clean values and on the dirty ones department
systems send: same values of the same types, same errors under the same rules, same rows
stored, same quarantine.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import tongban.store.writer as store_module
from connectors.definition import FieldMapping
from connectors.quality import batch_check
from connectors.transforms import Mapper, compile_mapping
from tongban.entities import ENTERPRISE
from tongban.errors import BatchHeld, RecordError
from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char
from tongban.identifiers.credit_code import AUTHORITIES
from tongban.identifiers.regions import region_codes
from tongban.prepare import QUALITY_GROUP, prepare_pages
from tongban.store import Incoming, IncomingColumns, Store
from tongban.store.schema import metadata

# Run as `.venv/bin/pytest` (not `python -m pytest`), the project root is not on sys.path,
# and tests/expectations (no __init__) would shadow the editable-installed `expectations`
# package the quality gate imports: a regular package on the path wins over it.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parents[1]))

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=30)
FEWER = settings(SETTINGS, max_examples=25)

TODAY = date.today()

# --- comparing values, types included -------------------------------------------------


def differences(got: Any, want: Any, path: str = "") -> list[str]:
    """Where ``got`` and ``want`` differ, in value or in type (a Decimal by its repr, so
    1.0 and 1.00, or NaN and NaN, are told apart or matched as written)."""
    if type(got) is not type(want):
        return [
            f"{path or '.'}: {got!r} ({type(got).__name__}) != {want!r} ({type(want).__name__})"
        ]
    if isinstance(want, dict):
        out = []
        if got.keys() != want.keys():
            out.append(f"{path or '.'}: keys {sorted(map(str, got))} != {sorted(map(str, want))}")
        for k in want:
            if k in got:
                out += differences(got[k], want[k], f"{path}.{k}")
        return out
    if isinstance(want, list | tuple):
        if len(got) != len(want):
            return [f"{path or '.'}: {len(got)} items != {len(want)}"]
        pairs = enumerate(zip(got, want, strict=True))
        return [d for i, (g, w) in pairs for d in differences(g, w, f"{path}[{i}]")]
    if isinstance(want, Decimal):
        return [] if repr(got) == repr(want) else [f"{path or '.'}: {got!r} != {want!r}"]
    return [] if got == want else [f"{path or '.'}: {got!r} != {want!r}"]


def assert_same(got: Any, want: Any, what: str) -> None:
    found = differences(got, want)
    assert not found, f"{what}: column lane vs row lane\n" + "\n".join(found)


def error_of(exc: RecordError | None) -> tuple[str, str | None, str] | None:
    return None if exc is None else (exc.rule, exc.field, exc.message)


# --- valid and dirty identifiers --------------------------------------------------------

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGIONS = sorted(region_codes())
FULLWIDTH = {cp: cp + 0xFEE0 for cp in range(0x21, 0x7F)}


def fullwidth(value: str) -> str:
    return value.translate(FULLWIDTH)


def make_credit_code(head: str, region: str, body: str) -> str:
    """``head`` (authority and kind), region and 8 characters, with both check characters."""
    first17 = f"{head}{region}{body}{org_code_check_char(body)}"
    return first17 + credit_check_char(first17)


def make_id(region: str, born: date | str, seq: int) -> str:
    born_text = born if isinstance(born, str) else f"{born:%Y%m%d}"
    first17 = f"{region}{born_text}{seq:03d}"
    return first17 + id_check_char(first17)


def id_ending_in_x(region: str, born: date, seq: int) -> str:
    for k in range(1000):
        number = make_id(region, born, (seq + k) % 1000)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence number gives the check character X")


CODES = [
    make_credit_code("91", "350100", "M000100Y"),  # 91350100M000100Y43, GB 32100's example
    make_credit_code("91", "110105", "MA01ABCD"),
    make_credit_code("92", "330106", "12345678"),
    make_credit_code("52", "440300", "L0000001"),
    make_credit_code("Y1", "100000", "ABCDEFGH"),
    make_credit_code("93", "650102", "0000000X"),
]
ID = "11010519491231002X"  # GB 11643's example
IDS = [ID, make_id("330106", "19800101", 123), make_id("440305", "20000229", 7)]


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(AUTHORITIES)))
    kind = draw(st.sampled_from(sorted(AUTHORITIES[authority][1])))
    region = draw(st.sampled_from([*REGIONS, "100000"]))
    body = draw(st.text(CREDIT_ALPHABET, min_size=8, max_size=8))
    return make_credit_code(authority + kind, region, body)


def _other(chars: str, c: str, shift: int) -> str:
    return chars[(chars.index(c) + shift) % len(chars)] if c in chars else chars[0]


def dirty_code_variants(code: str) -> list[Any]:
    """What a department sends instead of ``code``: fixable spellings and broken codes."""
    body = code[8:16]
    wrong_org = code[:16] + _other("0123456789X", code[16], 1)
    return [
        code.lower(),
        code[:9].lower() + code[9:],
        f" {code}\t",
        f"{code[:6]} {code[6:]}",
        fullwidth(code),
        "\u3000" + code,
        "\ufeff" + code,
        code[:17] + _other(CREDIT_ALPHABET, code[17], 1),  # bad check character
        code[:17],
        code[:5] + "I" + code[6:],  # I is not in the alphabet
        make_credit_code("B1", code[2:8], body),  # no such authority
        make_credit_code("91", "990000", body),  # no such province
        wrong_org + credit_check_char(wrong_org),  # organization code check broken
        None,
        "",
        "   ",
        12345,
    ]


@st.composite
def dirty_codes(draw: st.DrawFn) -> Any:
    return draw(st.sampled_from(dirty_code_variants(draw(valid_codes()))))


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    return make_id(region, born, draw(st.integers(0, 999)))


def dirty_id_variants(region: str, born: date, seq: int) -> list[Any]:
    number = make_id(region, born, seq)
    with_x = id_ending_in_x(region, born, seq)
    legacy_born = born if 1900 <= born.year <= 1999 else date(1985, 6, 15)
    return [
        f"{region}{legacy_born:%y%m%d}{seq:03d}",  # legacy 15 digits
        with_x.lower(),
        number[:17] + _other("0123456789X", number[17], 3),  # bad check character
        f" {number} ",
        f"{number[:6]} {number[6:]}",
        fullwidth(number),
        make_id(region, TODAY + timedelta(days=1 + seq), seq),  # born in the future
        make_id(region, "19990230", seq),  # no such day
        make_id(region, "18491231", seq),  # before 1850
        make_id("110199", born, seq),  # province 11, region never listed
        make_id("990101", born, seq),  # no such province
        number[:17],
        number[:10] + "A" + number[11:],
        None,
        "",
        "  ",
        110105194912310021,
    ]


@st.composite
def dirty_ids(draw: st.DrawFn) -> Any:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    return draw(st.sampled_from(dirty_id_variants(region, born, seq)))


# --- values of the other fields ---------------------------------------------------------

CLEAN_NAMES = ["甲公司", "乙科技有限公司", "丙(北京)商贸", "Acme", "丁"]
DIRTY_NAMES = [
    "（北京）科技有限公司",  # full-width parentheses
    "ＡＢＣ公司",
    "北京  某某   公司",
    " 甲公司 ",
    "甲\t公司",
    "甲\n公司",
    "\u3000甲\u3000",
    "\u00a0乙",
    "",
    "   ",
    "\u3000",
    None,
    123,
]
TEXT_ALPHABET = "甲乙丙 AaＡ（）()\u3000\t\n-"
CLEAN_CAPITALS = ["1.0000", "12", "-3.5", "0", "100.25", "007"]
DIRTY_CAPITALS = [
    "1,000", "", None, "abc", " 12 ", "１２", "1e3", "NaN", "12.", ".5", "+5", "1 000", "   ",
    Decimal("12.5"), 7,
]  # fmt: skip
DIRTY_DATES = [
    "2026-02-30", "19900101", "1990年1月1日", "1990/1/2", "1990.1.2", "", "  ", "not a date",
    " 1990-01-01 ", "1990-01-01T10:00:00", "0000-01-01", "1990-13-01", "１９９０-01-01",
    datetime(2001, 2, 3, 4, 5), None,
]  # fmt: skip
REGION_CODES = [None, "", " 110105 ", "330106", "１１０１０５", "abc", "  "]


def iso_dates() -> st.SearchStrategy[str]:
    return st.dates(min_value=date(1850, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat)


def date_objects() -> st.SearchStrategy[Any]:
    return st.one_of(st.dates(min_value=date(1850, 1, 1), max_value=TODAY), st.none())


def field_values(field: str, kind: str) -> st.SearchStrategy[Any]:
    """Values of ``field``: ``clean`` ones (a column of them is judged whole) or ``mixed``."""
    if field == "credit_code":
        return valid_codes() if kind == "clean" else st.one_of(valid_codes(), dirty_codes())
    if field == "legal_rep_id_number":
        valid = st.one_of(valid_ids(), st.none())
        return valid if kind == "clean" else st.one_of(valid, dirty_ids())
    if field == "registered_capital":
        clean = st.one_of(
            st.sampled_from(CLEAN_CAPITALS),
            st.decimals(places=2, min_value=-(10**6), max_value=10**6).map(str),
        )
        if kind == "clean":
            return clean
        return st.one_of(clean, st.sampled_from(DIRTY_CAPITALS))
    if field == "established_on":
        if kind == "clean":
            return iso_dates()
        if kind == "objects":
            return date_objects()
        return st.one_of(iso_dates(), date_objects(), st.sampled_from(DIRTY_DATES))
    if field == "region_code":
        return st.sampled_from(REGION_CODES)
    if field == "name":
        clean = st.sampled_from(CLEAN_NAMES)
        return clean if kind == "clean" else st.one_of(clean, st.sampled_from(DIRTY_NAMES))
    clean = st.sampled_from(["有限责任公司", "存续", "朝阳区1号", "市场监管局"])
    if kind == "clean":
        return clean
    return st.one_of(clean, st.none(), st.text(TEXT_ALPHABET, max_size=6))


OPTIONAL_FIELDS = (
    "legal_rep_id_number", "registered_capital", "established_on", "region_code",
    "enterprise_type", "legal_rep_name", "address", "business_scope", "status",
    "registration_authority",
)  # fmt: skip


@st.composite
def enterprise_columns(draw: st.DrawFn, max_rows: int = 10) -> tuple[dict[str, list[Any]], int]:
    """Columns of ``n`` enterprise records; each column all clean (the whole-column checks
    decide it) or mixing clean and dirty values; optional fields present or absent."""
    n = draw(st.integers(0, max_rows))
    fields = ["credit_code", "name"]
    fields += [f for f in OPTIONAL_FIELDS if draw(st.booleans())]
    columns: dict[str, list[Any]] = {}
    for field in draw(st.permutations(fields)):
        kinds = ["clean", "mixed", "objects"] if field == "established_on" else ["clean", "mixed"]
        kind = draw(st.sampled_from(kinds))
        columns[field] = draw(st.lists(field_values(field, kind), min_size=n, max_size=n))
    return columns, n


# --- 1. Entity.normalize_columns against Entity.normalize -------------------------------


def check_normalize_columns(
    columns: dict[str, list[Any]],
    n: int,
    *,
    region_check: Any = "historical",
    skip: Sequence[int] = (),
) -> None:
    """Each row of ``normalize_columns`` is what ``normalize`` gives its record (or the
    error it raises, under the same rule), and the input columns are left as they were."""
    before = copy.deepcopy(columns)
    result = ENTERPRISE.normalize_columns(columns, n, region_check=region_check, skip=set(skip))
    assert result is not None, "the enterprise has a column form for these fields"
    out, errors = result
    assert_same(columns, before, "the input columns after normalize_columns (mutated)")
    assert {len(values) for values in out.values()} <= {n}
    assert set(errors) <= set(range(n)) - set(skip), "errors only for rows not skipped"
    for i in range(n):
        if i in skip:
            continue
        record = {f: values[i] for f, values in before.items()}
        try:
            want = ENTERPRISE.normalize(record, region_check=region_check)
        except RecordError as exc:
            got = errors.get(i)
            row = {f: values[i] for f, values in out.items()}
            assert error_of(got) == error_of(exc), (
                f"row {i} {record!r} ({region_check}): the row path raises {error_of(exc)},"
                f" the column lane gives {error_of(got)}" + ("" if got else f" and {row!r}")
            )
            continue
        assert i not in errors, (
            f"row {i} {record!r} ({region_check}): the row path normalizes it to {want!r},"
            f" the column lane raises {error_of(errors[i])}"
        )
        assert_same({f: values[i] for f, values in out.items()}, want, f"row {i} {record!r}")


@SETTINGS
@given(enterprise_columns(), st.sampled_from(["historical", "province"]))
def test_normalize_columns_gives_what_normalize_gives(page, region_check):
    columns, n = page
    check_normalize_columns(columns, n, region_check=region_check)


@SETTINGS
@given(enterprise_columns(), st.data())
def test_skipped_rows_are_left_alone_and_the_others_normalized_as_rows(page, data):
    columns, n = page
    skip = data.draw(st.lists(st.integers(0, max(n - 1, 0)), unique=True) if n else st.just([]))
    check_normalize_columns(columns, n, skip=skip)


def clean_page(n: int = 5) -> dict[str, list[Any]]:
    """``n`` clean records with every field (each column is judged whole)."""
    return {
        "credit_code": [CODES[i % len(CODES)] for i in range(n)],
        "name": [CLEAN_NAMES[i % len(CLEAN_NAMES)] for i in range(n)],
        "enterprise_type": ["有限责任公司"] * n,
        "legal_rep_id_number": [IDS[i % len(IDS)] for i in range(n)],
        "legal_rep_name": ["张三"] * n,
        "registered_capital": [CLEAN_CAPITALS[i % len(CLEAN_CAPITALS)] for i in range(n)],
        "established_on": [f"{1990 + i}-0{1 + i % 9}-1{i % 9}" for i in range(n)],
        "address": ["朝阳区1号"] * n,
        "business_scope": ["软件开发"] * n,
        "status": ["存续"] * n,
        "registration_authority": ["市场监管局"] * n,
    }


FUTURE_ID = make_id("110105", TODAY + timedelta(days=3), 1)
DIRTY_VALUES: list[tuple[str, Any]] = [
    *[("credit_code", v) for v in [CODES[0], *dirty_code_variants(CODES[0])]],
    *[
        ("legal_rep_id_number", v)
        for v in [
            ID,
            "110105491231002",  # legacy 15 digits
            ID.lower(),
            ID[:17] + "1",
            FUTURE_ID,
            make_id("110105", TODAY, 5),  # born today
            make_id("110199", "19800101", 1),  # valid under the province check only
            *dirty_id_variants("330106", date(1985, 6, 15), 42),
        ]
    ],
    *[("registered_capital", v) for v in [*CLEAN_CAPITALS, *DIRTY_CAPITALS]],
    *[("established_on", v) for v in [date(1990, 1, 1), "1990-01-01", *DIRTY_DATES]],
    *[("name", v) for v in DIRTY_NAMES],
    *[("region_code", v) for v in REGION_CODES],
    *[(f, v) for f in ("address", "status", "legal_rep_name") for v in ["  ", "", "甲\t乙", None]],
]


@pytest.mark.parametrize(("field", "value"), DIRTY_VALUES, ids=lambda v: ascii(v)[:30])
def test_each_dirty_value_in_a_clean_page(field, value):
    """One dirty value among clean records, then a whole column of it; region codes given
    or not, under both region checks."""
    for region in ("absent", "present"):
        for region_check in ("historical", "province"):
            for rows in ([2], range(5)):
                columns = clean_page()
                if region == "present":
                    columns["region_code"] = ["110105", None, "", "330106", None]
                column = columns.setdefault(field, [None] * 5)
                for i in rows:
                    column[i] = value
                check_normalize_columns(columns, 5, region_check=region_check)


def test_a_page_of_clean_records_with_nothing_absent():
    columns = clean_page(12)
    check_normalize_columns(columns, 12)
    columns["established_on"] = [date(2000, 1, 1 + i) for i in range(12)]
    columns["registered_capital"] = [None] * 12
    check_normalize_columns(columns, 12)


def test_an_empty_page():
    check_normalize_columns({"credit_code": [], "name": []}, 0)
    check_normalize_columns(clean_page(0), 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registered_capital", "1\x002"),
        ("established_on", "1990-01-01\x001990-01-02"),
        ("name", "甲\x00乙"),
        ("credit_code", CODES[0][:9] + "\x00" + CODES[0][9:]),
        ("legal_rep_id_number", ID[:9] + "\x00" + ID[9:]),
    ],
    ids=["registered_capital", "established_on", "name", "credit_code", "legal_rep_id_number"],
)
def test_a_value_with_a_nul_inside(field, value):
    """A NUL byte inside a value (files from some department systems carry them): the row
    path quarantines the record or keeps the text; the column lane must do the same, not
    raise. The whole-column checks join values with NUL as the separator."""
    for rows in ([2], range(5)):
        columns = clean_page()
        for i in rows:
            columns[field][i] = value
        check_normalize_columns(columns, 5)


# --- 2. Mapper.columns against Mapper.lenient -------------------------------------------

MAPPING: dict[str, dict[str, Any]] = {
    "plain": {"from": "a"},
    "plain_too": {"from": "b"},
    "trimmed_a": {"from": "a", "transforms": ["trim"]},  # a source read twice
    "any_date": {"from": "d", "transforms": ["date"]},
    "trimmed_date": {"from": "d2", "transforms": ["trim", "date"]},
    "formatted_date": {"from": "d3", "transforms": [{"date": ["%Y%m%d", "%Y年%m月%d日"]}]},
    "gender": {"from": "g", "transforms": ["trim", "gender"]},
    "gender_as_sent": {"from": "g", "transforms": ["gender"]},
    "trimmed": {"from": "t", "transforms": ["trim"]},
    "cleaned": {"from": "t", "transforms": ["clean"]},
    "constant": {"value": "存续"},
    "constant_gender": {"value": "女", "transforms": ["gender"]},
    "capital": {"from": "m", "transforms": ["decimal"]},
    "kind": {"from": "k", "transforms": [{"map": {"values": {"1": "A", "2": "B"}}}]},
    "with_default": {"from": "k", "transforms": ["trim", {"default": "9"}]},
    "phone": {"from": "p", "transforms": ["digits"]},
    "ethnicity": {"from": "e", "transforms": ["ethnicity"]},
    "clean_ethnicity": {"from": "e", "transforms": ["clean", "ethnicity"]},
}
SOURCE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "a": st.one_of(st.none(), st.text(TEXT_ALPHABET, max_size=5), st.integers(-5, 5)),
    "b": st.one_of(st.none(), st.sampled_from(["x", "", " "])),
    "d": st.one_of(iso_dates(), date_objects(), st.sampled_from(DIRTY_DATES)),
    "d2": st.one_of(iso_dates(), st.sampled_from([" 1990-01-01 ", "\u30001990-01-01", "", "  "])),
    "d3": st.sampled_from(["19900101", "1990年1月2日", "1990-01-01", "", None, date(1990, 1, 3)]),
    "g": st.sampled_from(
        ["男", "女", " 女 ", "F", "m", "x", None, "", "未知", "1", "9", "MALE", 1]
    ),
    "t": st.one_of(
        st.sampled_from([" a ", "\u3000b\u3000", "", "   ", None, 5, "c", "ＡＢ", "a\x00b"]),
        st.text(TEXT_ALPHABET, max_size=4),
    ),
    "m": st.sampled_from(["1,000.50", "abc", None, "", " 12 ", "3", "约100万"]),
    "k": st.sampled_from(["1", "2", "3", None, 1, "", " 1 "]),
    "p": st.sampled_from(["138-0013-8000", "13800138000", "１２３", "", None, 5, "abc", "²", "0"]),
    "e": st.sampled_from(["汉族", "汉", "1", "01", "回族", " 汉族 ", "火星族", None, "", 1, "97"]),
    "extra": st.text(max_size=3),
}
# Columns a whole-column form decides alone (every value of them converts).
CLEAN_SOURCE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "d": iso_dates(),
    "g": st.sampled_from(["男", "女", "F", "1", "2", "9"]),
    "t": st.sampled_from(["a", "b c", "甲"]),
    "p": st.sampled_from(["13800138000", "0", "110"]),
    "e": st.sampled_from(["汉族", "01", "回族", "3"]),
}


def mapper_of(fields: Mapping[str, Mapping[str, Any]]) -> Mapper:
    return compile_mapping({t: FieldMapping.model_validate(m) for t, m in fields.items()})


@st.composite
def source_pages(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Raw records: every source field present (looked up together) or some missing;
    some columns all of values their whole-column form converts by itself."""
    n = draw(st.integers(0, 10))
    complete = draw(st.booleans())
    clean = draw(st.sets(st.sampled_from(sorted(CLEAN_SOURCE_VALUES))))
    pages = []
    for _ in range(n):
        raw: dict[str, Any] = {}
        for name, values in SOURCE_VALUES.items():
            if complete or draw(st.booleans()):
                raw[name] = draw(CLEAN_SOURCE_VALUES[name] if name in clean else values)
        pages.append(raw)
    return pages


def check_mapper_columns(mapper: Mapper, raws: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(raws)
    columns, errors = mapper.columns(raws)
    assert_same(raws, before, "the raw records after Mapper.columns (mutated)")
    assert set(errors) <= set(range(len(raws)))
    for i, raw in enumerate(before):
        want, first = mapper.lenient(raw)
        assert_same({t: values[i] for t, values in columns.items()}, want, f"row {i} {raw!r}")
        assert error_of(errors.get(i)) == error_of(first), (
            f"row {i} {raw!r}: lenient's first error is {error_of(first)},"
            f" Mapper.columns gives {error_of(errors.get(i))}"
        )


@SETTINGS
@given(source_pages())
def test_mapper_columns_give_what_lenient_gives(raws):
    check_mapper_columns(mapper_of(MAPPING), raws)


@pytest.mark.parametrize(
    "raws",
    [
        [],
        [{}],
        [{"d": "1990-01-01"}, {"d": "2000-02-29"}],  # the whole-column date form
        [{"d": "1990-01-01"}, {"d": "2026-02-30"}, {"d": "19900101"}],
        [{"d": "1990-01-01\x001990-01-02"}],
        [{"g": "x", "m": "abc", "k": "3"}, {"g": "女", "m": "1,000", "k": "1"}],
        [{name: None for name in SOURCE_VALUES}],
    ],
)
def test_mapper_columns_examples(raws):
    check_mapper_columns(mapper_of(MAPPING), raws)


# --- 3. Store.write_batch: IncomingColumns against a list of Incoming ---------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, Store]]:
    """Two fresh stores of one backend: the column lane writes to the first, the row lane
    to the second. Tests empty them first (``clear``)."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("lanes")
        pair = (
            Store(f"sqlite:///{folder / 'columns.db'}"),
            Store(f"sqlite:///{folder / 'rows.db'}"),
        )
        for s in pair:
            s.migrate()
        yield pair
        for s in pair:
            s.dispose()
        return
    first, second = request.getfixturevalue("pg_database_pair")
    pair = (Store(first), Store(second))
    for s in pair:
        s.migrate()
    yield pair
    for s in pair:
        s.dispose()


def clear(*stores: Store) -> None:
    for s in stores:
        with s.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(t.name for t in metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())


KEY_FIELDS = ("credit_code", *ENTERPRISE.fields)
VOLATILE = {"run", "at", "run_id", "created_at", "updated_at", "valid_from", "valid_to", "id"}


def stable(value: Any) -> Any:
    """A stored row without run ids and clock times (they differ between two stores)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def as_incoming(batch: IncomingColumns) -> list[Incoming]:
    """The batch as the row lane holds it, built here (not by ``IncomingColumns``)."""
    return [
        Incoming({f: batch.columns[f][i] for f in batch.fields}, batch.source, sid)
        for i, sid in enumerate(batch.source_records)
    ]


def write_both(stores: tuple[Store, Store], batch: IncomingColumns) -> list[Any]:
    """Write ``batch`` as columns to the first store and as records to the second; the
    two results, after checking the batch came back untouched."""
    by_columns, by_rows = stores
    rows = as_incoming(batch)
    before = copy.deepcopy(batch)
    copied: list[int] = []  # rows of each COPY that went through (a first try may not)
    real = store_module.insert_new_columns

    def counting(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        copied.append(len(args[4]))

    with mock.patch.object(store_module, "insert_new_columns", counting):
        got = by_columns.write_batch(
            "enterprise", batch, run_id=by_columns.start_run(batch.source, entity="enterprise")
        )
    want = by_rows.write_batch(
        "enterprise", rows, run_id=by_rows.start_run(batch.source, entity="enterprise")
    )
    assert_same(
        (batch.source, batch.fields, batch.columns, batch.source_records),
        (before.source, before.fields, before.columns, before.source_records),
        "the batch after write_batch (mutated)",
    )
    return [got, want, sum(copied)]


def assert_same_stores(stores: tuple[Store, Store], keys: Sequence[str]) -> None:
    by_columns, by_rows = stores
    for key in dict.fromkeys(keys):
        assert_same(
            stable(by_columns.get("enterprise", key)),
            stable(by_rows.get("enterprise", key)),
            f"stored enterprise {key!r}",
        )
        assert_same(
            stable(by_columns.history("enterprise", key)),
            stable(by_rows.history("enterprise", key)),
            f"history of {key!r}",
        )
    assert by_columns.count("enterprise") == by_rows.count("enterprise")
    assert by_columns.count("record_version") == by_rows.count("record_version")
    assert by_columns.checksum() == by_rows.checksum()


NASTY_TEXT = [
    "a\tb", "line\nbreak", "cr\rhere", "crlf\r\n", "back\\slash", "\\", "\\\\", "\\N",
    "\\.", 'quote"s', "it's", "", " ", "\u2028", "\x7f", "\x1b[0m", "普通文本", "\t", "\n",
    "end\\", "\\t", "{\"a\": 1}", "NULL", "null",
]  # fmt: skip
NASTY_IDS = [
    None, "r1", 'id"quote', "id\\back", "tab\tid", "nl\nid", "\\N", "", "记录-1", "\u2028",
    '"', "\\", "cr\r", "\x01",
]  # fmt: skip
TEXT_CHARS = st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=["Cs"])
MAX_LENGTH = {"credit_code": 18, "legal_rep_id_number": 18, "region_code": 6, "status": 20}


def stored_values(field: str) -> st.SearchStrategy[Any]:
    """Normalized values of ``field`` as a batch may carry them (text of any character
    but NUL, within the column's length)."""
    if field == "registered_capital":
        return st.one_of(
            st.none(),
            st.decimals(min_value=-(10**12), max_value=10**12, places=4),
            st.sampled_from([Decimal("1.0000"), Decimal("1E+3"), Decimal("-0"), Decimal("5")]),
        )
    if field == "established_on":
        return st.one_of(st.none(), st.dates())
    length = MAX_LENGTH.get(field, 30)
    return st.one_of(
        st.none(),
        st.sampled_from([t for t in NASTY_TEXT if len(t) <= length]),
        st.text(TEXT_CHARS, max_size=length),
    )


@st.composite
def column_batches(draw: st.DrawFn, keys: Sequence[str] | None = None) -> IncomingColumns:
    """A batch of normalized records held as columns, with distinct keys unless ``keys``
    (drawn from, repeats allowed) is given; some fields may be left out."""
    if keys is None:
        key_values = draw(
            st.lists(
                st.one_of(st.sampled_from(NASTY_TEXT[:12]), st.text(TEXT_CHARS, max_size=18)),
                max_size=8,
                unique=True,
            )
        )
    else:
        key_values = draw(st.lists(st.sampled_from(list(keys)), max_size=8))
    n = len(key_values)
    fields = ["credit_code", *[f for f in ENTERPRISE.fields if draw(st.integers(0, 4))]]
    columns: dict[str, list[Any]] = {"credit_code": key_values}
    for field in fields[1:]:
        columns[field] = draw(st.lists(stored_values(field), min_size=n, max_size=n))
    ids = draw(
        st.lists(
            st.one_of(st.sampled_from(NASTY_IDS), st.text(TEXT_CHARS, max_size=6)),
            min_size=n,
            max_size=n,
        )
    )
    source = draw(st.sampled_from(["t", "scjg_enterprise", 'we"ird\\src', "中文\t源"]))
    return IncomingColumns(source, tuple(fields), columns, ids)


@FEW
@given(batch=column_batches())
def test_a_batch_of_new_keys_is_stored_as_the_row_lane_stores_it(stores, batch):
    clear(*stores)
    got, want, fresh = write_both(stores, batch)
    assert got == want
    if stores[0].engine.dialect.name == "postgresql":
        assert fresh == len(batch), "new keys go through insert_new_columns on PostgreSQL"
    assert_same_stores(stores, batch.columns["credit_code"])


def nasty_batch() -> IncomingColumns:
    n = len(NASTY_TEXT)
    columns: dict[str, list[Any]] = {
        "credit_code": [f"K{i:02d}{t}"[:18] for i, t in enumerate(NASTY_TEXT)],
        "name": list(NASTY_TEXT),
        "enterprise_type": [None] * n,  # a column of None only
        "legal_rep_id_number": [ID if i % 2 else None for i in range(n)],
        "legal_rep_name": ["张三"] * n,  # nothing to escape
        "registered_capital": [
            [Decimal("1.0000"), None, Decimal("-12.5"), Decimal("1E+3"), Decimal("0")][i % 5]
            for i in range(n)
        ],
        "established_on": [
            date(1990, 1, 1) + timedelta(days=i) if i % 3 else None for i in range(n)
        ],
        "region_code": [t[:6] if t else None for t in NASTY_TEXT],
        "address": [None if i % 2 else t for i, t in enumerate(NASTY_TEXT)],  # None and escapes
        "business_scope": [t * 3 for t in NASTY_TEXT],
        "status": ["\\N"] * n,  # the COPY null marker as text
        "registration_authority": [""] * n,
    }
    ids = [NASTY_IDS[i % len(NASTY_IDS)] for i in range(n)]
    return IncomingColumns("t", KEY_FIELDS, columns, ids)


def test_nasty_text_is_stored_as_the_row_lane_stores_it(stores):
    clear(*stores)
    batch = nasty_batch()
    got, want, fresh = write_both(stores, batch)
    assert got == want
    assert got.inserted == len(batch)
    if stores[0].engine.dialect.name == "postgresql":
        assert fresh == len(batch)
    assert_same_stores(stores, batch.columns["credit_code"])
    stored = stores[0].get("enterprise", batch.columns["credit_code"][7])
    assert stored is not None
    assert stored["name"] == "\\N"
    assert stored["status"] == "\\N"
    assert stored["registration_authority"] == ""
    assert stored["provenance"]["name"]["record"] == NASTY_IDS[7]


KEY_POOL = CODES[:5]


@st.composite
def batches_over_stored_keys(draw: st.DrawFn) -> tuple[list[Incoming], IncomingColumns]:
    """Records already stored (from one source), then a batch over the same few keys: new
    keys, keys stored with the same or other values, a key repeated in the batch."""
    small = {
        "name": st.sampled_from(["甲", "乙", None]),
        "registered_capital": st.sampled_from([None, Decimal("1.0000"), Decimal("2"), 1]),
        "established_on": st.sampled_from([None, date(1990, 1, 1)]),
        "status": st.sampled_from(["存续", "注销", "a\tb", None]),
    }
    source = draw(st.sampled_from(["t", "scjg_enterprise", "other"]))
    first = []
    for key in draw(st.lists(st.sampled_from(KEY_POOL), unique=True, max_size=4)):
        record = {"credit_code": key, **{f: draw(v) for f, v in small.items()}}
        first.append(Incoming(record, source, f"old-{key}"))
    keys = draw(st.lists(st.sampled_from(KEY_POOL), min_size=1, max_size=8))
    n = len(keys)
    columns: dict[str, list[Any]] = {"credit_code": keys}
    columns.update({f: draw(st.lists(v, min_size=n, max_size=n)) for f, v in small.items()})
    ids = [f"new-{i}" if i % 3 else None for i in range(n)]
    batch = IncomingColumns(
        draw(st.sampled_from(["t", "scjg_enterprise"])), tuple(columns), columns, ids
    )
    return first, batch


@FEW
@given(case=batches_over_stored_keys())
def test_a_batch_over_stored_keys_merges_as_the_row_lane_merges_it(stores, case):
    first, batch = case
    clear(*stores)
    for s in stores:
        if first:
            s.write_batch("enterprise", copy.deepcopy(first), run_id=s.start_run("t"))
    got, want, fresh = write_both(stores, batch)
    assert got == want, f"BatchResult: column lane {got}, row lane {want}"
    keys = batch.columns["credit_code"]
    if stores[0].engine.dialect.name == "postgresql":
        stored_keys = {i.record["credit_code"] for i in first}
        assert fresh == sum(1 for k in keys if k not in stored_keys and keys.count(k) == 1)
    assert_same_stores(stores, KEY_POOL)


def test_new_stored_unchanged_updated_and_repeated_keys_in_one_batch(stores):
    clear(*stores)
    old = [
        Incoming({"credit_code": CODES[0], "name": "甲", "status": "存续"}, "t", "o0"),
        Incoming({"credit_code": CODES[1], "name": "乙", "status": "存续"}, "t", "o1"),
        Incoming({"credit_code": CODES[2], "name": "丙"}, "scjg_enterprise", "o2"),
    ]
    for s in stores:
        s.write_batch("enterprise", copy.deepcopy(old), run_id=s.start_run("t"))
    columns: dict[str, list[Any]] = {
        "credit_code": [CODES[0], CODES[1], CODES[3], CODES[4], CODES[3], CODES[2], CODES[5]],
        "name": ["甲", "乙二", "丁", "戊", "丁二", "丙二", "己\t己"],
        "status": ["存续", "注销", None, "存续", "存续", None, "\\N"],
        "registered_capital": [None, Decimal("1.5"), None, Decimal("2"), None, None, None],
    }
    batch = IncomingColumns(
        "t", tuple(columns), columns, ["n0", "n1", "n2", None, 'n"4', "n5", "n6"]
    )
    got, want, fresh = write_both(stores, batch)
    assert got == want
    assert got.inserted == 3
    if stores[0].engine.dialect.name == "postgresql":
        assert fresh == 2  # CODES[4] and CODES[5]: neither stored nor repeated
    assert_same_stores(stores, CODES)


def test_a_new_key_twice_beside_an_unchanged_stored_key(stores):
    """The unchanged record is set aside first; the new key repeated in the rest of the
    batch must still be merged in order, not COPYed twice."""
    clear(*stores)
    old = [Incoming({"credit_code": CODES[1], "name": "乙"}, "t", "b")]
    for s in stores:
        s.write_batch("enterprise", copy.deepcopy(old), run_id=s.start_run("t"))
    columns: dict[str, list[Any]] = {
        "credit_code": [CODES[0], CODES[0], CODES[1]],
        "name": ["甲", "甲二", "乙"],
    }
    batch = IncomingColumns("t", tuple(columns), columns, ["a1", "a2", "b"])
    got, want, _ = write_both(stores, batch)
    assert got == want and (got.inserted, got.unchanged) == (1, 1)
    assert_same_stores(stores, CODES[:2])


def test_a_batch_sent_again_is_unchanged_and_touches_no_row(stores):
    """The daily full pass: every record offers what its golden row holds, all from this
    source. Each is counted unchanged without being merged, and the store (rows, history,
    timestamps) stays byte for byte as it was, in both lanes."""
    clear(*stores)
    columns: dict[str, list[Any]] = {
        "credit_code": CODES[:4],
        "name": ["甲", "乙", "丙", None],
        "registered_capital": [Decimal("1.5"), None, Decimal("2.0000"), Decimal("0")],
        "established_on": [date(1990, 1, 1), None, date(2001, 2, 3), date(2020, 12, 31)],
    }
    batch = IncomingColumns("t", tuple(columns), columns, ["r0", "r1", None, "r3"])
    write_both(stores, batch)
    before = [s.checksum(cursors=False) for s in stores]
    got, want, _ = write_both(stores, batch)
    assert got == want and (got.unchanged, got.inserted, got.updated) == (4, 0, 0)
    assert [s.checksum(cursors=False) for s in stores] == before


# --- IncomingColumns ---------------------------------------------------------------------


@st.composite
def small_batches(draw: st.DrawFn) -> IncomingColumns:
    n = draw(st.integers(0, 6))
    fields = ("credit_code", "name", "status")
    columns = {f: [f"{f}{i}" for i in range(n)] for f in fields}
    return IncomingColumns("t", fields, columns, [f"r{i}" if i % 2 else None for i in range(n)])


def rows_of(batch: IncomingColumns) -> list[tuple[Any, ...]]:
    return [(asdict(i)["record"], i.source, i.source_record) for i in batch.incoming()]


@SETTINGS
@given(batch=small_batches(), data=st.data())
def test_take_slice_and_concat_as_the_store_and_the_stager_use_them(batch, data):
    everything = rows_of(batch)
    assert everything == [
        ({f: batch.columns[f][i] for f in batch.fields}, "t", batch.source_records[i])
        for i in range(len(batch))
    ]
    assert [(asdict(i)["record"], i.source, i.source_record) for i in batch] == everything
    n = len(batch)
    rows = sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)))) if n else [])
    assert rows_of(batch.take(rows)) == [everything[i] for i in rows]
    assert [(asdict(i)["record"], i.source, i.source_record) for i in batch.incoming(rows)] == [
        everything[i] for i in rows
    ]
    cut = data.draw(st.integers(0, n))
    assert rows_of(batch.slice(0, cut)) == everything[:cut]
    assert rows_of(IncomingColumns.concat([batch.slice(0, cut), batch.slice(cut, n)])) == everything


@SETTINGS
@given(batch=small_batches(), data=st.data())
def test_take_gives_the_records_at_rows_in_that_order(batch, data):
    """``take``'s contract: "the records at ``rows``, in that order" (any rows)."""
    n = len(batch)
    rows = data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n)) if n else []
    everything = rows_of(batch)
    assert rows_of(batch.take(rows)) == [everything[i] for i in rows], f"take({rows})"


# --- 4. Staged: the column lane of prepare_pages against its row lane -----------------------

STAGED_MAPPINGS: dict[str, dict[str, dict[str, Any]]] = {
    "dates_mapped": {
        "credit_code": {"from": "TYSHXYDM"},
        "name": {"from": "QYMC"},
        "enterprise_type": {"from": "QYLX", "transforms": ["clean"]},
        "legal_rep_id_number": {"from": "FDDBR_SFZH"},
        "legal_rep_name": {"from": "FDDBR", "transforms": ["trim"]},
        "registered_capital": {"from": "ZCZB"},
        "established_on": {"from": "CLRQ", "transforms": ["date"]},
        "region_code": {"from": "XZQH"},
        "address": {"from": "DZ"},
        "status": {"value": "存续"},
    },
    "as_sent": {
        "credit_code": {"from": "TYSHXYDM"},
        "name": {"from": "QYMC", "transforms": ["trim"]},
        "legal_rep_id_number": {"from": "FDDBR_SFZH"},
        "registered_capital": {"from": "ZCZB"},
        "established_on": {"from": "CLRQ"},
        "region_code": {"from": "XZQH", "transforms": ["region"]},
        "business_scope": {"from": "JYFW"},
        "registration_authority": {"value": "市场监管局"},
    },
}
RAW_DIRTY_DATES = ["2026-02-30", "19900101", "1990年1月1日", "", "not a date", None, " 1990-01-01 "]
RAW_REGIONS = [None, "110105", "浙江省杭州市西湖区", "西湖区", "", "330106", "nowhere"]


@st.composite
def raw_enterprises(draw: st.DrawFn, dirty: bool) -> dict[str, Any]:
    """One record as a department sends it (source field names); ``dirty`` ones carry
    the values normalization, mapping or the suite refuse or must clean up."""
    raw: dict[str, Any] = {
        "TYSHXYDM": draw(valid_codes()),
        "QYMC": draw(st.sampled_from(CLEAN_NAMES)),
        "QYLX": "有限责任公司",
        "FDDBR_SFZH": draw(st.one_of(valid_ids(), st.none())),
        "FDDBR": "张三",
        "ZCZB": draw(st.sampled_from(CLEAN_CAPITALS)),
        "CLRQ": draw(iso_dates()),
        "XZQH": draw(st.sampled_from([None, "110105"])),
        "DZ": "朝阳区1号",
        "JYFW": "软件开发",
    }
    if dirty:
        if draw(st.booleans()):  # fixable: the record goes the slow way, with its other dirt
            raw["TYSHXYDM"] = raw["TYSHXYDM"].lower()
        for _ in range(draw(st.integers(1, 3))):
            field = draw(st.sampled_from(sorted(raw)))
            raw[field] = draw(
                {
                    "TYSHXYDM": dirty_codes(),
                    "QYMC": st.sampled_from(DIRTY_NAMES),
                    "FDDBR_SFZH": dirty_ids(),
                    "ZCZB": st.sampled_from(DIRTY_CAPITALS),
                    "CLRQ": st.one_of(st.sampled_from(RAW_DIRTY_DATES), date_objects()),
                    "XZQH": st.sampled_from(RAW_REGIONS),
                }.get(field, st.one_of(st.none(), st.text(TEXT_ALPHABET, max_size=5)))
            )
        for field in draw(st.sets(st.sampled_from(sorted(raw)), max_size=2)):
            del raw[field]  # a record missing fields
    return raw


@st.composite
def raw_pages(draw: st.DrawFn) -> list[list[tuple[str | None, dict[str, Any]]]]:
    pages = []
    for p in range(draw(st.integers(1, 3))):
        flags = draw(st.lists(st.integers(0, 3).map(lambda k: k == 0), max_size=10))
        records = [draw(raw_enterprises(dirty)) for dirty in flags]
        ids = [draw(st.sampled_from([f"p{p}-{i}", None, f'p{p}"{i}'])) for i in range(len(flags))]
        pages.append(list(zip(ids, records, strict=True)))
    return pages


class RowsOnly:
    """The same mapping without ``columns``: the stager goes record by record."""

    def __init__(self, mapper: Mapper):
        self._mapper = mapper

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return self._mapper(raw)

    def lenient(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], RecordError | None]:
        return self._mapper.lenient(raw)


def _permissive(entity: str, records: Sequence[Mapping[str, Any]]) -> Any:
    """The suite, at thresholds that never hold a batch back (every record is judged)."""
    from expectations import Thresholds, validate_batch

    thresholds = Thresholds(min_success_ratio=0.0, max_null_share={"name": 1.0})
    return validate_batch(entity, records, thresholds=thresholds, source="t")


@cache
def make_check(name: str) -> Any:
    """The gate of a source loaded by hand (``batch_check``), a permissive one, or none."""
    if name == "default":
        return batch_check(None, entity="enterprise", source="t")
    return _permissive if name == "permissive" else None


def validation_summary(result: Mapping[str, Any] | None) -> Any:
    """What a validation found, without its run id and clock times."""
    if result is None:
        return None
    return {
        "gate_passed": result["gate_passed"],
        "reason": result["reason"],
        "statistics": result["statistics"],
        "batch_failures": result["batch_failures"],
        "results": [
            (
                r["expectation_config"]["type"],
                r["expectation_config"]["kwargs"].get("column"),
                r["success"],
                r["result"],
            )
            for r in result["gx_result"]["results"]
        ],
    }


def run_lane(mapper: Any, pages: list[list[Any]], check: Any, group: int) -> dict[str, Any]:
    """What ``prepare_pages`` gives for ``pages``: per page its cursor, size, records to
    store (as Incoming, whichever way held) and quarantine entries; or the held batch."""
    out: dict[str, Any] = {"pages": [], "validations": [], "held": None, "lanes": []}
    try:
        for prepared, cursor in prepare_pages(
            ENTERPRISE, "t", [(p, i) for i, p in enumerate(pages)],
            mapper=mapper, check=check, group=group,
        ):  # fmt: skip
            good = prepared.good
            out["lanes"].append("columns" if isinstance(good, IncomingColumns) else "rows")
            incoming = good.incoming() if isinstance(good, IncomingColumns) else list(good)
            out["pages"].append({
                "cursor": cursor,
                "read": prepared.read,
                "good": [asdict(i) for i in incoming],
                "bad": [asdict(q) for q in prepared.bad],
            })  # fmt: skip
            out["validations"] += [validation_summary(v) for v in prepared.validations]
    except BatchHeld as held:
        out["held"] = {
            "reason": held.reason,
            "records": held.records,
            "cursor_after": held.cursor_after,
        }
        out["validations"].append(validation_summary(held.result))
    return out


def check_staged(mapping: str, pages: list[list[Any]], check: str, group: int) -> dict[str, Any]:
    mapper = mapper_of(STAGED_MAPPINGS[mapping])
    kept = copy.deepcopy(pages)
    columns = run_lane(mapper, pages, make_check(check), group)
    assert_same(pages, kept, "the raw pages after the column lane (mutated)")
    rows = run_lane(RowsOnly(mapper), pages, make_check(check), group)
    assert set(rows["lanes"]) <= {"rows"}
    assert_same(columns["held"], rows["held"], "the batch held back")
    assert_same(columns["pages"], rows["pages"], "the pages prepared")
    assert_same(columns["validations"], rows["validations"], "what validation found")
    return columns


@FEWER
@given(
    mapping=st.sampled_from(sorted(STAGED_MAPPINGS)),
    pages=raw_pages(),
    check=st.sampled_from(["default", "permissive", "none"]),
    group=st.sampled_from([QUALITY_GROUP, 1]),
)
def test_staged_column_lane_gives_what_the_row_lane_gives(mapping, pages, check, group):
    check_staged(mapping, pages, check, group)


def test_staged_gate_sees_blank_text_as_the_row_lane_does():
    """Blank text is missing to the suite in both lanes, also in a record the column
    checks left to the slow way (here for its lower-case credit code). Five records, one
    of four capitals given is "abc": 75% pass, under the 80% the gate asks for, so the
    row lane holds the batch back; so must the column lane."""

    def raw(code: str, capital: str) -> dict[str, Any]:
        return {"TYSHXYDM": code, "QYMC": "甲公司", "FDDBR_SFZH": ID, "ZCZB": capital,
                "CLRQ": "2001-02-03", "XZQH": None, "JYFW": "软件开发"}  # fmt: skip

    page = [
        ("r0", raw(CODES[0].lower(), "")),
        ("r1", raw(CODES[1].lower(), "abc")),
        ("r2", raw(CODES[2], "12")),
        ("r3", raw(CODES[3], "5")),
        ("r4", raw(CODES[4], "7")),
    ]
    for check in ("default", "permissive"):
        check_staged("as_sent", [page], check, QUALITY_GROUP)


def test_staged_lanes_on_mostly_clean_pages_with_the_gate():
    """Three pages of a clean source with a few dirty records, validated as one group by
    the source's real gate: the column lane is taken, and gives what the row lane gives."""
    clean = {
        "TYSHXYDM": None, "QYMC": "甲公司", "QYLX": "有限责任公司", "FDDBR_SFZH": ID,
        "FDDBR": "张三", "ZCZB": "100.5", "CLRQ": "2001-02-03", "XZQH": None, "DZ": "朝阳区1号",
        "JYFW": "软件开发",
    }  # fmt: skip
    dirt = [
        {"TYSHXYDM": CODES[0].lower()},  # fixable: stored upper-case
        {"FDDBR_SFZH": "110105491231002"},  # legacy, upgraded
        {"FDDBR_SFZH": ID[:17] + "1"},  # bad check character: quarantined
        {"ZCZB": "1,000"},
        {"ZCZB": ""},
        {"ZCZB": "abc"},
        {"CLRQ": "2026-02-30"},  # mapping fails
        {"CLRQ": "19900101"},
        {"QYMC": "（北京）  科技"},
        {"TYSHXYDM": CODES[0][:17] + "0"},
        {"XZQH": " 330106 "},
    ]
    pages = []
    serial = 0
    for p in range(3):
        page = []
        for i in range(20):
            serial += 1
            body = f"{serial:08d}"
            raw = {**clean, "TYSHXYDM": make_credit_code("91", "110105", body)}
            if i % 5 == 2 and dirt:
                raw.update(dirt.pop())
            page.append((f"p{p}-{i}", raw))
        pages.append(page)
    result = check_staged("dates_mapped", pages, "default", QUALITY_GROUP)
    assert result["held"] is None
    assert result["lanes"] == ["columns"] * 3
    bad = [q["rule"] for p in result["pages"] for q in p["bad"]]
    assert sorted(bad) == sorted(
        [
            "enterprise.legal_rep.id_number.checksum",
            "registered_capital.format",
            "established_on.format",
            "credit_code.checksum",
        ]
    ), bad
    assert sum(len(p["good"]) for p in result["pages"]) == 56
