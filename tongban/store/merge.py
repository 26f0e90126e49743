"""Merge rules and the pure merge of normalized records into golden records.

Nothing here touches the database: :func:`plan_merge` takes the golden rows as they are
stored and a batch of records, and returns what to write. The store applies the plan in
one transaction, which keeps the rules testable and the writes batched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Incoming",
    "MergePlan",
    "MergeRules",
    "compact_provenance",
    "conflict_fingerprint",
    "expand_provenance",
    "jsonable",
    "plan_merge",
    "sole_source",
    "unchanged",
]

Row = dict[str, Any]


@dataclass(frozen=True)
class MergeRules:
    source_priority: Mapping[str, int] = field(default_factory=dict)
    authoritative: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> MergeRules:
        """Read rules from ``path``, or the defaults shipped with tongban."""
        if path is None:
            text = resources.files("tongban.data").joinpath("merge_rules.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = yaml.safe_load(text) or {}
        unknown = set(data) - {"source_priority", "authoritative"}
        if unknown:
            raise ValueError(f"merge rules: unknown keys {sorted(unknown)}")
        return cls(data.get("source_priority", {}), data.get("authoritative", {}))

    def rank(self, entity: str, field_name: str, source: str | None) -> tuple[int, int]:
        """Higher ranks win. Listed authorities outrank every unlisted source."""
        if source is None:
            return (-1, 0)
        order = self.authoritative.get(entity, {}).get(field_name)
        if order and source in order:
            return (len(order) - order.index(source), 0)
        return (0, self.source_priority.get(source, 0))


@dataclass(frozen=True, slots=True)
class Incoming:
    """One normalized record and where it came from (and, for a record a reviewer
    corrected in quarantine, the correction: who, why, which fields)."""

    record: Row
    source: str
    source_record: str | None
    correction: Mapping[str, Any] | None = None


@dataclass
class MergePlan:
    inserts: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    versions: list[Row] = field(default_factory=list)
    conflicts: list[Row] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def jsonable(value: Any) -> Any:
    """A value as it is kept in JSON history: dates ISO, decimals as normalized strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def compact_provenance(
    provenance: Mapping[str, Row], row: Mapping[str, Any] | None = None, fields: Iterable[str] = ()
) -> Row:
    """The stored form: each distinct origin once, and each field pointing at one.

    ``{"origins": [{"source", "record", "run", "at"}, ...], "fields": {field: index}}``;
    a record loaded from one source row keeps one origin instead of one per field.

    Given the golden ``row`` and the entity's ``fields``, a record whose every field with
    a value came from one origin is stored as ``{"origins": [origin]}`` alone: the field
    map is implied by the row (most records, and every newly inserted one). The document
    is a third of the size, and PostgreSQL parses JSONB in proportion to it.
    """
    origins: list[Row] = []
    index: dict[int, int] = {}
    mapping: dict[str, int] = {}
    for name, origin in provenance.items():
        i = index.get(id(origin))
        if i is None:
            i = index[id(origin)] = len(origins)
            origins.append(origin)
        mapping[name] = i
    if (
        row is not None
        and len(origins) == 1
        and mapping.keys() == {f for f in fields if row.get(f) is not None}
    ):
        return {"origins": origins}
    return {"origins": origins, "fields": mapping}


def expand_provenance(
    stored: Mapping[str, Any], row: Mapping[str, Any] | None = None, fields: Iterable[str] = ()
) -> dict[str, Row]:
    """Per-field provenance from the stored form (the form readers and merges use).

    The short form (one origin, no field map) needs the golden ``row`` and the entity's
    ``fields``: every field with a value came from that origin."""
    if "origins" not in stored:
        return dict(stored)
    origins = stored["origins"]
    mapping = stored.get("fields")
    if mapping is None:
        if row is None:
            raise ValueError("provenance without a field map is read with its golden row")
        (origin,) = origins
        return {f: origin for f in fields if row.get(f) is not None}
    return {name: origins[i] for name, i in mapping.items()}


def _same(a: Any, b: Any) -> bool:
    if a.__class__ is b.__class__:  # Decimal == Decimal compares values, 1.0 equals 1.00
        return bool(a == b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    return bool(a == b)


def conflict_fingerprint(
    entity: str, key: str, field_name: str, *sides: tuple[str | None, str | None]
) -> str:
    """One disagreement's identity: the record, the field, and the two sides, each a
    source and the value it offered (as stored, :func:`_text`), in either order. Which
    side was held when it was met is left out: met again the other way round (the same
    batch sent again finds the winner held), it is the same disagreement, one row."""
    ordered = sorted(json.dumps(list(side), ensure_ascii=False) for side in sides)
    text = json.dumps([entity, key, field_name, *ordered], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_merge(
    entity: str,
    key: str,
    fields: Iterable[str],
    stored: Mapping[str, Row],
    batch: Iterable[Incoming],
    rules: MergeRules,
    *,
    run_id: str,
    now: datetime,
) -> MergePlan:
    """Decide, field by field, what each incoming record changes in its golden record.

    ``stored`` maps keys to golden rows as read from the store (with ``version``,
    ``provenance`` and ``updated_at``). Records with the same key in one batch are applied
    in order (a source's later record over its earlier one, as a later page would). A
    batch makes at most one new version per key, none for a key it leaves as it found it
    (each field's value and source), and counts that key's records unchanged: the same
    batch sent again changes nothing. The state a version replaces goes to history
    (``versions``) with the interval it was current. A new record writes no history
    row: the golden row is its first version.
    """
    fields = tuple(fields)
    plan = MergePlan()
    at = now.isoformat()
    state: dict[str, Row] = {}
    new_keys: set[str] = set()
    # Stored keys the batch changed, each with how many of its records changed it.
    superseded: dict[str, int] = {}
    # A new golden row's columns, in order, with its bookkeeping filled in.
    blank: Row = dict.fromkeys((key, *fields))
    blank.update(provenance=None, version=1, created_at=now, updated_at=now)
    width = len(blank)
    for item in batch:
        rec, source = item.record, item.source
        k = rec[key]
        origin: Row = {"source": source, "record": item.source_record, "run": run_id, "at": at}
        if item.correction:
            origin["correction"] = dict(item.correction)
        current = state.get(k)
        if current is None and k in stored:
            held_row = stored[k]
            if not item.correction and unchanged(
                tuple(map(held_row.get, fields)), held_row["provenance"],
                tuple(map(rec.get, fields)), source,
            ):  # fmt: skip
                plan.unchanged += 1  # and no state: a later record of the key starts afresh
                continue
            current = dict(held_row)
        if current is None:
            row = blank.copy()
            row.update(rec)
            if len(row) != width:  # the record carries a field outside the model
                row = blank.copy()
                row.update((f, rec.get(f)) for f in fields)
            row[key] = k
            # Stored (short) form straight away: every field with a value came from here.
            row["provenance"] = {"origins": [origin]}
            state[k] = row
            new_keys.add(k)
            plan.inserted += 1
            continue
        changed = False
        # Copy on write: the provenance object may be shared with the stored row.
        prov = current["provenance"] = expand_provenance(current["provenance"], current, fields)
        for f in fields:
            offered = rec.get(f)
            if offered is None:
                continue
            held = current.get(f)
            held_source = (prov.get(f) or {}).get("source")
            if held is None:
                current[f], prov[f], changed = offered, origin, True
                continue
            if _same(held, offered):
                if held_source != source and rules.rank(entity, f, source) > rules.rank(
                    entity, f, held_source
                ):
                    prov[f], changed = origin, True
                continue
            wins = rules.rank(entity, f, source) >= rules.rank(entity, f, held_source)
            if held_source != source:
                held_text, offered_text = _text(held), _text(offered)
                plan.conflicts.append(
                    {
                        "fingerprint": conflict_fingerprint(
                            entity, k, f, (held_source, held_text), (source, offered_text)
                        ),
                        "entity": entity,
                        "entity_key": k,
                        "field": f,
                        "kept_value": offered_text if wins else held_text,
                        "kept_source": source if wins else held_source,
                        "offered_value": held_text if wins else offered_text,
                        "offered_source": held_source if wins else source,
                        "offered_record": (prov.get(f) or {}).get("record")
                        if wins
                        else item.source_record,
                        "resolution": "replaced" if wins else "kept",
                        "run_id": run_id,
                        "detected_at": now,
                    }
                )
            if wins:
                current[f], prov[f], changed = offered, origin, True
        state[k] = current
        if not changed:
            plan.unchanged += 1
            continue
        plan.updated += 1
        if k in stored:
            superseded[k] = superseded.get(k, 0) + 1
    for k, count in superseded.items():
        old, current = stored[k], state[k]
        if count > 1 and _as_found(current, old, fields):
            # Its records took the row away and back (a source's two records of it, the
            # later one as the store holds it): the batch changed nothing in it.
            plan.updated -= count
            plan.unchanged += count
            del state[k]
            continue
        current["version"] = old["version"] + 1
        current["updated_at"] = now
        plan.versions.append(
            {
                "entity": entity,
                "entity_key": k,
                "version": old["version"],
                "valid_from": old["updated_at"],
                "valid_to": now,
                "data": {f: old.get(f) for f in (key, *fields)},
                "provenance": expand_provenance(old["provenance"], old, fields),
                "run_id": run_id,  # the run that replaced this version
            }
        )
    for k, row in state.items():
        if k in new_keys:
            plan.inserts.append(row)
        elif k in superseded:
            plan.updates.append(row)
    return plan


def _as_found(current: Row, old: Row, fields: Sequence[str]) -> bool:
    """Whether a golden row a batch went through ends as it was stored: each field the
    same value from the same source. Its origins are then the stored ones, as a source
    offering a value it gave before leaves the origin of that value as it was."""
    if not all(_same(current[f], old[f]) for f in fields):
        return False
    held = expand_provenance(old["provenance"], old, fields)
    now = current["provenance"]
    return all(
        (now.get(f) or {}).get("source") == (held.get(f) or {}).get("source") for f in fields
    )


def unchanged(holding: Sequence[Any], provenance: Any, offered: Sequence[Any], source: str) -> bool:
    """Whether a record offering ``offered`` (its values of the entity's fields, in
    order) from ``source`` changes nothing in a golden row holding ``holding`` (the same
    fields) with ``provenance`` (as stored): it offers exactly what the row holds, every
    field of which came from this same source, so no rule can change it (the common case
    of a source sending records again), decided without expanding the provenance."""
    if sole_source(provenance) != source:
        return False
    # Equal values of one type each (1 == True and Decimal("1") == 1 are not the same).
    return tuple(offered) == tuple(holding) and tuple(map(type, offered)) == tuple(
        map(type, holding)
    )


def sole_source(provenance: Any) -> str | None:
    """The source every field of a golden row came from, when its stored provenance is
    the short form (one origin, no field map, a source named by text); None otherwise."""
    origins = provenance.get("origins") if type(provenance) is dict else None
    if type(origins) is not list or len(provenance) != 1 or len(origins) != 1:
        return None  # not the short form: fields of more than one origin
    origin = origins[0]
    source = origin.get("source") if type(origin) is dict else None
    return source if type(source) is str else None


def _text(value: Any) -> str | None:
    value = jsonable(value)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
