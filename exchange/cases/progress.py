"""进度可查: what an applicant may see of their case, by case number and their ID number.

The answer is the same (None) whether the case does not exist or belongs to someone
else, so the lookup cannot be used to probe for other people's cases.

    >>> case_progress(store, "C1", "11010519491231002X")["stage"]  # doctest: +SKIP
    'accepted'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from exchange.cases.catalog import ServiceItem, service_items
from exchange.cases.rules import applicant
from exchange.supervision.calendar import HolidayCalendar
from exchange.supervision.cards import CARD_KINDS
from exchange.supervision.clock import BEIJING, local_date, read_clock
from tongban.errors import RecordError
from tongban.store import Store, schema

__all__ = ["STEP_NAMES", "case_progress"]

STEP_NAMES = {
    "received": "收件", "accepted": "受理", "reviewed": "审核", "concluded": "办结",
    "suspended": "挂起", "resumed": "恢复", "correction": "补正", "forwarded": "转报",
    "forward_answered": "转报答复", "rating": "评价",
}  # fmt: skip


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _local(value: datetime | None) -> str | None:
    aware = _aware(value)
    return aware.astimezone(BEIJING).isoformat() if aware else None


def case_progress(
    store: Store,
    case_no: str,
    id_number: str,
    *,
    calendar: HolidayCalendar,
    now: datetime | None = None,
    items: Mapping[str, ServiceItem] | None = None,
) -> dict[str, Any] | None:
    """The case's stages with their times, its time limit and deadline, and its cards."""
    try:
        who, _ = applicant(id_number, None)
    except RecordError:
        return None
    s, e, c = schema.service_case, schema.case_event, schema.case_card
    with store.engine.connect() as conn:
        case = conn.execute(select(s).where(s.c.case_no == case_no)).mappings().first()
        if case is None or case["applicant_id"] != who:
            return None
        steps = conn.execute(
            select(e.c.seq, e.c.kind, e.c.occurred_at, e.c.data)
            .where(e.c.case_no == case_no)
            .order_by(e.c.seq)
        ).all()
        cards = conn.execute(
            select(c.c.kind, c.c.raised_at, c.c.reason)
            .where(c.c.case_no == case_no)
            .order_by(c.c.raised_at)
        ).all()
    item = (items if items is not None else service_items()).get(case["item_code"])
    answer: dict[str, Any] = {
        "case_no": case_no, "stage": case["stage"], "stage_name": STEP_NAMES[case["stage"]],
        "item": {"code": case["item_code"], "name": item.name if item else None,
                 "department": case["department"]},
        "steps": [{"seq": seq, "type": kind, "name": STEP_NAMES.get(kind, kind),
                   "at": _local(at),
                   **({"materials": data["materials"]} if kind == "correction" else {})}
                  for seq, kind, at, data in steps],
        "time_limit_days": item.time_limit_days if item else None,
        "cards": [{"kind": k, "name": CARD_KINDS[k], "at": _local(at), "reason": r}
                  for k, at, r in cards],
    }  # fmt: skip
    if item is not None and case["accepted_at"] is not None:
        reading = read_clock(
            calendar, limit=item.time_limit_days, accepted_at=_aware(case["accepted_at"]),  # type: ignore[arg-type]
            suspensions=case["suspensions"] or [], suspended_at=_aware(case["suspended_at"]),
            concluded_at=_aware(case["concluded_at"]),
            today=local_date(now or datetime.now(UTC)),
        )  # fmt: skip
        answer.update(
            used_days=reading.used, remaining_days=reading.remaining, paused=reading.paused,
            overdue=reading.overdue,
            deadline=reading.deadline.isoformat() if reading.deadline else None,
            deadline_note=reading.deadline_problem,
        )  # fmt: skip
    return answer
