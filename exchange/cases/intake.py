"""Case intake: validate a request's events and store them, all or nothing.

Each accepted event becomes a ``case_event`` row and an outbox message to the provincial
platform in the same transaction; cards it raises (擅自增加申请材料, repeated
submissions) are stored and queued for e-supervision in it too. An event already stored
under the same client event id with the same content is a harmless resend; with other
content it is refused (``event.id_reused``). One bad event refuses the whole request,
with the rule it broke, and nothing of the request is stored.

    >>> result = record_events(store, "qlb-zwfw", [received, accepted])  # doctest: +SKIP
    >>> result.stored, result.duplicates                                   # doctest: +SKIP
    (2, 0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from exchange.cases.catalog import ServiceItem, service_items
from exchange.cases.events import Correction, Event, EventRefused, Received, digest, parse_event
from exchange.cases.rules import CaseState, advance, extra_materials, new_case
from exchange.outbox.queue import Message, begin_write, enqueue
from exchange.outbox.rows import insert_many, matching, update_many
from exchange.supervision.cards import Card, existing_cards, store_cards
from tongban.store import Store, schema

__all__ = ["IntakeResult", "record_events"]

_CHUNK = 1000
_TIMES = ("received_at", "accepted_at", "reviewed_at", "concluded_at", "suspended_at",
          "forwarded_at", "forward_answered_at", "rated_at", "last_event_at")  # fmt: skip


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """Per event, ``stored`` or ``duplicate``; and the cards the request raised."""

    outcomes: list[str]
    cards: list[Card] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.outcomes.count("stored")

    @property
    def duplicates(self) -> int:
        return self.outcomes.count("duplicate")


def record_events(
    store: Store,
    client_id: str,
    raw_events: Sequence[Any],
    *,
    now: datetime | None = None,
    items: Mapping[str, ServiceItem] | None = None,
    repeat_window: timedelta = timedelta(days=7),
) -> IntakeResult:
    """Validate and store ``raw_events`` (dicts) reported by approval system ``client_id``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)  # stored as UTC (SQLite keeps no offset)
    catalog = items if items is not None else service_items()
    events = [parse_event(raw, i) for i, raw in enumerate(raw_events)]
    for attempt in range(3):
        try:
            with store.engine.begin() as conn:
                return _record(conn, client_id, events, now, catalog, repeat_window)
        except IntegrityError:
            # Another request created one of these cases (or event ids) first: read again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record(
    conn: Connection,
    client_id: str,
    events: list[Event],
    now: datetime,
    catalog: Mapping[str, ServiceItem],
    repeat_window: timedelta,
) -> IntakeResult:
    begin_write(conn)
    fresh = _screen_resends(conn, client_id, events)
    states = _load_cases(conn, sorted({e.case_no for _, e, _ in fresh}))
    for case in states.values():
        if case.client_id != client_id:
            i, e = next((i, e) for i, e, _ in fresh if e.case_no == case.case_no)
            raise EventRefused("case.client", f"case {e.case_no} is reported by another"
                               " approval system", index=i, event_id=e.event_id)  # fmt: skip
    known_cards = existing_cards(conn, list(states))
    stored_before = set(states)
    event_rows: list[dict[str, Any]] = []
    messages: list[Message] = []
    cards: list[Card] = []
    new_cases: list[CaseState] = []
    for i, event, event_digest in fresh:
        stored = states.get(event.case_no)
        if stored is None:
            if not isinstance(event, Received):
                raise EventRefused("case.unknown", f"case {event.case_no} was never received"
                                   " (its first event is received)", index=i,
                                   event_id=event.event_id)  # fmt: skip
            case = new_case(event, catalog.get(event.item_code), client_id, now, i)
            new_cases.append(case)
        else:
            case = advance(stored, event, _item(catalog, stored), now, i)
        states[event.case_no] = case
        data = event.data()
        if isinstance(event, Received):
            data["applicant_id"], data["applicant_type"] = case.applicant_id, case.applicant_type
        event_rows.append({
            "case_no": event.case_no, "seq": case.event_count, "client_id": client_id,
            "event_id": event.event_id, "kind": event.type, "occurred_at": event.at,
            "data": data, "digest": event_digest, "recorded_at": now,
        })  # fmt: skip
        messages.append(Message("province", event.case_no, case.event_count, {
            "type": event.type, "at": event.at.isoformat(), "item_code": case.item_code,
            "department": case.department, **data,
        }))  # fmt: skip
        if isinstance(event, Correction):
            extra = extra_materials(event, _item(catalog, case))
            if extra and (case.case_no, "extra_material") not in known_cards:
                known_cards.add((case.case_no, "extra_material"))
                cards.append(Card(case.case_no, "extra_material",
                                  f"补正 asked for {'、'.join(extra)}, not in the item's list",
                                  event.at, {"materials": extra}))  # fmt: skip
    cards.extend(_repeats(conn, new_cases, repeat_window))
    _write(conn, states, stored_before, event_rows, messages, now)
    if cards:
        counts = store_cards(
            conn, cards,
            {c: (states[c].card_count, states[c].item_code, states[c].department)
             for c in {card.case_no for card in cards}},
            now,
        )  # fmt: skip
        for case_no, n in counts.items():
            states[case_no].card_count = n
    taken = {i for i, _, _ in fresh}
    outcomes = ["stored" if i in taken else "duplicate" for i in range(len(events))]
    return IntakeResult(outcomes, cards)


def _item(catalog: Mapping[str, ServiceItem], case: CaseState) -> ServiceItem:
    item = catalog.get(case.item_code)
    if item is None:
        raise EventRefused("item.unknown", f"case {case.case_no}: service item"
                           f" {case.item_code} left the catalog")  # fmt: skip
    return item


def _screen_resends(
    conn: Connection, client_id: str, events: list[Event]
) -> list[tuple[int, Event, str]]:
    """The events not stored before, with their digests. An event stored before (or
    twice in the request) is a resend if equal, else refused."""
    t = schema.case_event
    ids = [e.event_id for e in events]
    stored: dict[str, str] = {}
    for among in matching(conn, t.c.event_id, ids):
        rows = conn.execute(
            select(t.c.event_id, t.c.digest).where(t.c.client_id == client_id, among)
        )
        stored.update({r[0]: r[1] for r in rows})
    fresh: list[tuple[int, Event, str]] = []
    for i, event in enumerate(events):
        d = digest(event)
        before = stored.get(event.event_id)
        if before is None:
            stored[event.event_id] = d
            fresh.append((i, event, d))
        elif before != d:
            raise EventRefused("event.id_reused", f"event id {event.event_id} was sent"
                               " before with other content", index=i,
                               event_id=event.event_id)  # fmt: skip
    return fresh


def _load_cases(conn: Connection, case_nos: list[str]) -> dict[str, CaseState]:
    t = schema.service_case
    out: dict[str, CaseState] = {}
    for among in matching(conn, t.c.case_no, case_nos):
        q = select(t).where(among).order_by(t.c.case_no)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        for row in conn.execute(q).mappings():
            values = dict(row)
            for name in _TIMES:
                if values[name] is not None and values[name].tzinfo is None:
                    values[name] = values[name].replace(tzinfo=UTC)
            out[values["case_no"]] = CaseState(**values)
    return out


def _repeats(conn: Connection, new_cases: list[CaseState], window: timedelta) -> list[Card]:
    """A new case whose applicant applied for the same item shortly before (重复提交)."""
    if not new_cases or window <= timedelta(0):
        return []
    t = schema.service_case
    applicants = sorted({c.applicant_id for c in new_cases})
    earlier: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for among in matching(conn, t.c.applicant_id, applicants):
        rows = conn.execute(
            select(t.c.applicant_id, t.c.item_code, t.c.received_at, t.c.case_no).where(among)
        )
        for a, item, at, case_no in rows:
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            earlier.setdefault((a, item), []).append((at, case_no))
    for c in new_cases:
        earlier.setdefault((c.applicant_id, c.item_code), []).append((c.received_at, c.case_no))
    cards = []
    for c in new_cases:
        before = [
            (at, no) for at, no in earlier[(c.applicant_id, c.item_code)]
            if (at, no) < (c.received_at, c.case_no) and c.received_at - at <= window
        ]  # fmt: skip
        if before:
            at, no = max(before)
            cards.append(Card(c.case_no, "repeated",
                              f"the applicant applied for {c.item_code} before, in case {no}"
                              f" ({at.isoformat()})", c.received_at,
                              {"earlier_case": no}))  # fmt: skip
    return cards


def _write(
    conn: Connection,
    states: dict[str, CaseState],
    stored_before: set[str],
    event_rows: list[dict[str, Any]],
    messages: list[Message],
    now: datetime,
) -> None:
    if not event_rows:
        return
    t = schema.service_case
    touched = {r["case_no"] for r in event_rows}
    new = [states[c].row() for c in sorted(touched - stored_before)]
    changed = [states[c].row() for c in sorted(touched & stored_before)]
    insert_many(conn, t, new)
    update_many(conn, t, "case_no", changed)
    insert_many(conn, schema.case_event, event_rows)
    enqueue(conn, messages, now)
