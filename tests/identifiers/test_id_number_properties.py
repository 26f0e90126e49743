"""Citizen ID numbers (GB 11643-1999): the rules as properties of the public functions.

Every number here is built from its parts (a GB/T 2260 code, a birth date, a sequence)
with the check character computed from the standard's weights, so each property holds
whatever way ``tongban.identifiers`` computes it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from noise import SETTINGS as IDENTIFIER_SETTINGS
from noise import noisy_variants

from tongban.errors import RecordError
from tongban.identifiers import (
    PROVINCES,
    check_id_number,
    clean_code,
    is_known_region,
    parse_id_number,
    upgrade_id_number,
)
from tongban.identifiers.regions import region_codes

WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...
CHECK_CHARS = "10X98765432"  # by weighted sum mod 11
TODAY = date.today()
REGIONS = sorted(region_codes())
SETTINGS = settings(IDENTIFIER_SETTINGS, max_examples=100)


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def refusal(raw: object, **kwargs: object) -> RecordError:
    with pytest.raises(RecordError) as info:
        check_id_number(raw, **kwargs)  # type: ignore[arg-type]
    return info.value


births = st.dates(min_value=date(1850, 1, 1), max_value=TODAY)
births_19xx = st.dates(min_value=date(1900, 1, 1), max_value=min(TODAY, date(1999, 12, 31)))
sequences = st.integers(0, 999)


@st.composite
def valid_ids(draw: st.DrawFn, born: st.SearchStrategy[date] = births) -> str:
    return make_id(draw(st.sampled_from(REGIONS)), draw(born), draw(sequences))


# -- valid numbers ----------------------------------------------------------------------


@SETTINGS
@given(st.sampled_from(REGIONS), births, sequences)
def test_a_number_built_from_valid_parts_passes_and_reads_back(
    region: str, born: date, seq: int
) -> None:
    number = make_id(region, born, seq)
    assert check_id_number(number) == number
    assert check_id_number(number, region_check="province") == number
    parsed = parse_id_number(number)
    assert (parsed.value, parsed.upgraded_from) == (number, None)
    assert parsed.region_code == region
    assert parsed.birth_date == born
    # GB/T 2261.1: 1 male (odd sequence), 2 female (even).
    assert parsed.gender == ("1" if seq % 2 else "2")


@SETTINGS
@given(valid_ids())
def test_checking_is_idempotent(number: str) -> None:
    once = check_id_number(number)
    assert check_id_number(once) == once


@SETTINGS
@given(st.sampled_from(REGIONS), births, st.integers(0, 99), st.integers(0, 9))
def test_gender_follows_the_parity_of_digit_17_alone(
    region: str, born: date, tens: int, last: int
) -> None:
    numbers = [make_id(region, born, tens * 10 + d) for d in range(10)]
    genders = [parse_id_number(n).gender for n in numbers]
    assert genders == ["2", "1"] * 5
    assert parse_id_number(numbers[last]).gender == ("1" if last % 2 else "2")


# -- any one-character change is refused ----------------------------------------------

# Anything a department system may put in a field: ASCII, full-width forms, CJK, other
# scripts' digits, white space and the invisible characters spreadsheets leave behind.
replacements = st.one_of(
    st.sampled_from("0123456789Xx"),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.sampled_from(" \t\u3000\u00a0\ufeff\u200b٣३¹²①𝟏中"),
    st.characters(codec="utf-8"),  # any but lone surrogates
)


@SETTINGS
@given(valid_ids(), st.integers(0, 17), replacements)
@example("11010519491231002X", 17, "0")
@example("11010519491231002X", 0, "\u3000")
@example("11010519491231002X", 3, "٣")
def test_any_one_character_change_is_refused(number: str, pos: int, char: str) -> None:
    """MOD 11-2 catches every changed digit or check character (11 is prime and no
    weight is 0 mod 11); any other character breaks the length or the character set."""
    altered = number[:pos] + char + number[pos + 1 :]
    cleaned = clean_code(altered)
    assume(cleaned != number)  # "x" for "X", a full-width digit for its own digit
    err = refusal(altered)
    if len(cleaned) != 18:
        assert err.rule == "id_number.length"
    elif (
        not (cleaned[:17].isascii() and cleaned[:17].isdigit()) or cleaned[17] not in "0123456789X"
    ):
        assert err.rule == "id_number.charset"
    else:
        assert err.rule == "id_number.checksum"
        assert check_char(cleaned[:17]) in err.message
    assert err.value == altered


@SETTINGS
@given(valid_ids(), st.integers(0, 16), st.integers(0, 16), st.integers(1, 9))
def test_two_digits_changed_with_the_check_recomputed_stay_valid_or_name_a_rule(
    number: str, pos: int, other: int, delta: int
) -> None:
    """A change the checksum cannot see (the check character recomputed) is still judged
    by the birth date and the region: the number passes or names one of those rules."""
    digits = list(number[:17])
    digits[pos] = str((int(digits[pos]) + delta) % 10)
    digits[other] = str((int(digits[other]) + delta) % 10)
    first17 = "".join(digits)
    altered = first17 + check_char(first17)
    try:
        born = date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        born = None
    if born is None or not date(1850, 1, 1) <= born <= TODAY:
        assert refusal(altered).rule == "id_number.birth_date"
    elif first17[:6] not in region_codes():
        assert refusal(altered).rule == "id_number.region"
    else:
        assert parse_id_number(altered).birth_date == born


# -- legacy 15-digit numbers ----------------------------------------------------------


@SETTINGS
@given(valid_ids(births_19xx))
def test_a_legacy_number_upgrades_to_the_18_digit_number(number: str) -> None:
    legacy = number[:6] + number[8:17]  # no century, no check character
    assert upgrade_id_number(legacy) == number
    assert check_id_number(legacy) == number
    parsed = parse_id_number(legacy)
    assert (parsed.value, parsed.upgraded_from) == (number, legacy)
    assert parsed.birth_date == parse_id_number(number).birth_date
    assert parsed.gender == parse_id_number(number).gender


@SETTINGS
@given(st.data())
def test_a_legacy_number_as_typed_upgrades_the_same(data: st.DataObject) -> None:
    number = data.draw(valid_ids(births_19xx))
    legacy = number[:6] + number[8:17]
    variant = data.draw(noisy_variants(legacy))
    parsed = parse_id_number(variant)
    assert (parsed.value, parsed.upgraded_from) == (number, legacy)


@SETTINGS
@given(
    st.sampled_from(REGIONS),
    st.integers(0, 99),
    st.integers(1, 12),
    st.integers(29, 99),
    sequences,
)
def test_a_legacy_number_with_an_impossible_date_is_refused(
    region: str, yy: int, month: int, day: int, seq: int
) -> None:
    try:
        date(1900 + yy, month, day)
    except ValueError:
        pass
    else:
        assume(False)
    legacy = f"{region}{yy:02d}{month:02d}{day:02d}{seq:03d}"
    err = refusal(legacy)
    assert err.rule == "id_number.birth_date"
    assert f"19{yy:02d}{month:02d}{day:02d}" in err.message


# -- how numbers are typed ------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_lower_case_x_full_width_digits_and_spaces_read_the_same(data: st.DataObject) -> None:
    number = data.draw(valid_ids())
    variant = data.draw(noisy_variants(number))
    assert check_id_number(variant) == number
    assert parse_id_number(variant).value == number


@SETTINGS
@given(valid_ids())
def test_a_fully_full_width_number_reads_the_same(number: str) -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())  # ｘ for a final X
    assert check_id_number(full) == number


# -- birth dates ----------------------------------------------------------------------


@SETTINGS
@given(
    st.sampled_from(REGIONS),
    st.one_of(
        st.dates(min_value=TODAY + timedelta(days=1), max_value=date(9999, 12, 31)),
        st.dates(min_value=date(1000, 1, 1), max_value=date(1849, 12, 31)),
    ),
    sequences,
)
def test_a_birth_date_in_the_future_or_before_1850_is_refused(
    region: str, born: date, seq: int
) -> None:
    err = refusal(make_id(region, born, seq))
    assert err.rule == "id_number.birth_date"
    assert born.isoformat() in err.message


@SETTINGS
@given(st.sampled_from(REGIONS), st.integers(1850, TODAY.year), st.integers(0, 99),
       st.integers(0, 99), sequences)  # fmt: skip
def test_a_birth_date_that_is_no_date_is_refused(
    region: str, year: int, month: int, day: int, seq: int
) -> None:
    try:
        date(year, month, day)
    except ValueError:
        pass
    else:
        assume(False)
    first17 = f"{region}{year:04d}{month:02d}{day:02d}{seq:03d}"
    err = refusal(first17 + check_char(first17))
    assert err.rule == "id_number.birth_date"
    assert "not a real date" in err.message


# -- region checks --------------------------------------------------------------------


@SETTINGS
@given(
    st.one_of(
        st.sampled_from(REGIONS),
        st.from_regex(r"[0-9]{6}", fullmatch=True),
        st.tuples(
            st.sampled_from(sorted(PROVINCES)), st.from_regex(r"[0-9]{4}", fullmatch=True)
        ).map("".join),
    ),
    births,
    sequences,
)
@example("110103", date(1970, 1, 1), 11)  # 崇文区, merged into 东城区 in 2010
@example("110199", date(1980, 1, 1), 1)  # province 11, never listed
def test_each_region_check_mode_accepts_exactly_what_it_documents(
    region: str, born: date, seq: int
) -> None:
    """``historical``: every code GB/T 2260 ever listed; ``province``: a known province
    prefix, whatever follows."""
    number = make_id(region, born, seq)
    modes: list[tuple[Literal["historical", "province"], bool]] = [
        ("historical", is_known_region(region)),
        ("province", region[:2] in PROVINCES),
    ]
    for mode, accepted in modes:
        if accepted:
            assert check_id_number(number, region_check=mode) == number
        else:
            err = refusal(number, region_check=mode)
            assert err.rule == "id_number.region"
            assert number in err.message


@SETTINGS
@given(st.sampled_from(REGIONS))
def test_every_listed_code_has_a_province_prefix(region: str) -> None:
    """So a number the historical check accepts, the province check accepts too."""
    assert region[:2] in PROVINCES
