"""Quarantine and quality records: the records held back and the review workflow over
them (correct, reject, mark landed), validation results, and batches held at the gate.

Nothing here deletes: a rejected record stays, marked, with who rejected it and why; a
corrected one keeps its raw record as received plus the list of corrections.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from tongban.errors import FatalError
from tongban.store import schema
from tongban.store.merge import jsonable
from tongban.text import storable

__all__ = ["QualityRecords", "QuarantineEntry", "quarantine_row"]

Row = dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A record held back: what came in, from where, and the rule it broke."""

    entity: str
    source: str
    source_record: str | None
    raw: Mapping[str, Any]
    rule: str
    message: str
    field: str | None = None
    expectation: str | None = None


def quarantine_row(q: QuarantineEntry, run_id: str, now: datetime) -> Row:
    """The quarantine table's row for ``q``; its fingerprint makes a second write of the
    same record (a batch written again) a no-op."""
    # Kept as received, but with what neither store can hold written as \uXXXX.
    raw = storable({k: jsonable(v) for k, v in q.raw.items()})
    fingerprint_text = json.dumps(
        [q.entity, q.source, q.source_record, raw, q.rule], ensure_ascii=False, sort_keys=True
    )
    return {
        "fingerprint": hashlib.sha256(fingerprint_text.encode("utf-8")).hexdigest(),
        "entity": q.entity,
        "source": q.source,
        "source_record": storable(q.source_record),
        "raw": raw,
        "rule": q.rule,
        "expectation": q.expectation,
        "field": storable(q.field),
        "message": storable(q.message),
        "status": "open",
        "corrections": [],
        "run_id": run_id,
        "created_at": now,
        "updated_at": now,
    }


class QualityRecords:
    """Quarantine and quality records over ``engine``; ``rows`` reads a query as the
    store's rows."""

    def __init__(self, engine: Engine, rows: Callable[[Any], list[Row]]):
        self.engine = engine
        self._rows = rows

    # -- the quarantine -----------------------------------------------------------------

    def quarantined(
        self,
        *,
        status: str | None = "open",
        source: str | None = None,
        rule: str | None = None,
        limit: int | None = 100,
    ) -> list[Row]:
        q = select(schema.quarantine).order_by(schema.quarantine.c.id)
        for col, value in (("status", status), ("source", source), ("rule", rule)):
            if value:
                q = q.where(schema.quarantine.c[col] == value)
        if limit:
            q = q.limit(limit)
        return self._rows(q)

    def quarantine_counts(self, *, status: str = "open") -> list[Row]:
        """Open quarantine entries per source and rule, largest first."""
        qt = schema.quarantine
        q = (
            select(qt.c.source, qt.c.rule, func.count().label("n"))
            .where(qt.c.status == status)
            .group_by(qt.c.source, qt.c.rule)
            .order_by(func.count().desc())
        )
        return self._rows(q)

    # -- validation results -------------------------------------------------------------

    def record_validation(self, result: Mapping[str, Any]) -> None:
        """Keep one batch validation (``BatchVerdict.as_record()``)."""
        stats = result["statistics"]
        with self.engine.begin() as conn:
            conn.execute(
                insert(schema.validation_result),
                {
                    "run_id": result["run_id"], "source": result["source"] or "",
                    "entity": result["entity"], "suite": result["suite"],
                    "evaluated": stats["evaluated"], "passed": stats["passed"],
                    "failed": stats["failed"], "success_ratio": stats["success_ratio"],
                    "gate_passed": result["gate_passed"], "reason": result.get("reason"),
                    "result": result["gx_result"],
                    "validated_at": datetime.fromisoformat(result["validated_at"]),
                },
            )  # fmt: skip

    def validation_results(
        self, *, source: str | None = None, limit: int | None = 50, with_result: bool = False
    ) -> list[Row]:
        """The latest validations, newest first."""
        vr = schema.validation_result
        cols = [c for c in vr.c if with_result or c.name != "result"]
        q = select(*cols).order_by(vr.c.validated_at.desc(), vr.c.id.desc())
        if source:
            q = q.where(vr.c.source == source)
        if limit:
            q = q.limit(limit)
        return self._rows(q)

    # -- batches held back at the gate ----------------------------------------------------

    def hold_batch(
        self,
        *,
        run_id: str,
        source: str,
        entity: str,
        reason: str,
        records: Sequence[tuple[str | None, Any]],
        cursor_before: Any,
        cursor_after: Any,
    ) -> int:
        """Keep a batch the gate stopped, as received, for review. Returns its id."""
        raw = storable(
            [[rid, {k: jsonable(v) for k, v in dict(rec).items()}] for rid, rec in records]
        )
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(schema.held_batch).returning(schema.held_batch.c.id),
                {
                    "run_id": run_id, "source": source, "entity": entity, "reason": reason,
                    "records": raw, "cursor_before": cursor_before,
                    "cursor_after": cursor_after, "status": "held", "created_at": _now(),
                },
            )  # fmt: skip
            return int(result.scalar_one())

    def held_batches(self, *, source: str | None = None, status: str | None = "held") -> list[Row]:
        hb = schema.held_batch
        cols = [c for c in hb.c if c.name != "records"]
        q = select(*cols, func.json_array_length(hb.c.records).label("size")).order_by(hb.c.id)
        for col, value in (("source", source), ("status", status)):
            if value:
                q = q.where(hb.c[col] == value)
        return self._rows(q)

    # -- the review workflow --------------------------------------------------------------

    def quarantine_entry(self, entry_id: int) -> Row:
        rows = self._rows(select(schema.quarantine).where(schema.quarantine.c.id == entry_id))
        if not rows:
            raise FatalError(f"there is no quarantined record {entry_id}")
        return rows[0]

    def correct(self, entry_id: int, field: str, value: Any, *, by: str, why: str) -> Row:
        """Record a reviewer's correction of one field of a quarantined record. The raw
        record stays as received; reprocessing applies the corrections in order."""
        entry = self.quarantine_entry(entry_id)
        if entry["status"] != "open":
            raise FatalError(f"quarantined record {entry_id} is {entry['status']}, not open")
        if not by.strip() or not why.strip():
            raise FatalError("a correction needs who made it (--by) and why (--why)")
        current = {**entry["raw"]}
        for c in entry["corrections"] or []:
            current[c["field"]] = c["new"]
        corrections = [
            *(entry["corrections"] or []),
            {"field": field, "old": current.get(field), "new": value, "by": by, "why": why,
             "at": _now().isoformat()},
        ]  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.quarantine)
                .where(schema.quarantine.c.id == entry_id)
                .values(corrections=corrections, updated_at=_now())
            )
        return self.quarantine_entry(entry_id)

    def reject(self, entry_id: int, *, by: str, why: str) -> Row:
        """Reject a quarantined record for good. It is kept, marked rejected."""
        entry = self.quarantine_entry(entry_id)
        if entry["status"] != "open":
            raise FatalError(f"quarantined record {entry_id} is {entry['status']}, not open")
        if not by.strip() or not why.strip():
            raise FatalError("a rejection needs who made it (--by) and why (--why)")
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.quarantine)
                .where(schema.quarantine.c.id == entry_id)
                .values(
                    status="rejected",
                    resolution={"by": by, "why": why, "at": _now().isoformat()},
                    updated_at=_now(),
                )
            )
        return self.quarantine_entry(entry_id)

    def still_failing(
        self, entry_id: int, *, rule: str, message: str, expectation: str | None
    ) -> None:
        """A corrected record that failed again: it stays open, with the new reason."""
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.quarantine)
                .where(schema.quarantine.c.id == entry_id)
                .values(rule=rule, message=message, expectation=expectation, updated_at=_now())
            )

    def mark_fixed(self, entry_ids: Sequence[int], *, run_id: str) -> None:
        """Corrected records that landed through the normal path in run ``run_id``."""
        if not entry_ids:
            return
        qt = schema.quarantine
        with self.engine.begin() as conn:
            conn.execute(
                update(qt)
                .where(qt.c.id.in_(list(entry_ids)))
                .values(
                    status="fixed",
                    resolution={"run": run_id, "at": _now().isoformat()},
                    updated_at=_now(),
                )
            )
