"""Service items (政务服务事项) as the case code needs them: the limit, who applies, the
materials and which of them the hub supplies, and the yellow-card threshold.

The items are the exchange's own catalog (:func:`exchange.catalog.load_items`, from
``exchange/service_items.yaml``); every caller here goes through :func:`service_items`.
Per-item yellow thresholds are in ``yellow_days.yaml`` beside this module.

    >>> item = service_items()["11110000RS0201"]
    >>> item.name, item.time_limit_days, item.yellow_threshold(), item.applicant
    ('生育津贴申领', 10, 2.0, 'person')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from tongban.errors import FatalError

__all__ = ["Material", "ServiceItem", "service_items"]


@dataclass(frozen=True, slots=True)
class Material:
    """A material (申请材料); ``evidence`` names the shared data or e-license type that
    stands in for it, when the hub holds it."""

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
    applicant: str | None = None
    """``person`` (ID number) or ``enterprise`` (credit code); None: either."""

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


def _yellow_days() -> dict[str, float]:
    path = resources.files("exchange.cases").joinpath("yellow_days.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return {str(code): float(days) for code, days in data.items()}
    except (AttributeError, TypeError, ValueError):
        raise FatalError(f"{path}: expected item code: working days") from None


@cache
def service_items() -> Mapping[str, ServiceItem]:
    """Every known service item, by code (事项编码)."""
    from exchange.catalog import load_items, load_share_catalog

    yellow = _yellow_days()
    return {
        code: ServiceItem(
            code=code,
            name=item.name,
            category=item.category,
            department=item.department,
            time_limit_days=item.time_limit_days,
            materials=tuple(Material(m.name, m.resource or m.license_type) for m in item.materials),
            yellow_days=yellow.get(code),
            applicant=item.applicant,
        )
        for code, item in load_items(load_share_catalog()).items.items()
    }
