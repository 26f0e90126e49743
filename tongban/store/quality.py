"""What data-quality review needs from the store: validation results, batches held at
the gate, and the quarantine's review workflow (correct, reject, mark landed).

Nothing here deletes: a rejected record stays, marked, with who rejected it and why; a
corrected one keeps its raw record as received plus the list of corrections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from tongban.errors import FatalError
from tongban.store import schema
from tongban.store.merge import jsonable
from tongban.text import storable

__all__ = ["QualityRecords"]

Row = dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


class QualityRecords:
    """Part of :class:`~tongban.store.Store`, which provides ``engine`` and ``_rows``."""

    engine: Engine
    _rows: Callable[[Any], list[Row]]

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
