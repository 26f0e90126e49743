"""Administrative division codes (GB/T 2260), every code listed since 1980.

An ID number keeps the region code in force when it was issued, and many counties have
since been merged or renamed, so checks use the whole history, never today's list alone.

    >>> region("110103").name, region("110103").in_force
    ('崇文区', False)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["PROVINCES", "Region", "is_known_region", "province_code", "region", "region_codes"]

# The 34 province-level prefixes (GB/T 2260 first two digits).
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省",
    "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    first_year: int | None
    last_year: int | None

    @property
    def in_force(self) -> bool:
        return self.last_year is None

    @property
    def province(self) -> str:
        return PROVINCES.get(self.code[:2], "")


@cache
def _table() -> dict[str, Region]:
    table: dict[str, Region] = {}
    with resources.files("tongban.data").joinpath("gbt2260.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table[row["code"]] = Region(
                row["code"],
                row["name"],
                int(row["first_year"]) if row["first_year"] else None,
                int(row["last_year"]) if row["last_year"] else None,
            )
    return table


@cache
def region_codes() -> frozenset[str]:
    """Every region code GB/T 2260 has listed since 1980."""
    return frozenset(_table())


def region(code: str) -> Region | None:
    """The region with this code, current or historical; None when never listed."""
    return _table().get(code)


def is_known_region(code: str) -> bool:
    return code in region_codes()


def province_code(code: str) -> str | None:
    """The province-level code (``XX0000``) of a region code, if the prefix is valid."""
    return code[:2] + "0000" if code[:2] in PROVINCES else None
