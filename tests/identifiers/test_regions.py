"""GB/T 2260 region codes, current and historical."""

from __future__ import annotations

import doctest

import pytest

from tongban.identifiers import PROVINCES, Region, is_known_region, region
from tongban.identifiers import regions as regions_module
from tongban.identifiers.regions import province_code, region_codes


def test_abolished_region_is_known_but_not_in_force() -> None:
    chongwen = region("110103")
    assert chongwen is not None
    assert chongwen.name == "崇文区"
    assert chongwen.last_year == 2010
    assert chongwen.in_force is False
    assert chongwen.province == "北京市"
    assert is_known_region("110103")
    assert "110103" in region_codes()


def test_current_region_is_in_force() -> None:
    dongcheng = region("110101")
    assert dongcheng is not None
    assert dongcheng.name == "东城区"
    assert dongcheng.last_year is None
    assert dongcheng.in_force is True
    assert dongcheng.province == "北京市"


def test_gb11643_example_region_is_historical() -> None:
    chaoyang = region("440524")  # 潮阳县, of the GB 11643 example 440524188001010014
    assert chaoyang is not None
    assert chaoyang.in_force is False
    assert chaoyang.province == "广东省"


@pytest.mark.parametrize("code", ["990101", "000000", "110199", "", "11010", "1101030"])
def test_unknown_region(code: str) -> None:
    assert region(code) is None
    assert not is_known_region(code)
    assert code not in region_codes()


def test_there_are_34_provinces_and_all_appear_in_the_table() -> None:
    assert len(PROVINCES) == 34
    prefixes = {code[:2] for code in region_codes()}
    assert set(PROVINCES) <= prefixes
    for prefix, name in PROVINCES.items():
        top = region(prefix + "0000")
        assert top is not None, prefix
        assert top.name == name


def test_region_codes_are_six_digits() -> None:
    codes = region_codes()
    assert isinstance(codes, frozenset)
    assert len(codes) > 3000
    assert all(len(c) == 6 and c.isdigit() and c.isascii() for c in codes)
    assert {c[:2] for c in codes} <= set(PROVINCES)


def test_region_objects() -> None:
    r = region("110105")
    assert r == Region("110105", r.name, r.first_year, r.last_year)
    assert isinstance(r, Region)
    assert region("110105") is r  # the table is loaded once


@pytest.mark.parametrize(
    ("code", "expected"),
    [("110103", "110000"), ("440524", "440000"), ("820000", "820000"), ("990101", None)],
)
def test_province_code(code: str, expected: str | None) -> None:
    assert province_code(code) == expected


def test_module_doctests() -> None:
    result = doctest.testmod(regions_module)
    assert result.attempted > 0
    assert result.failed == 0
