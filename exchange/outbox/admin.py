"""What an operator asks of the outbox: its state, its dead letters, and a retry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, update

from tongban.store import Store, schema

__all__ = ["dead_letters", "outbox_status", "retry_dead"]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def outbox_status(store: Store) -> list[dict[str, Any]]:
    """Per target: messages pending and dead, lanes waiting behind a dead message, lanes
    leased now, attempts so far and the oldest message's age."""
    o, lane = schema.outbox, schema.outbox_lane
    now = datetime.now(UTC)
    out: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for target, status, n, attempts, oldest in conn.execute(
            select(o.c.target, o.c.status, func.count(), func.sum(o.c.attempts),
                   func.min(o.c.created_at)).group_by(o.c.target, o.c.status)
        ):  # fmt: skip
            entry = out.setdefault(target, {"target": target, "pending": 0, "dead": 0,
                                            "blocked_lanes": 0, "leased_lanes": 0,
                                            "attempts": 0, "oldest": None})  # fmt: skip
            entry[status] = n
            entry["attempts"] += int(attempts or 0)
            first = _aware(oldest)
            if first is not None and (entry["oldest"] is None or first < entry["oldest"]):
                entry["oldest"] = first
        leased_now = func.sum(case((lane.c.lease_until > now, 1), else_=0))
        for target, status, n, leased in conn.execute(
            select(lane.c.target, lane.c.status, func.count(), leased_now)
            .group_by(lane.c.target, lane.c.status)
        ):  # fmt: skip
            entry = out.setdefault(target, {"target": target, "pending": 0, "dead": 0,
                                            "blocked_lanes": 0, "leased_lanes": 0,
                                            "attempts": 0, "oldest": None})  # fmt: skip
            if status == "dead":
                entry["blocked_lanes"] += n
            entry["leased_lanes"] += int(leased or 0)
    for entry in out.values():
        entry["oldest_age_s"] = (now - entry.pop("oldest")).total_seconds() if entry["oldest"] \
            else None  # fmt: skip
    return [out[t] for t in sorted(out)]


def dead_letters(store: Store, *, limit: int = 50) -> list[dict[str, Any]]:
    o = schema.outbox
    q = (select(o.c.idempotency_key, o.c.target, o.c.case_no, o.c.seq, o.c.attempts,
                o.c.last_error, o.c.created_at)
         .where(o.c.status == "dead").order_by(o.c.created_at).limit(limit))  # fmt: skip
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def retry_dead(store: Store, keys: list[str] | None = None) -> int:
    """Put dead messages (all, or those with ``keys``) back in line; their lanes go on."""
    o, lane = schema.outbox, schema.outbox_lane
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        q = select(o.c.target, o.c.case_no, o.c.idempotency_key).where(o.c.status == "dead")
        if keys:
            q = q.where(o.c.idempotency_key.in_(keys))
        found = conn.execute(q).all()
        for target, case_no, key in found:
            # One attempt is kept on a message tried before: it is looked up at the
            # receiver before it is sent again (it may have arrived unacknowledged).
            conn.execute(update(o).where(o.c.idempotency_key == key).values(
                status="pending", attempts=case((o.c.attempts > 0, 1), else_=0),
                last_error=None))  # fmt: skip
            conn.execute(update(lane).where(lane.c.target == target, lane.c.case_no == case_no)
                         .values(status="ready", next_attempt_at=now, lease_until=None,
                                 claimed_by=None))  # fmt: skip
    return len(found)
