"""Region names read back to GB/T 2260 codes, over the whole table."""

from __future__ import annotations

import doctest
import re
from collections import defaultdict

import pytest

from tongban.identifiers import region, region_by_name, region_codes
from tongban.identifiers import region_names as region_names_module

# Lines of the table that group counties rather than name a place.
GROUPINGS = {"市辖区", "县", "省直辖县级行政单位", "省直辖行政单位"}
SHORT = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市|地区|盟)$")


def _names(code: str) -> tuple[str, str, str]:
    """Province, city (empty when the table has no city line) and county, as listed."""
    province, city = region(code[:2] + "0000"), region(code[:4] + "00")
    assert province is not None
    return province.name, city.name if city is not None else "", region(code).name  # type: ignore[union-attr]


COUNTIES_IN_FORCE = [
    c
    for c in sorted(region_codes())
    if c[4:] != "00" and region(c).in_force and region(c).name not in GROUPINGS  # type: ignore[union-attr]
]


def _same_full_name() -> dict[str, list[str]]:
    """Full names the table gives to more than one county-level code in force."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for code in COUNTIES_IN_FORCE:
        by_name["".join(_names(code))].append(code)
    return {name: codes for name, codes in by_name.items() if len(codes) > 1}


# What each of those reads as. Three pairs put a district's name on a prefecture-level
# city's 01 code, which GB/T 2260 keeps for the 市辖区 line: the district is the sibling.
# The table keeps both 三元区 codes of 三明市 in force: the name alone cannot choose.
SAME_FULL_NAME = {
    "吉林省四平市铁西区": (["220301", "220302"], "220302"),
    "吉林省辽源市龙山区": (["220401", "220402"], "220402"),
    "浙江省金华市兰溪市": (["330701", "330781"], "330781"),
    "福建省三明市三元区": (["350403", "350404"], None),
}


def test_the_table_gives_few_full_names_to_two_codes_in_force() -> None:
    assert len(COUNTIES_IN_FORCE) > 2800
    assert _same_full_name() == {name: codes for name, (codes, _) in SAME_FULL_NAME.items()}
    for name, (_, code) in SAME_FULL_NAME.items():
        assert region_by_name(name) == code, name


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(lambda p, c, n: p + c + n, id="as listed"),
        pytest.param(lambda p, c, n: " ".join((p, c, n)), id="spaced"),
        pytest.param(lambda p, c, n: p + (c if c not in GROUPINGS else "") + n, id="no grouping"),
        pytest.param(
            lambda p, c, n: SHORT.sub("", p) + (SHORT.sub("", c) if c not in GROUPINGS else "") + n,
            id="short",
        ),
    ],
)
def test_every_county_in_force_is_read_back_from_its_full_name(written) -> None:
    ambiguous = {code for codes, _ in SAME_FULL_NAME.values() for code in codes}
    wrong = {
        code: (text, got)
        for code in COUNTIES_IN_FORCE
        if code not in ambiguous and (got := region_by_name(text := written(*_names(code)))) != code
    }
    assert wrong == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("山西省阳泉市郊区", "140311"),  # not 450306 市郊区, a district of 桂林 until 1995
        ("山西阳泉郊区", "140311"),
        ("吉林省四平市铁西区", "220302"),  # nor 沈阳's, 鞍山's or 安阳's 铁西区
        ("吉林四平铁西区", "220302"),
        ("浙江省杭州市西湖区", "330106"),
        ("江西南昌西湖区", "360103"),
        ("浙江西湖区", "330106"),  # the one 西湖区 of 浙江
        ("杭州市西湖区", "330106"),
        ("广西壮族自治区南宁市青秀区", "450103"),
        ("广西南宁青秀区", "450103"),
        ("北京市东城区", "110101"),
        ("北京市市辖区东城区", "110101"),
        ("湖北省仙桃市", "429004"),  # its city line groups, it names no place to leave out
        ("北京市崇文区", "110103"),  # withdrawn in 2010, still the only 崇文区 of 北京
        ("吉林省四平地区梨树县", "222122"),  # the 地区 named: the withdrawn code under it
        ("吉林四平梨树县", "220322"),  # 四平市 and 四平地区 fit alike: the code in force
        ("吉林省梨树县", "220322"),
        ("浙江省", "330000"),
        ("浙江省杭州市", "330100"),
    ],
)
def test_a_name_with_its_parents(text: str, code: str) -> None:
    assert region_by_name(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("海淀区", "110108"),
        ("兰溪市", "330781"),  # 330701 is 金华市's 市辖区 line
        ("泰州市", "321200"),
        ("西湖区", None),  # 杭州's and 南昌's
        ("东城区", None),  # 北京's, and one the table keeps in force under 温州
        ("铁西区", None),
        ("崇文区", None),  # no code in force carries it
        ("仙桃市", None),  # the table keeps 421086 in force beside 429004
    ],
)
def test_a_bare_name_needs_exactly_one_code_in_force(text: str, code: str | None) -> None:
    assert region_by_name(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "广东省阳泉市郊区",  # 阳泉 is in 山西
        "浙江省南昌市西湖区",
        "江西杭州西湖区",
        "吉林省沈阳市铁西区",
        "山西省桂林市市郊区",
        "中国浙江省杭州市西湖区",  # words that name no parent
        "杭州市浙江省西湖区",  # the province comes first
        "火星",
        "",
    ],
)
def test_parents_that_do_not_fit_name_nothing(text: str) -> None:
    assert region_by_name(text) is None


def test_module_doctests() -> None:
    result = doctest.testmod(region_names_module)
    assert result.attempted > 0
    assert result.failed == 0
