"""Unified social credit codes (GB 32100-2015): the rules as properties of the public
functions.

Every code here is built from its parts (authority, institution type, region, an
organization code body) with both check characters computed from the standards' weights,
so each property holds whatever way ``tongban.identifiers`` computes them.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from noise import SETTINGS as IDENTIFIER_SETTINGS
from noise import noisy_variants

from tongban.errors import RecordError
from tongban.identifiers import PROVINCES, check_credit_code, clean_code, parse_credit_code
from tongban.identifiers.credit_code import AUTHORITIES
from tongban.identifiers.regions import region_codes

SETTINGS = settings(IDENTIFIER_SETTINGS, max_examples=100)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 0-9 and A-Z without I, O, S, V, Z
FORBIDDEN = "IOSVZ"
REGIONS = sorted(region_codes() | {"100000"})  # 100000: registered centrally


def credit_check(first17: str) -> str:
    """MOD 31: weights 3**i mod 31, the check the value that makes the sum 0 mod 31."""
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return ALPHABET[-total % 31]


def org_check(body8: str) -> str:
    """GB 11714: weights 3, 7, 9, 10, 5, 8, 4, 2 over the values 0-9, A=10 .. Z=35."""
    total = sum(int(c, 36) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return "0123456789X"[-total % 11]


def make_code(authority: str, kind: str, region: str, body8: str) -> str:
    first17 = authority + kind + region + body8 + org_check(body8)
    return first17 + credit_check(first17)


def refusal(raw: object) -> RecordError:
    with pytest.raises(RecordError) as info:
        check_credit_code(raw)
    return info.value


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(AUTHORITIES)))
    kind = draw(st.sampled_from(sorted(AUTHORITIES[authority][1])))
    region = draw(st.sampled_from(REGIONS))
    body = draw(st.text(alphabet=ALPHABET, min_size=8, max_size=8))
    return make_code(authority, kind, region, body)


# -- valid codes ------------------------------------------------------------------------


@SETTINGS
@given(valid_codes())
@example("91350100M000100Y43")  # the standard's example
def test_a_code_built_from_valid_parts_passes_and_reads_back(code: str) -> None:
    assert check_credit_code(code) == code
    parsed = parse_credit_code(code)
    assert parsed.value == code
    assert parsed.authority == code[0]
    assert parsed.institution_type == code[1]
    assert parsed.region_code == code[2:8]
    assert parsed.organization_code == code[8:17]


@SETTINGS
@given(valid_codes())
def test_checking_is_idempotent(code: str) -> None:
    once = check_credit_code(code)
    assert check_credit_code(once) == once


@SETTINGS
@given(st.data())
def test_lower_case_full_width_and_spaces_read_the_same(data: st.DataObject) -> None:
    code = data.draw(valid_codes())
    assert check_credit_code(data.draw(noisy_variants(code))) == code


# -- any one-character change is refused ----------------------------------------------

replacements = st.one_of(
    st.sampled_from(ALPHABET + FORBIDDEN + FORBIDDEN.lower()),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.sampled_from(" \t\u3000\u00a0\ufeff\u200b٣¹①中"),
    st.characters(codec="utf-8"),  # any but lone surrogates
)


@SETTINGS
@given(valid_codes(), st.integers(0, 17), replacements)
@example("91350100M000100Y43", 17, "4")
@example("91350100M000100Y43", 0, "\u3000")
@example("91350100M000100Y43", 9, "O")
def test_any_one_character_change_is_refused(code: str, pos: int, char: str) -> None:
    """MOD 31 catches every substitution within the alphabet (31 is prime and no weight
    is 0 mod 31), before any other rule; a character outside it breaks the character set,
    white space the length."""
    altered = code[:pos] + char + code[pos + 1 :]
    cleaned = clean_code(altered)
    assume(cleaned != code)  # a lower-case or full-width form of the same character
    err = refusal(altered)
    if len(cleaned) != 18:
        assert err.rule == "credit_code.length"
    elif not set(cleaned) <= set(ALPHABET):
        assert err.rule == "credit_code.charset"
    else:
        assert err.rule == "credit_code.checksum"
        assert f"should be {credit_check(cleaned[:17])}" in err.message
    assert err.value == altered


@SETTINGS
@given(valid_codes(), st.integers(0, 17), st.sampled_from(FORBIDDEN + FORBIDDEN.lower()))
def test_a_forbidden_letter_anywhere_is_refused_by_name(code: str, pos: int, letter: str) -> None:
    """I, O, S, V and Z are left out of the alphabet (read as 1, 0, 5, U and 2)."""
    altered = code[:pos] + letter + code[pos + 1 :]
    err = refusal(altered)
    assert err.rule == "credit_code.charset"
    assert repr(letter.upper()) in err.message


@SETTINGS
@given(valid_codes(), st.integers(0, 16), st.sampled_from(ALPHABET))
def test_a_change_with_the_check_recomputed_is_judged_by_the_other_rules(
    code: str, pos: int, char: str
) -> None:
    """Past the MOD 31 check, the authority and type, the region and the organization
    code's own check still hold the code to GB 32100."""
    first17 = code[:pos] + char + code[pos + 1 : 17]
    altered = first17 + credit_check(first17)
    authority = AUTHORITIES.get(altered[0])
    if authority is None or altered[1] not in authority[1]:
        expected = "credit_code.authority"
    elif not altered[2:8].isdigit() or altered[2:4] not in {*PROVINCES, "10"}:
        expected = "credit_code.region"
    elif org_check(altered[8:16]) != altered[16]:
        expected = "credit_code.org_code_checksum"
    else:
        assert check_credit_code(altered) == altered
        return
    assert refusal(altered).rule == expected
