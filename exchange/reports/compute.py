"""The figures a provincial reporter asks for, per period, department and service item.

Per row: cases received and how many of them online, concluded, concluded on time and
the average working days they took (suspensions excluded), cards raised (yellow, red,
擅自增加申请材料, repeated submissions), cases forwarded (转报) and answered, ratings
(好差评) and their mean, and the proofs applicants did not have to bring because the
hub holds them (materials the item's catalog entry marks as shared evidence).

    >>> report = period_report(store, "2026-11", calendar=HolidayCalendar())  # doctest: +SKIP
    >>> report.totals["received"]                                              # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from exchange.cases.catalog import ServiceItem, service_items
from exchange.supervision.calendar import HolidayCalendar
from exchange.supervision.clock import BEIJING, read_clock
from tongban.errors import FatalError
from tongban.store import Store, schema

__all__ = ["COLUMNS", "CaseReport", "period_bounds", "period_report"]

COUNTS = (
    "received", "online", "concluded", "on_time", "yellow", "red", "extra_material",
    "repeated", "forwarded", "forward_answered", "ratings", "proofs_spared",
)  # fmt: skip
COLUMNS = ("department", "item_code", "item_name", *COUNTS, "online_share",
           "on_time_share", "avg_working_days", "rating_avg")  # fmt: skip


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """A month ``YYYY-MM`` as [start, end) instants, Beijing time."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise FatalError(f"period {period!r}: expected a month as YYYY-MM, e.g. 2026-11")
    year, month = int(m.group(1)), int(m.group(2))
    start = datetime(year, month, 1, tzinfo=BEIJING)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=BEIJING)
    return start, end


@dataclass(frozen=True, slots=True)
class CaseReport:
    period: str
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _finish(row: dict[str, Any], days: list[int], scores: list[int]) -> dict[str, Any]:
    row["online_share"] = round(row["online"] / row["received"], 4) if row["received"] else None
    row["on_time_share"] = round(row["on_time"] / row["concluded"], 4) if row["concluded"] else None
    row["avg_working_days"] = round(sum(days) / len(days), 2) if days else None
    row["rating_avg"] = round(sum(scores) / len(scores), 2) if scores else None
    return row


def period_report(
    store: Store,
    period: str,
    *,
    calendar: HolidayCalendar,
    items: Mapping[str, ServiceItem] | None = None,
) -> CaseReport:
    """Every figure of ``period`` (``YYYY-MM``), per department and item, with totals."""
    start, end = period_bounds(period)
    catalog = items if items is not None else service_items()
    s, c = schema.service_case, schema.case_card

    def within(col: Any) -> Any:
        return and_(col >= start, col < end)

    def inside(value: datetime | None) -> bool:
        v = _aware(value)
        return v is not None and start <= v < end

    with store.engine.connect() as conn:
        cases = conn.execute(select(s).where(or_(
            within(s.c.received_at), within(s.c.concluded_at), within(s.c.forwarded_at),
            within(s.c.rated_at)))).mappings().all()  # fmt: skip
        cards = conn.execute(select(s.c.department, s.c.item_code, c.c.kind)
                             .join(s, s.c.case_no == c.c.case_no)
                             .where(within(c.c.raised_at))).all()  # fmt: skip
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)

    def row(department: str, code: str) -> dict[str, Any]:
        if (department, code) not in rows:
            item = catalog.get(code)
            rows[(department, code)] = {"department": department, "item_code": code,
                                        "item_name": item.name if item else "",
                                        **dict.fromkeys(COUNTS, 0)}  # fmt: skip
        return rows[(department, code)]

    for case in cases:
        key = (case["department"], case["item_code"])
        r, item = row(*key), catalog.get(case["item_code"])
        if inside(case["received_at"]):
            r["received"] += 1
            r["online"] += case["channel"] == "online"
            r["proofs_spared"] += item.proofs_spared() if item else 0
        if inside(case["concluded_at"]) and case["accepted_at"] is not None and item:
            reading = read_clock(
                calendar, limit=item.time_limit_days, accepted_at=_aware(case["accepted_at"]),  # type: ignore[arg-type]
                suspensions=case["suspensions"] or [], suspended_at=None,
                concluded_at=_aware(case["concluded_at"]), today=end.date(),
            )  # fmt: skip
            r["concluded"] += 1
            r["on_time"] += not reading.overdue
            days[key].append(reading.used)
        if inside(case["forwarded_at"]):
            r["forwarded"] += 1
            r["forward_answered"] += case["forward_answered_at"] is not None
        if inside(case["rated_at"]) and case["rating"] is not None:
            r["ratings"] += 1
            scores[key].append(case["rating"])
    for department, code, kind in cards:
        row(department, code)[kind] += 1
    out = [_finish(rows[k], days[k], scores[k]) for k in sorted(rows)]
    totals = _finish(
        {"department": "合计", "item_code": "", "item_name": "",
         **{n: sum(r[n] for r in out) for n in COUNTS}},
        [d for k in sorted(rows) for d in days[k]], [x for k in sorted(rows) for x in scores[k]],
    )  # fmt: skip
    return CaseReport(period, out, totals)
