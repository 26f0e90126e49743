"""GB/T 36903 (电子证照 元数据规范) element names for the vault's e-license data.

The JWS payload keeps the vault's own field names (what the code and the API use) and
carries the same values under the standard's metadata element names beside them, in
``"gbt36903"``; this table is the documented mapping, one line an element.

    >>> gbt36903({"license_number": "J110105-2024-000123", ...})["证照编号"]
    'J110105-2024-000123'
"""

from __future__ import annotations

from typing import Any

__all__ = ["GBT36903", "KEY", "gbt36903"]

KEY = "gbt36903"

GBT36903: tuple[tuple[str, str], ...] = (
    ("identifier", "证照标识"),
    ("license_type_name", "证照类型名称"),
    ("license_type_code", "证照类型代码"),
    ("license_number", "证照编号"),
    ("holder_name", "持证主体"),
    ("holder_id", "持证主体代码"),
    ("holder_id_type", "持证主体代码类型"),
    ("issuer_name", "证照颁发机构"),
    ("issuer_code", "证照颁发机构代码"),
    ("issue_date", "证照颁发日期"),
    ("valid_from", "证照有效期起始日期"),
    ("valid_until", "证照有效期截止日期"),
    ("jurisdiction_code", "证照所属行政区划代码"),
    ("fields", "证照照面信息"),
    ("holders", "持证主体列表"),  # several holders (共有), each with its ID type
)
"""(the vault's field, the GB/T 36903 metadata element)."""


def gbt36903(data: dict[str, Any]) -> dict[str, Any]:
    """The values of ``data`` under the GB/T 36903 element names (absent ones omitted)."""
    return {element: data[name] for name, element in GBT36903 if data.get(name) is not None}
