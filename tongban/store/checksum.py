"""A content digest of the store that two equal histories share.

Run ids, clock times and surrogate ids differ between two runs that loaded the same
records, so they are left out; everything else (golden values, per-field provenance by
source and source record, every history version, conflicts and quarantine) is in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, select

from tongban.store import schema
from tongban.store.merge import expand_provenance, jsonable

_VOLATILE = {"run", "at", "run_id", "created_at", "updated_at", "valid_from", "valid_to",
             "detected_at", "id"}  # fmt: skip


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return jsonable(value)


def _rows(engine: Engine, table: Any, order: list[str]) -> list[Any]:
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(table)).mappings()]
    fields = schema.golden_fields(table)
    for row in rows:
        if isinstance(row.get("provenance"), dict):
            row["provenance"] = expand_provenance(row["provenance"], row, fields)
    cleaned = [_clean(r) for r in rows]
    cleaned.sort(key=lambda r: json.dumps([r.get(c) for c in order], ensure_ascii=False))
    return cleaned


def store_checksum(
    engine: Engine, *, cursors: bool = True, tables: Collection[str] | None = None
) -> str:
    """The digest; ``tables`` (names) keeps to those of them it covers, so that one
    part of the store can be held to a digest while another is checked apart."""
    digest = hashlib.sha256()
    covered = [
        (schema.person, ["id_number"]),
        (schema.enterprise, ["credit_code"]),
        (schema.license, ["license_key"]),
        (schema.record_version, ["entity", "entity_key", "version"]),
        (schema.merge_conflict, ["fingerprint"]),
        (schema.quarantine, ["fingerprint"]),
    ]
    if cursors:
        covered.append((schema.sync_state, ["source"]))
    for table, order in covered:
        if tables is not None and table.name not in tables:
            continue
        rows = _rows(engine, table, order)
        digest.update(table.name.encode())
        for row in rows:
            digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()
