"""Case events as approval systems send them, and the rules each must keep.

An event is a JSON object with ``type``, ``event_id`` (the client's own id, which makes
a resend harmless), ``case_no`` (办件编号) and ``at`` (ISO 8601 with a UTC offset):

==================  ===============================================================
``received``        收件: a new case; ``item_code``, ``applicant_id`` (ID number or
                    credit code), ``channel`` (``online`` or ``counter``)
``accepted``        受理
``reviewed``        审核
``concluded``       办结; ``result`` (``approved`` or ``refused``)
``suspended``       挂起: legally paused time, which the clock does not count; ``reason``
``resumed``         the clock runs again
``correction``      补正: more material requested; ``materials`` (names)
``forwarded``       转报 to a higher level; ``to``
``forward_answered``  the higher level's answer; ``answer``
``rating``          好差评: ``score`` 1-5 and an optional ``comment``; once per case
==================  ===============================================================

    >>> parse_event({"type": "accepted", "event_id": "e2", "case_no": "C1",
    ...              "at": "2026-11-02T09:00:00+08:00"}).type
    'accepted'
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from tongban.errors import RecordError

__all__ = ["Event", "EventRefused", "digest", "parse_event"]

Channel = Literal["online", "counter"]


class _Event(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="type"):
    event_id: str
    case_no: str
    at: datetime

    @property
    def type(self) -> str:
        return str(self.__struct_config__.tag)

    def data(self) -> dict[str, Any]:
        """The event's own fields (beyond id, case and time), as stored and pushed."""
        skip = {"event_id", "case_no", "at"}
        return {f: getattr(self, f) for f in self.__struct_fields__ if f not in skip}


class Received(_Event, tag="received"):
    item_code: str
    applicant_id: str
    channel: Channel
    applicant_type: Literal["111", "001"] | None = None
    applicant_name: str | None = None


class Accepted(_Event, tag="accepted"):
    pass


class Reviewed(_Event, tag="reviewed"):
    opinion: str | None = None


class Concluded(_Event, tag="concluded"):
    result: Literal["approved", "refused"]


class Suspended(_Event, tag="suspended"):
    reason: str


class Resumed(_Event, tag="resumed"):
    pass


class Correction(_Event, tag="correction"):
    materials: list[str]


class Forwarded(_Event, tag="forwarded"):
    to: str


class ForwardAnswered(_Event, tag="forward_answered"):
    answer: Literal["approved", "refused", "returned"]


class Rating(_Event, tag="rating"):
    score: int
    comment: str | None = None


Event = (
    Received | Accepted | Reviewed | Concluded | Suspended | Resumed | Correction | Forwarded
    | ForwardAnswered | Rating
)  # fmt: skip

_DECODE = msgspec.json.Decoder(Event)
_SORTED = msgspec.json.Encoder(order="sorted").encode


class EventRefused(RecordError):
    """An event broke a rule; nothing of its request was stored.

    ``index`` is the event's place in the request (0 for a single event).
    """

    def __init__(self, rule: str, message: str, *, index: int = 0, event_id: str | None = None):
        where = f"event {index}" + (f" ({event_id})" if event_id else "")
        super().__init__(rule, f"{where}: {message}")
        self.index = index
        self.event_id = event_id


def parse_event(raw: Any, index: int = 0) -> Event:
    """One event from its JSON object (a dict) or JSON text; refused with ``event.shape``."""
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    try:
        if isinstance(raw, (bytes, str)):
            event: Event = _DECODE.decode(raw)
        else:
            event = msgspec.convert(raw, Event)
    except msgspec.ValidationError as exc:
        raise EventRefused("event.shape", str(exc), index=index, event_id=event_id) from None
    if not event.event_id or not event.case_no:
        raise EventRefused(
            "event.shape", "event_id and case_no must not be empty", index=index,
            event_id=event.event_id,
        )  # fmt: skip
    if len(event.event_id) > 80 or len(event.case_no) > 64:
        raise EventRefused(
            "event.shape", "event_id is at most 80 characters, case_no 64", index=index,
            event_id=event.event_id[:80],
        )  # fmt: skip
    if event.at.tzinfo is None:
        raise EventRefused(
            "event.time_zone", f"time {event.at.isoformat()} has no UTC offset (+08:00)",
            index=index, event_id=event.event_id,
        )  # fmt: skip
    event.at = event.at.astimezone(UTC)  # stored as UTC (SQLite keeps no offset)
    if isinstance(event, Rating) and not 1 <= event.score <= 5:
        raise EventRefused(
            "rating.score", f"score {event.score} is not 1-5", index=index,
            event_id=event.event_id,
        )  # fmt: skip
    if isinstance(event, Correction) and not event.materials:
        raise EventRefused(
            "correction.materials", "a 补正 names the materials it asks for", index=index,
            event_id=event.event_id,
        )  # fmt: skip
    return event


def digest(event: Event) -> str:
    """SHA-256 of the event's content, to tell a resend from a reused event id."""
    body = {"type": event.type, "case_no": event.case_no, "at": event.at, **event.data()}
    return hashlib.sha256(_SORTED(body)).hexdigest()
