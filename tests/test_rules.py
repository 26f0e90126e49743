"""Each entity rule is written once, over a batch's columns: a record comes out of a
page exactly as it comes out alone (``normalize_batch`` against ``normalize`` of each
record). Clean columns are judged whole and a value the column checks cannot decide is
decided by the same rule value by value, so neither the page's other records nor the
form its columns take in Arrow (mixed types, blank text, NUL bytes) may change what a
record gives: same values of the same types, same errors under the same rules.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongban.batch import Batch
from tongban.entities import ENTERPRISE, PERSON
from tongban.errors import RecordError
from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char
from tongban.identifiers.credit_code import AUTHORITIES
from tongban.identifiers.regions import region_codes

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
    assert not found, f"{what}: in a page vs alone\n" + "\n".join(found)


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


# --- Entity.normalize_batch against Entity.normalize -------------------------------------


def check_normalize_columns(
    columns: dict[str, list[Any]],
    n: int,
    *,
    region_check: Any = "historical",
    skip: Sequence[int] = (),
    spec: Any = ENTERPRISE,
) -> None:
    """Each row of ``normalize_batch`` is what ``normalize`` gives its record alone (or
    the error it raises, under the same rule); a row that failed before (``skip``) keeps
    its error."""
    before = copy.deepcopy(columns)
    earlier = {i: RecordError("mapping.failed", f"row {i}") for i in skip}
    batch = Batch.from_columns(columns, [f"r{i}" for i in range(n)], earlier)
    done = spec.normalize_batch(batch, region_check=region_check)
    assert_same(columns, before, "the input columns after normalize_batch (mutated)")
    assert len(done) == n and done.record_ids == [f"r{i}" for i in range(n)]
    assert set(done.fields) == {spec.key, *spec.fields}
    out = done.columns()
    for i in range(n):
        if i in skip:
            assert done.errors[i] is earlier[i]
            continue
        record = {f: values[i] for f, values in before.items()}
        try:
            want = spec.normalize(record, region_check=region_check)
        except RecordError as exc:
            got = done.errors.get(i)
            row = {f: values[i] for f, values in out.items()}
            assert error_of(got) == error_of(exc), (
                f"row {i} {record!r} ({region_check}): alone it fails {error_of(exc)},"
                f" in its page {error_of(got)}" + ("" if got else f" and gives {row!r}")
            )
            continue
        assert i not in done.errors, (
            f"row {i} {record!r} ({region_check}): alone it is {want!r},"
            f" in its page it fails {error_of(done.errors[i])}"
        )
        got_row = {f: values[i] for f, values in out.items()}
        assert list(got_row) == list(want), "fields in the order of the rule"
        assert_same(got_row, want, f"row {i} {record!r}")


@SETTINGS
@given(enterprise_columns(), st.sampled_from(["historical", "province"]))
def test_a_record_in_a_page_is_normalized_as_alone(page, region_check):
    columns, n = page
    check_normalize_columns(columns, n, region_check=region_check)


@SETTINGS
@given(enterprise_columns(), st.data())
def test_records_failed_before_keep_their_error_and_the_others_are_normalized(page, data):
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
    """A NUL byte inside a value (files from some department systems carry them): the
    record is quarantined or keeps the text, in a page as alone, never an exception. The
    whole-column checks join values with NUL as the separator."""
    for rows in ([2], range(5)):
        columns = clean_page()
        for i in rows:
            columns[field][i] = value
        check_normalize_columns(columns, 5)


# --- people -------------------------------------------------------------------------------

PERSON_REGIONS = ["110105", "330106", "440305", "510107", "652801", "340000"]  # 340000: a province


def _id(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@st.composite
def person_ids(draw: st.DrawFn) -> Any:
    born = draw(births)
    number = _id(draw(st.sampled_from(PERSON_REGIONS)), born, draw(st.integers(0, 999)))
    kind = draw(st.sampled_from(["clean"] * 6 + ["lower", "space", "bad", "short", "none", ""]))
    if kind == "lower":
        return number.lower()
    if kind == "space":
        return f" {number} "
    if kind == "bad":
        return number[:17] + ("0" if number[17] != "0" else "1")
    if kind == "short":  # a legacy 15-digit number
        return number[:6] + number[8:17]
    if kind == "none":
        return None
    return "" if kind == "" else number


def _stated_birth(draw: st.DrawFn, number: Any) -> Any:
    choice = draw(st.sampled_from(["none", "same", "other", "text", "datetime"]))
    real = None
    if isinstance(number, str) and len(number.strip()) == 18 and number.strip()[6:14].isdigit():
        digits = number.strip()[6:14]
        try:
            real = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            real = None
    if choice == "same" and real is not None:
        return real
    if choice == "other":
        return draw(births)
    if choice == "text":
        return draw(st.sampled_from(["1990-01-01", "19900101", "1990年1月1日", "bad"]))
    if choice == "datetime" and real is not None:
        return datetime(real.year, real.month, real.day, 8, 30)
    return None


@st.composite
def person_pages(draw: st.DrawFn) -> tuple[dict[str, list[Any]], int]:
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        number = draw(person_ids())
        rows.append({
            "id_number": number,
            "name": draw(st.sampled_from(["张三", " 李四 ", "王　五", "", None, "ＡＢＣ"])),
            "gender": draw(st.sampled_from([None, "1", "2", "0", "9", "男", " 1"])),
            "birth_date": _stated_birth(draw, number),
            "phone": draw(st.sampled_from([None, "13800138000", "138 0013 8000"])),
        })  # fmt: skip
    fields = draw(st.sets(st.sampled_from(["gender", "birth_date", "phone"])))
    columns = {f: [r[f] for r in rows] for f in ("id_number", "name", *sorted(fields))}
    return columns, n


@settings(max_examples=150, deadline=None)
@given(person_pages(), st.sampled_from(["historical", "province"]))
def test_a_person_in_a_page_is_normalized_as_alone(page, region_check):
    columns, n = page
    check_normalize_columns(columns, n, region_check=region_check, spec=PERSON)


def test_a_clean_page_of_people_reads_birth_date_and_gender_from_the_number():
    born = [date(1949, 12, 31), date(2000, 2, 29), date(1985, 7, 1)]
    ids = [_id("110105", b, 2 * k + 1) for k, b in enumerate(born)]
    batch = Batch.from_columns({"id_number": ids, "name": ["甲", "乙", "丙"]}, ["a", "b", "c"])
    done = PERSON.normalize_batch(batch)
    assert done.errors == {}
    assert done.column("birth_date") == born
    assert all(type(b) is date for b in done.column("birth_date"))
    assert done.column("gender") == ["1", "1", "1"]
    assert done.column("id_number") == ids
