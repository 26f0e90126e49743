"""Citizen ID numbers (GB 11643-1999): published examples, rules, properties."""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from noise import SETTINGS, noisy_variants

import tongban.identifiers as identifiers
from tongban.errors import RecordError, TongbanError
from tongban.identifiers import (
    IdNumber,
    check_id_number,
    id_check_char,
    parse_id_number,
    upgrade_id_number,
)
from tongban.identifiers import id_number as id_number_module
from tongban.identifiers.regions import PROVINCES, region_codes

# --- slow reference implementation, straight from the standard's tables -------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"


def ref_id_check(first17: str) -> str:
    assert len(first17) == 17
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def ref_date_ok(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1850, 1, 1) <= born <= date.today()


TODAY = date.today()
REGIONS = sorted(region_codes())
UNLISTED_IN_BEIJING = "110199"  # well-formed, province 11, but never listed


def make_id(region: str, born: str, seq: str) -> str:
    first17 = region + born + seq
    return first17 + ref_id_check(first17)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    return make_id(region, f"{born:%Y%m%d}", f"{seq:03d}")


def rule_of(raw: object, **kwargs: object) -> RecordError:
    with pytest.raises(RecordError) as info:
        check_id_number(raw, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- published examples --------------------------------------------------------------


def test_gb11643_example() -> None:
    parsed = parse_id_number("11010519491231002X")
    assert parsed == IdNumber("11010519491231002X")
    assert parsed.value == "11010519491231002X"
    assert str(parsed) == "11010519491231002X"
    assert parsed.region_code == "110105"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "2"  # 17th digit 2: female
    assert parsed.upgraded_from is None
    assert id_check_char("11010519491231002") == "X"


def test_gb11643_second_example() -> None:
    parsed = parse_id_number("440524188001010014")
    assert parsed.value == "440524188001010014"
    assert parsed.region_code == "440524"
    assert parsed.birth_date == date(1880, 1, 1)
    assert parsed.gender == "1"  # 17th digit 1: male
    assert id_check_char("44052418800101001") == "4"


def test_legacy_15_digit_upgrade() -> None:
    assert upgrade_id_number("110105491231002") == "11010519491231002X"
    parsed = parse_id_number("110105491231002")
    assert parsed.value == "11010519491231002X"
    assert parsed.upgraded_from == "110105491231002"
    assert parsed.birth_date == date(1949, 12, 31)
    assert check_id_number("110105491231002") == "11010519491231002X"


def test_legacy_15_digit_is_normalized_too() -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in "110105491231002")
    parsed = parse_id_number(f"\u3000{full[:6]} {full[6:]} ")
    assert parsed.value == "11010519491231002X"
    assert parsed.upgraded_from == "110105491231002"


def test_module_doctests() -> None:
    result = doctest.testmod(id_number_module)
    assert result.attempted > 0
    assert result.failed == 0


# --- check character against the reference ------------------------------------------


@SETTINGS
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_check_char_matches_reference(first17: str) -> None:
    assert id_check_char(first17) == ref_id_check(first17)


def test_id_check_char_unit_vectors() -> None:
    # Each weight on its own: all zeros except one digit.
    for pos in range(17):
        for digit in "0123456789":
            first17 = "0" * pos + digit + "0" * (16 - pos)
            assert id_check_char(first17) == ref_id_check(first17), first17


def test_id_check_char_hits_every_check_character() -> None:
    seen = {id_check_char(f"{n:017d}") for n in range(100)}
    assert seen == set(ID_CHECK_MAP)


# --- properties of valid numbers -----------------------------------------------------


@SETTINGS
@given(valid_ids())
def test_valid_number_parses_and_round_trips(number: str) -> None:
    parsed = parse_id_number(number)
    assert parsed.value == number
    assert parsed.upgraded_from is None
    assert parsed.region_code == number[:6]
    born = parsed.birth_date
    assert f"{born:%Y%m%d}" == number[6:14]
    assert parsed.gender == ("1" if int(number[16]) % 2 else "2")
    assert check_id_number(number) == number
    assert check_id_number(number, region_check="province") == number


FULL_WIDTH_SPACE = "\u3000"


@SETTINGS
@given(st.data())
def test_normalization_gives_the_same_value(data: st.DataObject) -> None:
    number = data.draw(valid_ids())
    variant = data.draw(noisy_variants(number))
    assert check_id_number(variant) == number
    parsed = parse_id_number(variant)
    assert parsed.value == number
    assert parsed.upgraded_from is None


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "110105 19491231 002X",
        "\u300011010519491231002X\u3000",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " １１０１０５１９４９１２３１００２ｘ ",
        "110105\u300019491231\u3000002x",
    ],
)
def test_normalization_examples(raw: str) -> None:
    assert check_id_number(raw) == "11010519491231002X"


@SETTINGS
@given(valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_breaks_the_checksum(number: str, pos: int, delta: int) -> None:
    # MOD 11-2: every weight and every digit difference 1..9 is non-zero mod 11 (a prime),
    # so a single changed digit always changes the sum; and the checksum is checked before
    # the birth date and the region, so the rule is always id_number.checksum.
    new_digit = str((int(number[pos]) + delta) % 10)
    altered = number[:pos] + new_digit + number[pos + 1 :]
    err = rule_of(altered)
    assert err.rule == "id_number.checksum"
    assert altered in err.message
    assert ref_id_check(altered[:17]) in err.message


@SETTINGS
@given(valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_single_digit_change_with_recomputed_check_char(number: str, pos: int, delta: int) -> None:
    # With the check character recomputed the number passes the checksum, and the digit
    # change may instead make the birth date or the region invalid.
    new_digit = str((int(number[pos]) + delta) % 10)
    first17 = number[:pos] + new_digit + number[pos + 1 : 17]
    altered = first17 + ref_id_check(first17)
    if not ref_date_ok(altered[6:14]):
        assert rule_of(altered).rule == "id_number.birth_date"
    elif altered[:6] not in region_codes():
        err = rule_of(altered)
        assert err.rule == "id_number.region"
        assert altered[:6] in err.message
    else:
        assert check_id_number(altered) == altered


@SETTINGS
@given(valid_ids(), st.integers(14, 16), st.integers(1, 9))
def test_sequence_digit_change_is_exactly_a_checksum_error(
    number: str, pos: int, delta: int
) -> None:
    new_digit = str((int(number[pos]) + delta) % 10)
    altered = number[:pos] + new_digit + number[pos + 1 :]
    assert rule_of(altered).rule == "id_number.checksum"
    fixed = altered[:17] + ref_id_check(altered[:17])
    assert check_id_number(fixed) == fixed


@SETTINGS
@given(valid_ids())
def test_wrong_check_character_is_a_checksum_error(number: str) -> None:
    for c in ID_CHECK_MAP:
        if c != number[17]:
            err = rule_of(number[:17] + c)
            assert err.rule == "id_number.checksum"


@SETTINGS
@given(valid_ids(), st.integers(0, 15))
def test_adjacent_transposition_is_detected(number: str, pos: int) -> None:
    # Adjacent weights differ mod 11 (the check character weighs 1, the 17th digit 2), so
    # swapping two different neighbours, the check character included, is always caught.
    a, b = number[pos], number[pos + 1]
    if a == b:
        return
    swapped = number[:pos] + b + a + number[pos + 2 :]
    if "X" in swapped[:17]:
        assert rule_of(swapped).rule == "id_number.charset"
    else:
        assert rule_of(swapped).rule == "id_number.checksum"


# --- each rule, named and distinct ---------------------------------------------------


@pytest.mark.parametrize("raw", ["", None, "   ", "\u3000", " \t\n "])
def test_rule_missing(raw: object) -> None:
    err = rule_of(raw)
    assert err.rule == "id_number.missing"
    assert err.message == "ID number is empty"
    assert err.value == raw


@pytest.mark.parametrize(
    "raw",
    ["1", "11010519491231002", "1101051949123100", "11010519491231002XX", "1" * 30],
)
def test_rule_length(raw: str) -> None:
    err = rule_of(raw)
    assert err.rule == "id_number.length"
    assert raw in err.message
    assert f"has {len(raw)} characters" in err.message
    assert err.value == raw


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002Y",  # check character not a digit or X
        "1101051949123100AX",  # letter among the first 17
        "X10105194912310021",  # X anywhere but last
        "11010519491231002-",
        "110105-9491231002X",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits: isdigit() but not ASCII
        "11010549123100X",  # 15 characters with a letter
        "11010549123100x",
        "١١٠١٠٥٤٩١٢٣١٠٠٢",  # 15 Arabic-Indic digits
    ],
)
def test_rule_charset(raw: str) -> None:
    err = rule_of(raw)
    assert err.rule == "id_number.charset"
    assert raw.upper() in err.message
    assert err.value == raw


def test_rule_checksum() -> None:
    raw = "110105194912310021"
    err = rule_of(raw)
    assert err.rule == "id_number.checksum"
    assert raw in err.message
    assert "should be X, not 1" in err.message
    assert err.value == raw
    assert str(err) == f"id_number.checksum: {err.message}"
    assert isinstance(err, TongbanError)


@pytest.mark.parametrize(
    ("born", "fragment"),
    [
        ("19900230", "19900230 is not a real date"),
        ("19900229", "19900229 is not a real date"),  # 1990 is not a leap year
        ("19001301", "19001301 is not a real date"),
        ("19000000", "19000000 is not a real date"),
        ("20010931", "20010931 is not a real date"),
        ("18491231", "1849-12-31 is before 1850"),
        ("17000101", "1700-01-01 is before 1850"),
        ("99991231", "9999-12-31 is in the future"),
    ],
)
def test_rule_birth_date(born: str, fragment: str) -> None:
    raw = make_id("110105", born, "002")
    err = rule_of(raw)
    assert err.rule == "id_number.birth_date"
    assert fragment in err.message
    assert err.value == raw


def test_rule_birth_date_tomorrow() -> None:
    tomorrow = date.today() + timedelta(days=1)
    raw = make_id("110105", f"{tomorrow:%Y%m%d}", "002")
    err = rule_of(raw)
    assert err.rule == "id_number.birth_date"
    assert f"{tomorrow.isoformat()} is in the future" in err.message


def test_rule_birth_date_legacy_15() -> None:
    err = rule_of("110105490230002")  # 1949-02-30
    assert err.rule == "id_number.birth_date"
    assert "19490230" in err.message


@pytest.mark.parametrize("born", ["18500101", "20000229", "19491231", f"{TODAY:%Y%m%d}"])
def test_birth_date_boundaries_accepted(born: str) -> None:
    raw = make_id("110105", born, "002")
    assert check_id_number(raw) == raw


@pytest.mark.parametrize("region", ["990101", "000000", "990000", UNLISTED_IN_BEIJING])
def test_rule_region(region: str) -> None:
    assert region not in region_codes()
    raw = make_id(region, "19800101", "001")
    err = rule_of(raw)
    assert err.rule == "id_number.region"
    assert region in err.message
    assert raw in err.message
    assert err.value == raw


def test_region_check_province_only_checks_the_prefix() -> None:
    listed_nowhere = make_id(UNLISTED_IN_BEIJING, "19800101", "001")
    assert rule_of(listed_nowhere).rule == "id_number.region"
    assert check_id_number(listed_nowhere, region_check="province") == listed_nowhere
    assert parse_id_number(listed_nowhere, region_check="province").region_code == "110199"

    bad_prefix = make_id("990101", "19800101", "001")
    err = rule_of(bad_prefix, region_check="province")
    assert err.rule == "id_number.region"
    assert "'99'" in err.message
    assert bad_prefix in err.message


def test_a_number_is_judged_afresh_under_each_region_check() -> None:
    """A number that passes the province check is still refused by the historical one,
    however often either was asked before."""
    listed_nowhere = make_id(UNLISTED_IN_BEIJING, "19700101", "002")
    for _ in range(2):
        assert check_id_number(listed_nowhere, region_check="province") == listed_nowhere
        with pytest.raises(RecordError, match="region"):
            check_id_number(listed_nowhere, region_check="historical")


@pytest.mark.parametrize("prefix", sorted(PROVINCES))
def test_region_check_province_accepts_every_province(prefix: str) -> None:
    raw = make_id(prefix + "9999", "19800101", "001")
    assert check_id_number(raw, region_check="province") == raw


def test_rules_are_distinct() -> None:
    samples = {
        "id_number.missing": "",
        "id_number.length": "1101051949123100",
        "id_number.charset": "1101051949123100AX",
        "id_number.checksum": "110105194912310021",
        "id_number.birth_date": make_id("110105", "19900230", "002"),
        "id_number.region": make_id("990101", "19800101", "001"),
    }
    for rule, raw in samples.items():
        assert rule_of(raw).rule == rule


# --- historical region codes ---------------------------------------------------------


def test_abolished_region_is_accepted() -> None:
    raw = make_id("110103", "19700101", "011")  # 崇文区, merged into 东城区 in 2010
    parsed = parse_id_number(raw)
    assert parsed.value == raw
    assert parsed.region_code == "110103"
    assert parse_id_number(raw[:6] + raw[8:17]).value == raw  # as a legacy 15-digit number


def test_non_string_input_is_stringified() -> None:
    assert check_id_number(110105491231002) == "11010519491231002X"
    assert check_id_number(440524188001010014) == "440524188001010014"


# --- public surface ------------------------------------------------------------------


def test_public_surface_is_pinned() -> None:
    assert identifiers.__all__ == [
        "DEFAULT_REGION_CHECK",
        "FULL_TO_HALF",
        "PROVINCES",
        "CreditCode",
        "IdNumber",
        "Region",
        "RegionCheck",
        "ascii_matrix",
        "check_credit_code",
        "check_id_number",
        "clean_code",
        "credit_check_char",
        "id_check_char",
        "is_known_region",
        "org_code_check_char",
        "parse_credit_code",
        "parse_id_number",
        "region",
        "region_by_name",
        "region_codes",
        "upgrade_id_number",
        "well_formed_credit_codes",
        "well_formed_id_numbers",
        "written_upper",
    ]
    for name in identifiers.__all__:
        assert hasattr(identifiers, name), name
    namespace: dict[str, object] = {}
    exec("from tongban.identifiers import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(identifiers.__all__)


def test_a_long_running_process_accepts_births_after_it_started(monkeypatch):
    """The fast date table ends with the year of import; later dates are checked live."""
    import tongban.identifiers.id_number as mod

    class NextYear(date):
        @classmethod
        def today(cls):
            return date(date.today().year + 1, 1, 5)

    born = f"{date.today().year + 1}0102"
    first17 = "110105" + born + "001"
    number = first17 + id_check_char(first17)
    with pytest.raises(RecordError) as err:
        check_id_number(number)
    assert err.value.rule == "id_number.birth_date" and "future" in err.value.message
    monkeypatch.setattr(mod, "date", NextYear)
    assert check_id_number(number) == number


def test_unknown_region_check_mode_is_an_error():
    with pytest.raises(ValueError, match="region_check"):
        check_id_number("11010519491231002X", region_check="histroical")  # type: ignore[arg-type]


def test_invisible_characters_are_dropped():
    assert check_id_number("\ufeff11010519491231002X\u200b") == "11010519491231002X"


def test_check_char_helpers_refuse_bad_input():
    with pytest.raises(ValueError):
        id_check_char("1101051949123_002")


@SETTINGS
@given(
    numbers=st.lists(
        st.tuples(valid_ids(), st.integers(0, 17), st.sampled_from("0123456789Xx!a中 １")),
        min_size=1,
        max_size=20,
    ),
    keep=st.lists(st.booleans(), min_size=20, max_size=20),
    region_check=st.sampled_from(["historical", "province"]),
)
def test_a_column_is_judged_as_each_number_alone(numbers, keep, region_check) -> None:
    """The whole-column check says "valid as written" exactly where the one-by-one check
    accepts the value and gives it back (upper-cased) unchanged: mutated digits, check
    characters, dates and regions, a lower-case x, legacy and padded numbers."""
    values: list[object] = [
        number if kept else number[:pos] + char + number[pos + 1 :]
        for (number, pos, char), kept in zip(numbers, keep, strict=False)
    ]
    first = numbers[0][0]
    legacy = first[:6] + first[8:17]
    unlisted = make_id(UNLISTED_IN_BEIJING, "19800101", "001")
    values += [None, 110105194912310021, "", " " + first, first[:17] + first[17].lower(),
               legacy, unlisted]  # fmt: skip
    verdicts = id_number_module.well_formed_id_numbers(values, region_check=region_check)

    def as_written(value: object) -> bool:
        try:
            return check_id_number(value, region_check=region_check) == str(value).upper()
        except RecordError:
            return False

    assert [bool(v) for v in verdicts] == [
        isinstance(v, str) and v == v.strip() and as_written(v) for v in values
    ]


def test_a_column_check_refuses_an_unknown_region_check() -> None:
    with pytest.raises(ValueError, match="region_check"):
        id_number_module.well_formed_id_numbers(["11010519491231002X"], region_check="nope")  # type: ignore[arg-type]
