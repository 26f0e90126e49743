"""One source: the system it reads (transport), the entity it feeds and how its
fields map, the records of other entities inside each record, and how it is scheduled."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator

from connectors.definition._base import _Strict
from connectors.definition._fields import (
    EntityName,
    FieldMapping,
    check_mapping,
    fields_of_mapping,
)
from connectors.definition._transport import Transport
from tongban.entities import ENTITIES


class ChildRecords(_Strict):
    """Records of another entity found inside each source record (the holders of a
    license as people): one per element at ``each``, mapped relative to the element
    (``$parent.<path>`` reads the parent record). A child's record id is
    ``<parent id>/<child id>``; its change time and cursor are its parent's."""

    entity: EntityName
    each: str = Field(..., description="path to the repeated elements, relative to the record")
    where: dict[str, str | int] | None = Field(
        None, description="keep only elements whose field (a path) equals the value"
    )
    record_id: str = Field(..., description="path in the element identifying it in its parent")
    mapping: dict[str, str | FieldMapping]

    @model_validator(mode="after")
    def _mapping_fits_entity(self) -> ChildRecords:
        from connectors.paths import parse_path

        for key, path in (("each", self.each), ("record_id", self.record_id),
                          *((f"where.{k}", k) for k in self.where or {})):  # fmt: skip
            try:
                parse_path(path)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        check_mapping(self.entity, self.mapping, self.fields())
        return self

    def fields(self) -> dict[str, FieldMapping]:
        return fields_of_mapping(self.mapping)


class Quality(_Strict):
    """Batch gate thresholds for this source (used by the data-quality step)."""

    min_success_ratio: float = Field(0.5, ge=0, le=1)
    max_null_share: dict[str, float] = Field(default_factory=dict)


class SourceDefinition(_Strict):
    name: str = Field(..., pattern=r"^[a-z][a-z0-9_]{1,59}$")
    title: str
    department: str
    entity: EntityName
    transport: Transport
    record_id: str | None = Field(
        None, description="source field identifying a record (files: always <file>:<line>)"
    )
    mapping: dict[str, str | FieldMapping]
    schedule: str | None = Field(None, description="cron expression for the scheduler")
    owner: str = Field("data-engineering", description="who answers for the source's runs")
    retries: int = Field(2, ge=0, le=20, description="a failed scheduled run is retried so often")
    timeout: int = Field(3600, gt=0, description="seconds a scheduled run may take")
    partitions: int = Field(
        1, ge=1, le=64,
        description="parallel partitions of a scheduled run, split by a hash of the key",
    )  # fmt: skip
    quality: Quality = Field(default=Quality())
    children: list[ChildRecords] = Field(
        default_factory=list, description="records of other entities inside each record"
    )
    path: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _mapping_fits_entity(self) -> SourceDefinition:
        spec = ENTITIES[self.entity]
        check_mapping(self.entity, self.mapping, self.fields())
        key_sources = {spec.key} | (
            {"license_type_code", "license_number"} if self.entity == "license" else set()
        )
        if not key_sources & set(self.mapping):
            raise ValueError(f"mapping must give the {self.entity} key {spec.key!r}")
        if self.record_id is None and self.transport.kind != "files":
            raise ValueError("record_id: give the source field that identifies a record")
        return self

    def fields(self) -> dict[str, FieldMapping]:
        return fields_of_mapping(self.mapping)

    def fields_of(self, entity: str) -> dict[str, FieldMapping] | None:
        """The mapping of this source's records of ``entity``: its own, or that of the
        first of its ``children`` of that entity (None: it has none)."""
        if entity == self.entity:
            return self.fields()
        child = next((c for c in self.children if c.entity == entity), None)
        return child.fields() if child is not None else None

    @cached_property
    def key_field(self) -> str:
        return ENTITIES[self.entity].key
