"""Unified social credit codes (GB 32100-2015) and organization codes (GB 11714)."""

from __future__ import annotations

import doctest
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from noise import SETTINGS, noisy_variants

from tongban.errors import RecordError
from tongban.identifiers import (
    CreditCode,
    check_credit_code,
    credit_check_char,
    org_code_check_char,
    parse_credit_code,
)
from tongban.identifiers import credit_code as credit_code_module
from tongban.identifiers.credit_code import AUTHORITIES
from tongban.identifiers.regions import region_codes

# --- slow reference implementations, straight from the standards' tables -------------

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_VALUES = {c: i for i, c in enumerate(string.digits + string.ascii_uppercase)}  # A=10..Z=35


def ref_credit_check(first17: str) -> str:
    assert len(first17) == 17
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def ref_org_check(body8: str) -> str:
    assert len(body8) == 8
    total = sum(ORG_VALUES[c] * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_code(first16: str) -> str:
    """Complete 16 characters with the org code check and the MOD 31 check character."""
    first17 = first16 + ref_org_check(first16[8:16])
    return first17 + ref_credit_check(first17)


def with_credit_check(first17: str) -> str:
    return first17 + ref_credit_check(first17)


EXAMPLE = "91350100M000100Y43"
CREDIT_REGIONS = sorted(region_codes() | {"100000"})


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(AUTHORITIES)))
    kind = draw(st.sampled_from(sorted(AUTHORITIES[authority][1])))
    region = draw(st.sampled_from(CREDIT_REGIONS))
    body = draw(st.text(alphabet=CREDIT_ALPHABET, min_size=8, max_size=8))
    return make_code(authority + kind + region + body)


def rule_of(raw: object) -> RecordError:
    with pytest.raises(RecordError) as info:
        check_credit_code(raw)
    return info.value


# --- published example ---------------------------------------------------------------


def test_gb32100_example() -> None:
    parsed = parse_credit_code(EXAMPLE)
    assert parsed == CreditCode(EXAMPLE)
    assert parsed.value == EXAMPLE
    assert str(parsed) == EXAMPLE
    assert parsed.authority == "9"
    assert parsed.institution_type == "1"
    assert parsed.region_code == "350100"
    assert parsed.organization_code == "M000100Y4"
    assert credit_check_char(EXAMPLE[:17]) == "3" == ref_credit_check(EXAMPLE[:17])
    assert org_code_check_char("M000100Y") == "4" == ref_org_check("M000100Y")


@pytest.mark.parametrize(
    "raw",
    [
        "91350100m000100y43",
        " 91350100M000100Y43\n",
        "9135 0100 M000 100Y 43",
        "\u300091350100M000100Y43\u3000",
        "９１３５０１００Ｍ０００１００Ｙ４３",
        "９１３５０１００ｍ０００１００ｙ４３",
        "91350100\u3000m000100y4 3",
    ],
)
def test_normalization_examples(raw: str) -> None:
    assert check_credit_code(raw) == EXAMPLE


def test_module_doctests() -> None:
    result = doctest.testmod(credit_code_module)
    assert result.attempted > 0
    assert result.failed == 0


# --- check characters against the references -----------------------------------------


@SETTINGS
@given(st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17))
def test_credit_check_char_matches_reference(first17: str) -> None:
    assert credit_check_char(first17) == ref_credit_check(first17)


def test_credit_check_char_unit_vectors() -> None:
    # Each weight on its own: all zeros except one character, every value.
    for pos in range(17):
        for char in CREDIT_ALPHABET:
            first17 = "0" * pos + char + "0" * (16 - pos)
            assert credit_check_char(first17) == ref_credit_check(first17), first17


@SETTINGS
@given(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=8, max_size=8))
def test_org_code_check_char_matches_reference(body8: str) -> None:
    assert org_code_check_char(body8) == ref_org_check(body8)


def test_org_code_check_char_unit_vectors() -> None:
    for pos in range(8):
        for char in string.digits + string.ascii_uppercase:
            body8 = "0" * pos + char + "0" * (7 - pos)
            assert org_code_check_char(body8) == ref_org_check(body8), body8


def test_org_code_check_char_covers_x_and_0() -> None:
    # 11 - 0 = 11 -> "0"; a sum of 1 mod 11 gives 10 -> "X".
    assert org_code_check_char("00000000") == "0"
    assert ref_org_check("00000001") == org_code_check_char("00000001")
    checks = {org_code_check_char(f"{n:08d}") for n in range(200)}
    assert checks == set("0123456789X")


# --- properties of valid codes -------------------------------------------------------


@SETTINGS
@given(valid_codes())
def test_valid_code_parses_and_round_trips(code: str) -> None:
    parsed = parse_credit_code(code)
    assert parsed.value == code
    assert parsed.authority == code[0]
    assert parsed.institution_type == code[1]
    assert parsed.region_code == code[2:8]
    assert parsed.organization_code == code[8:17]
    assert check_credit_code(code) == code


@SETTINGS
@given(st.data())
def test_normalization_gives_the_same_value(data: st.DataObject) -> None:
    code = data.draw(valid_codes())
    variant = data.draw(noisy_variants(code))
    assert check_credit_code(variant) == code


@SETTINGS
@given(valid_codes(), st.integers(0, 16), st.integers(1, 30))
def test_any_single_character_change_breaks_the_checksum(code: str, pos: int, shift: int) -> None:
    # MOD 31: every weight and every difference of two values 0..30 is non-zero mod 31
    # (a prime), and the checksum is checked before anything but the charset.
    new = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(code[pos]) + shift) % 31]
    altered = code[:pos] + new + code[pos + 1 :]
    err = rule_of(altered)
    assert err.rule == "credit_code.checksum"
    assert altered in err.message
    assert f"should be {ref_credit_check(altered[:17])}" in err.message


@SETTINGS
@given(valid_codes())
def test_wrong_check_character_is_a_checksum_error(code: str) -> None:
    for c in CREDIT_ALPHABET:
        if c != code[17]:
            assert rule_of(code[:17] + c).rule == "credit_code.checksum"


@SETTINGS
@given(valid_codes(), st.integers(8, 15), st.integers(1, 30))
def test_org_code_change_with_recomputed_credit_check(code: str, pos: int, shift: int) -> None:
    # Change one character of the organization code body and repair only the MOD 31
    # check: the GB 11714 check catches it unless the change happens to keep its sum.
    new = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(code[pos]) + shift) % 31]
    first17 = code[:pos] + new + code[pos + 1 : 17]
    altered = with_credit_check(first17)
    if ref_org_check(first17[8:16]) == first17[16]:
        assert check_credit_code(altered) == altered
    else:
        err = rule_of(altered)
        assert err.rule == "credit_code.org_code_checksum"
        assert first17[8:17] in err.message
        assert f"should end in {ref_org_check(first17[8:16])}" in err.message


# --- each rule, named and distinct ---------------------------------------------------


@pytest.mark.parametrize("raw", ["", None, "  ", "\u3000", "\t\n"])
def test_rule_missing(raw: object) -> None:
    err = rule_of(raw)
    assert err.rule == "credit_code.missing"
    assert err.message == "credit code is empty"
    assert err.value == raw


@pytest.mark.parametrize(
    "raw", ["9", EXAMPLE[:17], EXAMPLE + "0", "91350100M000100Y4-3X", "1" * 40]
)
def test_rule_length(raw: str) -> None:
    err = rule_of(raw)
    assert err.rule == "credit_code.length"
    assert raw in err.message
    assert f"has {len(raw)} characters" in err.message
    assert err.value == raw


@pytest.mark.parametrize("letter", "IOSVZ")
@pytest.mark.parametrize("pos", [0, 8, 12, 17])
def test_rule_charset_excluded_letters(letter: str, pos: int) -> None:
    raw = EXAMPLE[:pos] + letter + EXAMPLE[pos + 1 :]
    err = rule_of(raw)
    assert err.rule == "credit_code.charset"
    assert raw in err.message
    assert repr(letter) in err.message
    assert err.value == raw


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        ("91350100M000100Y4-", "-"),
        ("9135010_M000100Y43", "_"),
        ("91350100M000100Y4é", "É"),
        ("9I350100M0O0100Y43", "IO"),
    ],
)
def test_rule_charset_other_characters(raw: str, bad: str) -> None:
    err = rule_of(raw)
    assert err.rule == "credit_code.charset"
    assert repr(bad) in err.message


def test_rule_checksum() -> None:
    raw = "91350100M000100Y44"
    err = rule_of(raw)
    assert err.rule == "credit_code.checksum"
    assert raw in err.message
    assert "should be 3, not 4" in err.message
    assert err.value == raw


@pytest.mark.parametrize("authority", sorted(set(CREDIT_ALPHABET) - set(AUTHORITIES)))
def test_rule_authority_unknown_first_character(authority: str) -> None:
    raw = make_code(authority + "1350100M000100Y")
    err = rule_of(raw)
    assert err.rule == "credit_code.authority"
    assert f"'{authority}'" in err.message
    assert err.value == raw


@pytest.mark.parametrize(
    ("authority", "kind"),
    [
        ("9", "4"),  # 工商: 1, 2, 3 only
        ("9", "9"),
        ("1", "4"),
        ("2", "2"),
        ("Y", "2"),
        ("N", "A"),
    ],
)
def test_rule_authority_wrong_institution_type(authority: str, kind: str) -> None:
    raw = make_code(authority + kind + "350100M000100Y")
    err = rule_of(raw)
    assert err.rule == "credit_code.authority"
    assert f"'{kind}'" in err.message
    assert f"authority {authority}" in err.message
    assert AUTHORITIES[authority][0] in err.message


@pytest.mark.parametrize("authority", sorted(AUTHORITIES))
def test_every_listed_institution_type_is_accepted(authority: str) -> None:
    for kind in AUTHORITIES[authority][1]:
        raw = make_code(authority + kind + "350100M000100Y")
        assert check_credit_code(raw) == raw


@pytest.mark.parametrize("region", ["990100", "000000", "200000", "3501A0", "Y50100"])
def test_rule_region(region: str) -> None:
    raw = make_code("91" + region + "M000100Y")
    err = rule_of(raw)
    assert err.rule == "credit_code.region"
    assert f"'{region}'" in err.message
    assert raw in err.message
    assert err.value == raw


def test_central_region_100000_is_accepted() -> None:
    raw = make_code("11100000" + "00001312")
    assert check_credit_code(raw) == raw
    assert parse_credit_code(raw).region_code == "100000"


def test_rule_org_code_checksum() -> None:
    # Valid MOD 31 check character over a wrong organization code check character.
    raw = with_credit_check("91350100M000100Y5")
    assert raw[17] == ref_credit_check(raw[:17])
    err = rule_of(raw)
    assert err.rule == "credit_code.org_code_checksum"
    assert "M000100Y5" in err.message
    assert "should end in 4" in err.message
    assert raw in err.message
    assert err.value == raw


def test_rules_are_distinct() -> None:
    samples = {
        "credit_code.missing": "",
        "credit_code.length": EXAMPLE[:17],
        "credit_code.charset": "91350100M000100I43",
        "credit_code.checksum": "91350100M000100Y44",
        "credit_code.authority": make_code("B1350100M000100Y"),
        "credit_code.region": make_code("91990100M000100Y"),
        "credit_code.org_code_checksum": with_credit_check("91350100M000100Y5"),
    }
    for rule, raw in samples.items():
        assert rule_of(raw).rule == rule


@SETTINGS
@given(
    code=valid_codes(),
    pos=st.integers(0, 17),
    char=st.sampled_from(string.ascii_letters + string.digits),
)
def test_fast_path_agrees_with_the_step_by_step_rules(code: str, pos: int, char: str) -> None:
    """Well-formed 18-character input takes a fast path; with one character replaced by
    anything (case included) it must give the same value or break the same rule."""
    raw = code[:pos] + char + code[pos + 1 :]

    def outcome(check):
        try:
            return check(raw)
        except RecordError as exc:
            return exc.rule

    def step_by_step(value: str) -> str:
        # Force the slow path: a leading space is stripped by clean-up and skips the fast one.
        return credit_code_module._check_credit_code(" " + value)

    assert outcome(credit_code_module._check_credit_code) == outcome(step_by_step)


@SETTINGS
@given(
    codes=st.lists(
        st.tuples(valid_codes(), st.integers(0, 17), st.sampled_from(string.printable + "中Ｏ")),
        min_size=1,
        max_size=20,
    ),
    keep=st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_a_column_is_judged_as_each_code_alone(codes, keep) -> None:
    """The whole-column check says "valid as written" exactly where the one-by-one check
    accepts the value and gives it back (upper-cased) unchanged."""
    values: list[object] = [
        code if kept else code[:pos] + char + code[pos + 1 :]
        for (code, pos, char), kept in zip(codes, keep, strict=False)
    ]
    values += [None, 91350100, "", " " + codes[0][0], codes[0][0].lower()]
    verdicts = credit_code_module.well_formed_credit_codes(values)

    def as_written(value: object) -> bool:
        try:
            return credit_code_module.check_credit_code(value) == str(value).upper()
        except RecordError:
            return False

    assert [bool(v) for v in verdicts] == [
        isinstance(v, str) and as_written(v) and v == v.strip() for v in values
    ]
