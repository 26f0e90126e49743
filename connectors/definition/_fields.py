"""How a system's fields map to the canonical model (``mapping:``): a field from a
source path with transforms, a constant, a structure of several fields, or a list of
structures; and the check that a mapping fits its entity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from connectors.definition._base import _Strict
from tongban.entities import ENTITIES


def _known_entity(value: str) -> str:
    if value not in ENTITIES:
        raise ValueError(f"unknown entity {value!r}; expected one of {sorted(ENTITIES)}")
    return value


EntityName = Annotated[str, AfterValidator(_known_entity)]
"""The name of one of the canonical entities (person, enterprise, license, ...)."""


class FieldMapping(_Strict):
    source: str | None = Field(None, alias="from", description="source field; None: constant")
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    value: Any = Field(None, description="constant value when there is no source field")
    fields: dict[str, str | FieldMapping] | None = Field(
        None,
        description="a structured value built from several source fields, each mapped as a"
        " field is (a license's type-specific fields: 坐落, 用途, 面积)",
    )
    each: str | None = Field(
        None,
        description="path to repeated elements (QLRLIST.QLR[*]): a list of structures, one"
        " per element, its `fields` read relative to the element (a license's holders)",
    )

    @model_validator(mode="after")
    def _source_or_value(self) -> FieldMapping:
        given = [k for k in ("source", "value", "fields") if getattr(self, k) is not None]
        if not given:
            raise ValueError(
                "give `from` (a source field), `value` (a constant) or `fields` (a structure)"
            )
        if self.fields is not None and (len(given) > 1 or self.transforms):
            raise ValueError("`fields` builds a structure: give it alone, transforms inside")
        if self.each is not None and self.fields is None:
            raise ValueError("`each` builds a list of structures: give their `fields`")
        return self

    def parts(self) -> dict[str, FieldMapping]:
        """The mappings of a structure's fields."""
        return fields_of_mapping(self.fields or {})


def fields_of_mapping(mapping: Mapping[str, str | FieldMapping]) -> dict[str, FieldMapping]:
    """Each target's mapping, a bare source path (``xm``) read as ``{from: xm}``."""
    return {
        target: FieldMapping.model_validate({"from": m}) if isinstance(m, str) else m
        for target, m in mapping.items()
    }


LIST_FIELDS: dict[str, frozenset[str]] = {"license": frozenset({"holders"})}
"""Targets holding a list, by entity: only these take ``each`` or a ``from`` with [*]."""


def _many(path: str | None) -> bool:
    from connectors.paths import parse_path, selects_many

    if path is None or ("." not in path and "[" not in path):
        return False
    try:
        return selects_many(parse_path(path))
    except ValueError:
        return False  # a malformed path: compile_mapping names it


def check_mapping(
    entity: str, mapping: Mapping[str, Any], fields: Mapping[str, FieldMapping]
) -> None:
    """The targets are the entity's fields, and only its list fields read several values;
    compiling checks transforms and paths."""
    from connectors.transforms import compile_mapping

    spec = ENTITIES[entity]
    allowed = {spec.key, *spec.fields}
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(
            f"mapping targets {unknown} are not fields of {entity}; fields: {sorted(allowed)}"
        )
    lists = LIST_FIELDS.get(entity, frozenset())
    for target, m in fields.items():
        if target in lists:
            if m.fields is not None and m.each is None:
                raise ValueError(f"{target}: a list: give `each` (the path to its items)")
            if m.each is None and m.source is not None and not _many(m.source):
                raise ValueError(f"{target}: a list: `from` needs a path with [*]")
        elif m.each is not None:
            raise ValueError(
                f"{target}: takes one value, not a list (`each`); list fields of {entity}:"
                f" {sorted(lists) or 'none'}"
            )
        elif _many(m.source):
            raise ValueError(
                f"{target}: from {m.source!r} selects every item of a list ([*]), but"
                f" {target} takes one value (name an item, [0]; list fields of {entity}:"
                f" {sorted(lists) or 'none'})"
            )
        for name, part in m.parts().items():
            if _many(part.source) or part.each is not None:
                raise ValueError(
                    f"{target}: {target}.{name}: from {part.source!r} selects every item of"
                    " a list ([*]), but a structure's field takes one value"
                )
    compile_mapping(fields)  # unknown transforms, bad arguments and bad paths fail here
