"""Reading the golden records: a record now, its keys, its history and what the hub knew
of it at a given time, and the conflicts its merges recorded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from tongban.store import schema
from tongban.store.dialect import dialect_of, read_engine
from tongban.store.golden import aware, golden_table
from tongban.store.merge import expand_provenance, jsonable

__all__ = ["Reader"]

Row = dict[str, Any]


class Reader:
    """Golden rows, history and as-of reads over ``engine``."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.reads = read_engine(engine)  # one statement each: no transaction around it

    def rows(self, query: Any, fields: Sequence[str] = ()) -> list[Row]:
        """Rows as dicts, times aware, provenance expanded (golden rows: give ``fields``)."""
        with self.reads.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            for k, v in row.items():
                if isinstance(v, datetime):
                    row[k] = aware(v)
            if isinstance(row.get("provenance"), dict):
                row["provenance"] = expand_provenance(row["provenance"], row, fields)
        return rows

    def get(self, entity: str, key: str) -> Row | None:
        """The golden record, with its per-field provenance."""
        spec = golden_table(entity)
        rows = self.rows(select(spec.table).where(spec.table.c[spec.key] == key), spec.fields)
        return rows[0] if rows else None

    def existing_keys(self, entity: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a golden record."""
        spec = golden_table(entity)
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        column = spec.table.c[spec.key]
        with self.engine.connect() as conn:
            for match in dialect_of(conn).key_matches(column, wanted):
                found.update(conn.execute(select(column).where(match)).scalars())
        return found

    def keys(self, entity: str, *, limit: int = 100) -> list[str]:
        """Keys of golden records, oldest first."""
        spec = golden_table(entity)
        q = select(spec.table.c[spec.key]).order_by(spec.table.c.created_at, spec.table.c[spec.key])
        with self.engine.connect() as conn:
            return list(conn.execute(q.limit(limit)).scalars())

    def history(self, entity: str, key: str) -> list[Row]:
        """Every version of a record, oldest first; the last is the current golden record.

        Each is ``{"version", "valid_from", "valid_to", "data", "provenance"}``: what the
        hub held from ``valid_from`` until ``valid_to`` (None: still current).
        """
        rv = schema.record_version
        q = select(rv).where(rv.c.entity == entity, rv.c.entity_key == key).order_by(rv.c.version)
        versions = [v for v in self.rows(q) if v["valid_to"] is not None]
        golden = self.get(entity, key)
        if golden is not None:
            spec = golden_table(entity)
            versions.append(
                {
                    "entity": entity,
                    "entity_key": key,
                    "version": golden["version"],
                    "valid_from": golden["updated_at"],
                    "valid_to": None,
                    "data": {f: jsonable(golden.get(f)) for f in (spec.key, *spec.fields)},
                    "provenance": golden["provenance"],
                    "run_id": None,
                }
            )
        return versions

    def as_of(self, entity: str, key: str, when: datetime) -> Row | None:
        """What the hub knew about a record at ``when`` (None if it knew nothing yet)."""
        when = aware(when).astimezone(UTC)  # type: ignore[union-attr]
        for version in self.history(entity, key):
            end = version["valid_to"]
            if version["valid_from"] <= when and (end is None or when < end):
                return version
        return None

    def conflicts(self, entity: str, key: str) -> list[Row]:
        mc = schema.merge_conflict
        q = select(mc).where(mc.c.entity == entity, mc.c.entity_key == key).order_by(mc.c.id)
        return self.rows(q)

    def count(self, table_name: str, **where: Any) -> int:
        table = schema.metadata.tables[table_name]
        q = select(func.count()).select_from(table)
        for col, value in where.items():
            q = q.where(table.c[col] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
