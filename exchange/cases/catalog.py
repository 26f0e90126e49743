"""Service items (政务服务事项) as data: what a case is for, who handles it, how long it
may take, and which materials an applicant may be asked for.

Every caller goes through :func:`service_items`; the catalog it reads is one YAML file
today (``service_items.yaml`` beside this module).

    >>> item = service_items()["330100-XK-0001"]
    >>> item.name, item.time_limit_days, item.yellow_threshold()
    ('食品经营许可', 10, 2.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from tongban.errors import FatalError

__all__ = ["CATEGORIES", "Material", "ServiceItem", "load_service_items", "service_items"]

CATEGORIES = (
    "行政许可", "行政征收", "行政给付", "行政确认", "行政处罚", "行政奖励",
    "行政强制", "行政检查", "行政裁决", "其他权力", "公共服务",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Material:
    """A material (申请材料); ``evidence`` names the shared data that stands in for it."""

    name: str
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceItem:
    code: str
    name: str
    category: str
    department: str
    time_limit_days: int
    materials: tuple[Material, ...]
    yellow_days: float | None = None

    def yellow_threshold(self) -> float:
        """Remaining working days at or under which a yellow card is raised."""
        if self.yellow_days is not None:
            return self.yellow_days
        return max(1.0, 0.2 * self.time_limit_days)

    def material_names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.materials)

    def proofs_spared(self) -> int:
        """Materials the hub holds, which an applicant need not bring (免提交)."""
        return sum(1 for m in self.materials if m.evidence)


def _item(raw: Mapping[str, Any], where: str) -> ServiceItem:
    try:
        item = ServiceItem(
            code=str(raw["code"]),
            name=str(raw["name"]),
            category=str(raw["category"]),
            department=str(raw["department"]),
            time_limit_days=int(raw["time_limit_days"]),
            materials=tuple(
                Material(str(m["name"]), m.get("evidence")) for m in raw.get("materials") or ()
            ),
            yellow_days=None if raw.get("yellow_days") is None else float(raw["yellow_days"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FatalError(
            f"{where}: service item {raw.get('code')!r}: bad or missing {exc}"
        ) from None
    if item.category not in CATEGORIES:
        raise FatalError(f"{where}: service item {item.code}: unknown category {item.category}")
    if item.time_limit_days < 1:
        raise FatalError(f"{where}: service item {item.code}: time_limit_days must be >= 1")
    return item


def load_service_items(text: str, where: str = "catalog") -> dict[str, ServiceItem]:
    """Parse a YAML catalog (``items: [...]``) into items by code."""
    data = yaml.safe_load(text) or {}
    items = [_item(raw, where) for raw in data.get("items") or ()]
    return {i.code: i for i in items}


@cache
def service_items() -> Mapping[str, ServiceItem]:
    """Every known service item, by code (事项编码)."""
    path = resources.files("exchange.cases").joinpath("service_items.yaml")
    return load_service_items(path.read_text(encoding="utf-8"), str(path))
