"""The share catalog and the service-item catalog, both data (YAML), checked on load.

    >>> share = load_share_catalog()
    >>> share.resource("marriage").share, share.resource("person").fields["id_number"].mask
    ('conditional', 'id_number')
    >>> items = load_items(share)
    >>> items.get("11110000RS0201").category
    '行政给付'

A bad catalog is refused with the file and the key at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tongban.errors import FatalError

__all__ = [
    "CATEGORIES",
    "SHARE_CLASSES",
    "FieldRule",
    "ItemCatalog",
    "Material",
    "Resource",
    "ServiceItem",
    "ShareCatalog",
    "load_items",
    "load_share_catalog",
]

SHARE_CLASSES = ("unconditional", "conditional", "not_shared")
CATEGORIES = (
    "行政许可",
    "行政征收",
    "行政给付",
    "行政确认",
    "行政处罚",
    "行政奖励",
    "行政强制",
    "行政检查",
    "行政裁决",
    "其他权力",
    "公共服务",
)
MASKS = ("id_number", "phone", "holders")


@dataclass(frozen=True, slots=True)
class FieldRule:
    name: str
    share: str
    mask: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """A shared resource: one department's view of an entity, field by field."""

    name: str
    title: str
    department: str
    entity: str
    share: str
    fields: Mapping[str, FieldRule]
    source: str | None = None  # the source system whose data this resource is
    match: str | None = None  # a column naming the subject: the resource is every such row

    def conditional_fields(self) -> tuple[str, ...]:
        return tuple(f for f, r in self.fields.items() if r.share == "conditional")


@dataclass(frozen=True)
class ShareCatalog:
    resources: Mapping[str, Resource]

    def resource(self, name: str) -> Resource:
        found = self.resources.get(name)
        if found is None:
            raise KeyError(name)
        return found


@dataclass(frozen=True, slots=True)
class Material:
    """An application material (申请材料) and where the hub finds it, if it can."""

    code: str
    name: str
    resource: str | None = None
    license_type: str | None = None
    fields: tuple[str, ...] = ()

    @property
    def supplied_by_hub(self) -> bool:
        return self.resource is not None or self.license_type is not None


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """A service item (政务服务事项) with its promised time limit in working days."""

    code: str
    name: str
    category: str
    department: str
    time_limit_days: int
    applicant: str  # person or enterprise
    materials: tuple[Material, ...]


@dataclass(frozen=True)
class ItemCatalog:
    items: Mapping[str, ServiceItem]

    def get(self, code: str) -> ServiceItem | None:
        return self.items.get(code)


def _bundled(name: str) -> Path:
    return Path(str(resources.files("exchange").joinpath(name)))


def _read(path: Path, top: str) -> Any:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FatalError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(top), dict | list):
        raise FatalError(f"{path}: expected a top-level `{top}`")
    return data[top]


def load_share_catalog(path: Path | None = None) -> ShareCatalog:
    path = path or _bundled("share_catalog.yaml")
    found: dict[str, Resource] = {}
    for name, spec in _read(path, "resources").items():
        where = f"{path}: resources.{name}"
        if not isinstance(spec, dict):
            raise FatalError(f"{where}: expected a mapping")
        share = spec.get("share")
        if share not in SHARE_CLASSES:
            raise FatalError(f"{where}.share: {share!r} is not one of {SHARE_CLASSES}")
        fields: dict[str, FieldRule] = {}
        for field, rule in (spec.get("fields") or {}).items():
            rule = {"share": rule} if isinstance(rule, str) else rule
            if not isinstance(rule, dict) or rule.get("share") not in SHARE_CLASSES:
                raise FatalError(f"{where}.fields.{field}: share must be one of {SHARE_CLASSES}")
            if rule.get("mask") not in (None, *MASKS):
                raise FatalError(f"{where}.fields.{field}.mask: one of {MASKS}")
            share_f = rule["share"]
            if SHARE_CLASSES.index(share_f) < SHARE_CLASSES.index(share):
                share_f = share  # a field is never more open than its resource
            fields[field] = FieldRule(field, share_f, rule.get("mask"))
        missing = [k for k in ("title", "department", "entity") if not spec.get(k)]
        if missing or not fields:
            raise FatalError(f"{where}: needs {', '.join(missing) or 'fields'}")
        found[name] = Resource(
            name,
            spec["title"],
            spec["department"],
            spec["entity"],
            share,
            fields,
            spec.get("source"),
            spec.get("match"),
        )
    return ShareCatalog(found)


def load_items(share: ShareCatalog, path: Path | None = None) -> ItemCatalog:
    path = path or _bundled("service_items.yaml")
    found: dict[str, ServiceItem] = {}
    for i, spec in enumerate(_read(path, "items")):
        where = f"{path}: items[{i}]"
        try:
            code, name, category = str(spec["code"]), spec["name"], spec["category"]
            department, limit = spec["department"], int(spec["time_limit_days"])
            applicant = spec["applicant"]
        except (KeyError, TypeError, ValueError) as exc:
            raise FatalError(f"{where}: missing or bad {exc}") from None
        if category not in CATEGORIES:
            raise FatalError(f"{where}.category: {category!r} is not one of the 10+1 categories")
        if applicant not in ("person", "enterprise") or limit < 1 or code in found:
            raise FatalError(f"{where}: applicant person/enterprise, time limit >= 1, unique code")
        materials = tuple(
            _material(m, share, f"{where}.materials[{j}]")
            for j, m in enumerate(spec.get("materials") or [])
        )
        found[code] = ServiceItem(code, name, category, department, limit, applicant, materials)
    return ItemCatalog(found)


def _material(spec: Any, share: ShareCatalog, where: str) -> Material:
    if not isinstance(spec, dict) or not spec.get("code") or not spec.get("name"):
        raise FatalError(f"{where}: a material needs a code and a name")
    resource = spec.get("resource")
    fields = tuple(spec.get("fields") or ())
    if resource is not None:
        if resource not in share.resources:
            raise FatalError(f"{where}.resource: {resource!r} is not in the share catalog")
        unknown = set(fields) - set(share.resources[resource].fields)
        if unknown or not fields:
            raise FatalError(
                f"{where}.fields: name fields of {resource}; unknown {sorted(unknown)}"
            )
    return Material(spec["code"], spec["name"], resource, spec.get("license_type"), fields)
