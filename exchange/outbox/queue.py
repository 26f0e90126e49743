"""The outbox's rows: written in the transaction that accepts what they carry.

A message goes to one target (``province`` or ``supervision``) and belongs to one case;
``seq`` orders the case's messages to that target, and the dispatcher keeps that order.
Each (target, case) is a *lane* (``outbox_lane``): the dispatcher leases lanes, not rows,
so one case is never in two dispatchers' hands at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from exchange.outbox.rows import insert_many
from tongban.store import schema

__all__ = ["TARGETS", "Message", "begin_write", "enqueue", "idempotency_key"]

TARGETS = ("province", "supervision")


def idempotency_key(target: str, case_no: str, seq: int) -> str:
    return f"{target}:{case_no}:{seq}"


@dataclass(frozen=True, slots=True)
class Message:
    target: str
    case_no: str
    seq: int
    body: Mapping[str, Any]

    @property
    def key(self) -> str:
        return idempotency_key(self.target, self.case_no, self.seq)

    def payload(self) -> dict[str, Any]:
        return {"idempotency_key": self.key, "case_no": self.case_no, "seq": self.seq,
                **self.body}  # fmt: skip


def enqueue(conn: Connection, messages: Sequence[Message], now: datetime) -> None:
    """Add ``messages`` to the outbox inside the caller's transaction."""
    if not messages:
        return
    insert_many(conn, schema.outbox, [
        {"target": m.target, "case_no": m.case_no, "seq": m.seq, "idempotency_key": m.key,
         "payload": m.payload(), "status": "pending", "attempts": 0, "last_error": None,
         "created_at": now}
        for m in messages
    ])  # fmt: skip
    per_lane = Counter((m.target, m.case_no) for m in messages)
    # Sorted, so two writers lock lanes in the same order (no deadlock on PostgreSQL).
    insert_many(
        conn, schema.outbox_lane,
        [{"target": t, "case_no": c, "pending": n, "status": "ready", "next_attempt_at": now}
         for (t, c), n in sorted(per_lane.items())],
        on_conflict="ON CONFLICT (target, case_no) DO UPDATE"
        " SET pending = outbox_lane.pending + excluded.pending",
    )  # fmt: skip


def begin_write(conn: Connection) -> None:
    """On SQLite, take the write lock now (a write that matches nothing), so the reads
    that follow see what the transaction writes over; PostgreSQL locks rows instead."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM outbox_lane WHERE 0"))
