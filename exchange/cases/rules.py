"""A case's state and the rules an event must keep to move it (受理 → 审核 → 办结).

Pure functions over :class:`CaseState`; :mod:`exchange.cases.intake` reads and writes
the store around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from exchange.cases.catalog import ServiceItem
from exchange.cases.events import (
    Accepted,
    Concluded,
    Correction,
    Event,
    EventRefused,
    ForwardAnswered,
    Forwarded,
    Rating,
    Received,
    Resumed,
    Reviewed,
    Suspended,
)
from tongban.errors import RecordError
from tongban.identifiers import check_credit_code, check_id_number

__all__ = ["STAGES", "CaseState", "advance", "applicant"]

STAGES = ("received", "accepted", "reviewed", "concluded")
_STAGE_NAMES = {"received": "收件", "accepted": "受理", "reviewed": "审核", "concluded": "办结"}
FUTURE_SKEW = timedelta(seconds=60)
"""How far ahead of the hub's clock an event's time may be (clocks differ a little)."""


@dataclass(slots=True)
class CaseState:
    """The columns of ``service_case``: where a case stands."""

    case_no: str
    item_code: str
    department: str
    applicant_id: str
    applicant_type: str
    channel: str
    client_id: str
    stage: str
    received_at: datetime
    last_event_at: datetime
    event_count: int = 0
    card_count: int = 0
    accepted_at: datetime | None = None
    reviewed_at: datetime | None = None
    concluded_at: datetime | None = None
    result: str | None = None
    suspended_at: datetime | None = None
    suspensions: list[list[str]] = field(default_factory=list)
    forwarded_at: datetime | None = None
    forwarded_to: str | None = None
    forward_answered_at: datetime | None = None
    forward_answer: str | None = None
    rating: int | None = None
    rated_at: datetime | None = None

    def copy(self, **changes: Any) -> CaseState:
        """A copy with ``changes`` (dataclasses.replace, without its per-call cost)."""
        new = object.__new__(CaseState)
        for name in _FIELDS:
            setattr(new, name, changes[name] if name in changes else getattr(self, name))
        return new

    def row(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


_FIELDS = tuple(f.name for f in fields(CaseState))


def applicant(value: str, kind: str | None) -> tuple[str, str]:
    """The applicant's identifier normalized, and its type (111 ID number, 001 credit code)."""
    looks_personal = value.strip().upper().rstrip("X").isdigit()
    if kind == "111" or (kind is None and looks_personal):
        try:
            return check_id_number(value), "111"
        except RecordError:
            if kind == "111":
                raise
            try:
                return check_credit_code(value), "001"
            except RecordError:
                pass
            raise
    return check_credit_code(value), "001"


def _refuse(rule: str, message: str, event: Event, index: int) -> EventRefused:
    return EventRefused(rule, f"case {event.case_no}: {message}", index=index,
                        event_id=event.event_id)  # fmt: skip


def new_case(
    event: Received, item: ServiceItem | None, client_id: str, now: datetime, index: int
) -> CaseState:
    """The case a ``received`` event opens (收件)."""
    if item is None:
        raise _refuse("item.unknown", f"service item {event.item_code} is not in the catalog",
                      event, index)  # fmt: skip
    wanted = {"person": "111", "enterprise": "001"}.get(item.applicant or "")
    _check_time(event, None, now, index)
    try:
        applicant_id, applicant_type = applicant(event.applicant_id, event.applicant_type)
    except RecordError as exc:
        raise _refuse(exc.rule, f"applicant {event.applicant_id!r}: {exc.message}",
                      event, index) from None  # fmt: skip
    if wanted and applicant_type != wanted:
        kind = "an enterprise (credit code)" if wanted == "001" else "a person (ID number)"
        raise _refuse("applicant.type", f"{item.code} ({item.name}) is applied for by {kind}",
                      event, index)  # fmt: skip
    return CaseState(
        case_no=event.case_no, item_code=item.code, department=item.department,
        applicant_id=applicant_id, applicant_type=applicant_type, channel=event.channel,
        client_id=client_id, stage="received", received_at=event.at, last_event_at=event.at,
        event_count=1,
    )  # fmt: skip


def _check_time(event: Event, case: CaseState | None, now: datetime, index: int) -> None:
    if event.at > now + FUTURE_SKEW:
        raise _refuse(
            "event.time_future",
            f"{event.type} at {event.at.isoformat()} is in the future",
            event,
            index,
        )
    if case is not None and event.at < case.last_event_at:
        raise _refuse(
            "event.time_order",
            f"{event.type} at {event.at.isoformat()} is before the case's previous event"
            f" ({case.last_event_at.isoformat()})", event, index,
        )  # fmt: skip


def _need_stage(case: CaseState, event: Event, index: int, *stages: str) -> None:
    if case.stage not in stages:
        wanted = " or ".join(_STAGE_NAMES[s] for s in stages)
        raise _refuse(
            "event.stage_order",
            f"{event.type} needs the case at {wanted}; it is at {_STAGE_NAMES[case.stage]}",
            event, index,
        )  # fmt: skip


def advance(
    case: CaseState, event: Event, item: ServiceItem, now: datetime, index: int
) -> CaseState:
    """The case after ``event``, or :class:`EventRefused` naming the rule it broke."""
    if isinstance(event, Received):
        raise _refuse("case.exists", "the case was received already", event, index)
    if case.stage == "concluded" and not isinstance(event, Rating):
        raise _refuse(
            "event.after_conclusion", f"{event.type} after 办结 ({case.concluded_at})", event, index
        )
    _check_time(event, case, now, index)
    new = case.copy(last_event_at=event.at, event_count=case.event_count + 1)
    if case.suspended_at is not None and not isinstance(event, (Resumed, Rating, Correction)):
        raise _refuse(
            "event.suspended",
            f"{event.type} while the case is suspended; resume it first",
            event,
            index,
        )
    match event:
        case Accepted():
            _need_stage(case, event, index, "received")
            new.stage, new.accepted_at = "accepted", event.at
        case Reviewed():
            _need_stage(case, event, index, "accepted")
            new.stage, new.reviewed_at = "reviewed", event.at
        case Concluded():
            _need_stage(case, event, index, "reviewed")
            new.stage, new.concluded_at, new.result = "concluded", event.at, event.result
        case Suspended():
            _need_stage(case, event, index, "accepted", "reviewed")
            new.suspended_at = event.at
        case Resumed():
            if case.suspended_at is None:
                raise _refuse("event.not_suspended", "resumed but not suspended", event, index)
            new.suspensions = [
                *case.suspensions,
                [case.suspended_at.isoformat(), event.at.isoformat()],
            ]
            new.suspended_at = None
        case Correction():
            _need_stage(case, event, index, "received", "accepted", "reviewed")
        case Forwarded():
            _need_stage(case, event, index, "accepted", "reviewed")
            if case.forwarded_at is not None:
                raise _refuse("forward.once", "the case was forwarded already", event, index)
            new.forwarded_at, new.forwarded_to = event.at, event.to
        case ForwardAnswered():
            if case.forwarded_at is None or case.forward_answered_at is not None:
                raise _refuse(
                    "forward.no_question", "an answer with no open 转报 to answer", event, index
                )
            new.forward_answered_at, new.forward_answer = event.at, event.answer
        case Rating():
            if case.rating is not None:
                raise _refuse("rating.once", "the case was rated already", event, index)
            new.rating, new.rated_at = event.score, event.at
    return new


def extra_materials(event: Correction, item: ServiceItem) -> list[str]:
    """Materials a 补正 asks for that the item's list does not name (擅自增加申请材料)."""
    known = item.material_names()
    return [m for m in event.materials if m not in known]
