"""The supervision sweep: yellow and red cards for cases nearing or past their limit.

Run it as often as you like (the CLI, a schedule): each card is raised once per case,
stored and queued for e-supervision in one transaction. A case whose dates fall in a
year the calendar does not know is reported, not guessed, and the rest go on.

    >>> supervise(store, settings=SupervisionSettings()).raised  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from exchange.cases.catalog import ServiceItem, service_items
from exchange.outbox.queue import begin_write
from exchange.supervision.calendar import CalendarError, HolidayCalendar
from exchange.supervision.cards import CARD_KINDS, Card, existing_cards, store_cards
from exchange.supervision.clock import local_date, read_clock
from exchange.supervision.settings import SupervisionSettings
from tongban.store import Store, schema

__all__ = ["SweepResult", "due_cards", "list_cards", "supervise"]

_CHUNK = 500


@dataclass(slots=True)
class SweepResult:
    raised: list[Card] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: int = 0


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def due_cards(
    case: Mapping[str, Any], item: ServiceItem, cal: HolidayCalendar, now: datetime,
    have: set[str],
) -> list[Card]:  # fmt: skip
    """The yellow or red card ``case`` (a ``service_case`` row) has earned by ``now``."""
    concluded = _aware(case["concluded_at"])
    reading = read_clock(
        cal, limit=item.time_limit_days, accepted_at=_aware(case["accepted_at"]),  # type: ignore[arg-type]
        suspensions=case["suspensions"] or [], suspended_at=_aware(case["suspended_at"]),
        concluded_at=concluded, today=local_date(now),
    )  # fmt: skip
    detail = {
        "limit_days": reading.limit,
        "used_days": reading.used,
        "deadline": reading.deadline.isoformat() if reading.deadline else None,
    }
    if reading.overdue:
        if "red" in have:
            return []
        when = "concluded after" if concluded else "passed"
        return [Card(case["case_no"], "red", f"the limit of {reading.limit} working days"
                     f" {when} its last day ({detail['deadline']}); {reading.used} used",
                     concluded or now, detail)]  # fmt: skip
    if concluded or reading.paused or "yellow" in have:
        return []
    if reading.remaining <= item.yellow_threshold():
        return [Card(case["case_no"], "yellow", f"{reading.remaining} of {reading.limit}"
                     f" working days left (deadline {detail['deadline']})", now,
                     detail)]  # fmt: skip
    return []


def supervise(
    store: Store,
    *,
    now: datetime | None = None,
    settings: SupervisionSettings | None = None,
    items: Mapping[str, ServiceItem] | None = None,
    calendar: HolidayCalendar | None = None,
) -> SweepResult:
    """Raise the yellow and red cards due at ``now`` for every accepted case."""
    now = (now or datetime.now(UTC)).astimezone(UTC)  # stored as UTC (SQLite keeps no offset)
    settings = settings or SupervisionSettings()
    cal = calendar or settings.calendar()
    catalog = items if items is not None else service_items()
    t = schema.service_case
    since = now - timedelta(days=settings.recent_conclusions_days)
    query = select(t).where(
        t.c.accepted_at.is_not(None),
        or_(t.c.concluded_at.is_(None), t.c.concluded_at >= since),
    ).order_by(t.c.case_no)  # fmt: skip
    result = SweepResult()
    with store.engine.connect() as conn:
        cases = [dict(r) for r in conn.execute(query).mappings()]
    for n in range(0, len(cases), _CHUNK):
        chunk = cases[n : n + _CHUNK]
        with store.engine.connect() as conn:
            have = existing_cards(conn, [c["case_no"] for c in chunk])
        wanted: list[Card] = []
        for case in chunk:
            result.checked += 1
            item = catalog.get(case["item_code"])
            if item is None:
                result.problems.append(
                    f"case {case['case_no']}: service item"
                    f" {case['item_code']} is not in the catalog"
                )
                continue
            kinds = {k for c, k in have if c == case["case_no"]}
            try:
                wanted.extend(due_cards(case, item, cal, now, kinds))
            except CalendarError as exc:
                result.problems.append(f"case {case['case_no']}: {exc}")
        if wanted:
            result.raised.extend(_store(store, wanted, now))
    return result


def _store(store: Store, wanted: list[Card], now: datetime) -> list[Card]:
    t = schema.service_case
    with store.engine.begin() as conn:
        begin_write(conn)
        case_nos = sorted({c.case_no for c in wanted})
        q = select(t.c.case_no, t.c.card_count, t.c.item_code, t.c.department).where(
            t.c.case_no.in_(case_nos)).order_by(t.c.case_no)  # fmt: skip
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        cases = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(q)}
        have = existing_cards(conn, case_nos)  # again, under the lock: another sweep ran?
        fresh = [c for c in wanted if (c.case_no, c.kind) not in have]
        store_cards(conn, fresh, cases, now)
    return fresh


def list_cards(
    store: Store, *, kind: str | None = None, since: datetime | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Cards raised, newest first, with their case's item and department."""
    c, s = schema.case_card, schema.service_case
    q = (select(c.c.case_no, c.c.kind, c.c.raised_at, c.c.reason, s.c.item_code,
                s.c.department, s.c.stage)
         .join(s, s.c.case_no == c.c.case_no)
         .order_by(c.c.raised_at.desc(), c.c.case_no).limit(limit))  # fmt: skip
    if kind:
        if kind not in CARD_KINDS:
            raise ValueError(f"unknown card kind {kind!r}; one of {', '.join(CARD_KINDS)}")
        q = q.where(c.c.kind == kind)
    if since:
        q = q.where(c.c.raised_at >= since)
    with store.engine.connect() as conn:
        return [{**dict(r), "raised_at": _aware(r["raised_at"])}
                for r in conn.execute(q).mappings()]  # fmt: skip
