"""The canonical model: people, enterprises and licenses, and how raw records become them.

Each entity has one rule (``tongban.rules``), written over a batch's columns:
``Entity.normalize_batch`` turns a :class:`~tongban.batch.Batch` whose fields are
canonical field names (the source mappings rename fields before this) into clean values,
and fails each record that breaks a rule with a :class:`~tongban.errors.RecordError`
naming it. ``Entity.normalize`` is the same rule for one record.

    >>> PERSON.normalize({"id_number": "110105491231002", "name": " 张三 "})["birth_date"]
    datetime.date(1949, 12, 31)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Table

from tongban.batch import Batch
from tongban.errors import RecordError
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck
from tongban.rules import Columns, Errors, clean_enterprises, clean_licenses, clean_people
from tongban.rules.license import HOLDER_CITIZEN, HOLDER_ENTERPRISE
from tongban.store import schema

__all__ = [
    "ENTERPRISE",
    "ENTITIES",
    "HOLDER_CITIZEN",
    "HOLDER_ENTERPRISE",
    "LICENSE",
    "PERSON",
    "Entity",
    "entity",
]

Record = dict[str, Any]
Rule = Callable[[Mapping[str, list[Any]], int, RegionCheck, Errors], Columns]
"""An entity's rule over ``n`` records held as columns: the clean columns; each record's
failure into the errors (first rule broken first)."""


@dataclass(frozen=True, eq=False)
class Entity:
    name: str
    table: Table
    key: str
    fields: tuple[str, ...]
    rule: Rule

    def normalize_batch(
        self, batch: Batch, *, region_check: RegionCheck = DEFAULT_REGION_CHECK
    ) -> Batch:
        """The batch's records normalized: the entity's fields, clean, and by row the
        error of each record that broke a rule (a record that failed before keeps its
        error and is not judged again; its values then mean nothing)."""
        errors = Errors(batch.errors)
        inputs = self.inputs
        cols = {f: batch.column(f) for f in batch.fields if f in inputs}
        for f in batch.fields:
            if f not in inputs:
                for i, value in enumerate(batch.column(f)):
                    if value is not None:
                        errors.fail(i, self._unknown([f]))
        return batch.with_columns(self.rule(cols, len(batch), region_check, errors), errors)

    def normalize(
        self, raw: Mapping[str, Any], *, region_check: RegionCheck = DEFAULT_REGION_CHECK
    ) -> Record:
        """One record normalized (:meth:`normalize_batch` of a batch of one), or the
        :class:`RecordError` of the rule it broke."""
        if not self.inputs.issuperset(raw):
            raise self._unknown(set(raw) - self.inputs)
        done = self.normalize_batch(Batch.from_records([(None, raw)]), region_check=region_check)
        if done.errors:
            raise done.errors[0]
        return done.row(0)

    def batch_of(
        self,
        records: Sequence[tuple[str | None, Mapping[str, Any]]],
        errors: Mapping[int, RecordError] | None = None,
    ) -> Batch:
        """Records already in this entity's field names as a batch; a record with a
        field the entity lacks fails ``<entity>.unknown_field``."""
        failed = Errors(errors or {})
        inputs = self.inputs
        for i, (_, record) in enumerate(records):
            if not inputs.issuperset(record):
                failed.fail(i, self._unknown(set(record) - inputs))
        return Batch.from_records(records, failed)

    def _unknown(self, unknown: Any) -> RecordError:
        return RecordError(
            f"{self.name}.unknown_field",
            f"fields {sorted(unknown)} are not part of the {self.name} model",
        )

    @cached_property
    def inputs(self) -> frozenset[str]:
        """Field names a raw record may carry."""
        return frozenset((self.key, *self.fields, *_DERIVED_INPUTS.get(self.name, ())))


_DERIVED_INPUTS = {"license": {"license_key"}}


def _fields(table: Table, key: str) -> tuple[str, ...]:
    fields = schema.golden_fields(table)
    assert key not in fields and key in table.c, f"{key} must be the key of {table.name}"
    return fields


PERSON = Entity(
    "person", schema.person, "id_number", _fields(schema.person, "id_number"), clean_people
)
ENTERPRISE = Entity(
    "enterprise", schema.enterprise, "credit_code", _fields(schema.enterprise, "credit_code"),
    clean_enterprises,
)  # fmt: skip
LICENSE = Entity(
    "license", schema.license, "license_key", _fields(schema.license, "license_key"),
    clean_licenses,
)  # fmt: skip
ENTITIES: dict[str, Entity] = {e.name: e for e in (PERSON, ENTERPRISE, LICENSE)}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise ValueError(f"unknown entity {name!r}; expected one of {sorted(ENTITIES)}") from None
