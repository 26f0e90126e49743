"""The license type catalog (电子证照目录, GB/T 36902), read from ``catalog.yaml``.

    >>> catalog = load_catalog()
    >>> catalog.get("11100000000013127D001").name
    '营业执照'

A record whose type code is not in the catalog is refused with the rule
``license.type_unknown``; a holder of the wrong kind with ``license.holder_type``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from tongban.errors import FatalError, RecordError
from tongban.identifiers import check_credit_code

__all__ = ["Catalog", "FieldSpec", "LicenseType", "load_catalog"]

HolderType = Literal["enterprise", "citizen", "any"]
IssuingLevel = Literal["national", "province", "city", "county"]
# GB/T 36901-36905 holder ID types: 001 credit code, 111 citizen ID number.
_HOLDER_ID_TYPES: dict[str, tuple[str, ...]] = {
    "enterprise": ("001",),
    "citizen": ("111",),
    "any": ("001", "111"),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One type-specific field: its key in the record's ``fields`` and its printed label."""

    name: str
    label: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class LicenseType:
    """A catalog entry: 证照类型代码, 名称, 颁发层级, 持证主体类型 and its fields."""

    code: str
    name: str
    name_en: str
    definer: str
    issuing_level: IssuingLevel
    holder_type: HolderType
    fields: tuple[FieldSpec, ...]

    @property
    def definer_code(self) -> str:
        """The defining authority's credit code: the first 18 characters of the type code."""
        return self.code[:18]

    def check_record(self, record: Mapping[str, Any]) -> None:
        """Refuse a license record that does not fit this type, naming the rule it broke."""
        key = record.get("license_key")
        holder_id_type = record.get("holder_id_type")
        if holder_id_type not in _HOLDER_ID_TYPES[self.holder_type]:
            raise RecordError(
                "license.holder_type",
                f"license {key}: a {self.name} is held by {self.holder_type} holders"
                f" (holder ID type {'/'.join(_HOLDER_ID_TYPES[self.holder_type])}),"
                f" not holder ID type {holder_id_type!r}",
                value=holder_id_type,
                field="holder_id_type",
            )
        fields = record.get("fields") or {}
        for spec in self.fields:
            if spec.required and fields.get(spec.name) in (None, ""):
                raise RecordError(
                    "license.field_missing",
                    f"license {key}: a {self.name} needs the field {spec.name} ({spec.label})",
                    field=f"fields.{spec.name}",
                )


class Catalog:
    """All license types by code."""

    def __init__(self, types: Mapping[str, LicenseType]):
        self._types = dict(types)

    def __iter__(self) -> Iterator[LicenseType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, code: object) -> bool:
        return code in self._types

    def get(self, code: str | None, *, license_key: str | None = None) -> LicenseType:
        found = self._types.get(code or "")
        if found is None:
            what = f"license {license_key}: " if license_key else ""
            raise RecordError(
                "license.type_unknown",
                f"{what}license type code {code!r} is not in the catalog; known types: "
                + ", ".join(f"{t.code} {t.name}" for t in self._types.values()),
                value=code,
                field="license_type_code",
            )
        return found

    def by_name(self, name: str) -> LicenseType:
        for t in self._types.values():
            if name in (t.name, t.name_en):
                return t
        raise KeyError(name)

    @classmethod
    def from_yaml(cls, path: Path) -> Catalog:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            entries = data["types"]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise FatalError(f"license catalog {path}: cannot read it: {exc}") from None
        types: dict[str, LicenseType] = {}
        for n, entry in enumerate(entries, 1):
            t = _parse_entry(path, n, entry)
            if t.code in types:
                raise FatalError(f"license catalog {path}: type code {t.code} appears twice")
            types[t.code] = t
        return cls(types)


def _parse_entry(path: Path, n: int, entry: Mapping[str, Any]) -> LicenseType:
    where = f"license catalog {path}, entry {n}"
    try:
        code = str(entry["code"])
        if len(code) != 21 or not code[18:].isdigit():
            raise ValueError(f"type code {code!r} is not 18-char credit code + 3 digits")
        try:
            check_credit_code(code[:18])
        except RecordError as exc:
            raise ValueError(f"type code {code!r}: definer code: {exc.message}") from None
        holder_type = entry["holder_type"]
        if holder_type not in _HOLDER_ID_TYPES:
            raise ValueError(f"holder_type {holder_type!r} is not one of {list(_HOLDER_ID_TYPES)}")
        level = entry["issuing_level"]
        if level not in ("national", "province", "city", "county"):
            raise ValueError(f"issuing_level {level!r} is unknown")
        fields = tuple(
            FieldSpec(str(f["name"]), str(f["label"]), bool(f.get("required", False)))
            for f in entry.get("fields") or ()
        )
        return LicenseType(
            code=code,
            name=str(entry["name"]),
            name_en=str(entry.get("name_en", "")),
            definer=str(entry["definer"]),
            issuing_level=level,
            holder_type=holder_type,
            fields=fields,
        )
    except KeyError as exc:
        raise FatalError(f"{where}: missing key {exc}") from None
    except ValueError as exc:
        raise FatalError(f"{where}: {exc}") from None


@cache
def load_catalog(path: Path | None = None) -> Catalog:
    """The bundled catalog, or the one at ``path``."""
    if path is not None:
        return Catalog.from_yaml(path)
    with resources.as_file(resources.files("license_vault").joinpath("catalog.yaml")) as p:
        return Catalog.from_yaml(p)
