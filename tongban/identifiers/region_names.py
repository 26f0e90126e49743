"""Region names as departments write them, read back to GB/T 2260 codes.

A name is read from its end: the county (or city, or province) the table lists, and before
it the parents, each optional, province first — in the table's own spelling (山西省,
阳泉市, 四平地区, 市辖区) or without its 省/市/自治区/地区/盟 ending (山西, 阳泉). A text
whose parents are not the code's parents names nothing.

    >>> region_by_name("山西省阳泉市郊区"), region_by_name("山西 阳泉 郊区")
    ('140311', '140311')
    >>> region_by_name("吉林省四平市铁西区"), region_by_name("广东省阳泉市郊区")
    ('220302', None)

Which code a name picks, when the table gives it to more than one:

* a bare name (no parents) only when exactly one code in force carries it;
* otherwise only codes whose parents the text names, and of those the ones it leaves the
  fewest parents unnamed (湖北省仙桃市: 429004, whose city line is a grouping, not 421086
  of 荆州市); of those, the codes in force, if any: a withdrawn code only when its
  parents fit better, or no code in force fits;
* a county-level code ending in 01 under a prefecture-level city is that city's 市辖区
  line in GB/T 2260, never a district of its own; where the table also gives such a
  code a district's name a sibling carries (220301 and 220302 铁西区), the sibling.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from tongban.identifiers.regions import region, region_codes

__all__ = ["region_by_name"]

# Names the table gives to a grouping line, not to a place (市辖区: a city's districts).
_GROUPINGS = frozenset({"市辖区", "县", "省直辖县级行政单位", "省直辖行政单位"})

# An ending a writer may leave off: 广西壮族自治区 is 广西, 北京市 is 北京.
_ENDING = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市|地区|盟)$")
_SEPARATORS = re.compile(r"[\s/\\|,，、·\-]+")


def _forms(code: str) -> frozenset[str]:
    """The ways a text may name the region ``code`` as a parent (its name, its short name)."""
    r = region(code)
    if r is None:
        return frozenset()
    short = _ENDING.sub("", r.name)
    return frozenset({r.name, short} if len(short) >= 2 else {r.name})


@cache
def _parent_texts(code: str) -> dict[str, int]:
    """Every prefix that names parents of ``code`` (province, then city, each optional), with
    how many of its parents that are places the prefix leaves unnamed."""
    texts = {"": 0}
    for parent in dict.fromkeys((code[:2] + "0000", code[:4] + "00")):
        if parent == code:
            break
        r = region(parent)
        forms = set(_forms(parent))
        if r is not None and r.name == "市辖区":  # 北京市北京市东城区
            forms |= _forms(code[:2] + "0000")
        left_out = int(r is not None and r.name not in _GROUPINGS)
        longer: dict[str, int] = {}
        for text, unnamed in texts.items():
            for named, missing in [(text + f, unnamed) for f in forms] + [
                (text, unnamed + left_out)
            ]:
                longer[named] = min(missing, longer.get(named, missing))
        texts = longer
    return texts


@cache
def _codes_by_name() -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for code in sorted(region_codes()):
        r = region(code)
        if r is not None and r.name not in _GROUPINGS:
            names.setdefault(r.name, []).append(code)
    return {name: tuple(codes) for name, codes in names.items()}


def _in_force(code: str) -> bool:
    r = region(code)
    return r is not None and r.in_force


def _districts_line(code: str) -> bool:
    """``code`` is the 市辖区 line (xxxx01) of a prefecture-level city."""
    city = region(code[:4] + "00")
    return code[4:] == "01" and city is not None and city.name not in _GROUPINGS


def _pick(fitting: dict[str, int], *, bare: bool) -> str | None:
    if bare:
        pick = [c for c in fitting if _in_force(c)]
    else:
        fewest = min(fitting.values())
        pick = [c for c, unnamed in fitting.items() if unnamed == fewest]
        pick = [c for c in pick if _in_force(c)] or pick
    if len(pick) > 1:
        cities = Counter(c[:4] for c in pick)
        pick = [c for c in pick if not (_districts_line(c) and cities[c[:4]] > 1)]
    return pick[0] if len(pick) == 1 else None


def region_by_name(text: str) -> str | None:
    """The GB/T 2260 code a region name names, or None when it names none or several.

    >>> region_by_name("浙江杭州西湖区"), region_by_name("西湖区")
    ('330106', None)
    """
    text = _SEPARATORS.sub("", text)
    names = _codes_by_name()
    # The longest listed name the text ends with first: 市郊区 before 郊区.
    for start in range(len(text)):
        codes = names.get(text[start:])
        if not codes:
            continue
        prefix = text[:start]
        fitting = {c: _parent_texts(c)[prefix] for c in codes if prefix in _parent_texts(c)}
        if fitting:
            code = _pick(fitting, bare=not prefix)
            if code is not None:
                return code
    return None
