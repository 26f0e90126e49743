"""The supervision clock: working days used and left of a case's promised time limit.

Counting follows the usual rule for time limits: the day of acceptance (受理) is not
counted; each later working day is, when the clock is running at its end, so a day the
case spends suspended (挂起: legally paused time) is not counted, while the day it
resumes is. Dates are Beijing dates.

    >>> reading = read_clock(HolidayCalendar(), limit=3,
    ...     accepted_at=datetime(2026, 9, 29, 2, tzinfo=UTC), suspensions=[],
    ...     suspended_at=None, concluded_at=None, today=date(2026, 10, 8))
    >>> reading.deadline, reading.used, reading.overdue   # 9-30; 10-01..07 off; 10-08, 10-09
    (datetime.date(2026, 10, 9), 2, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from exchange.supervision.calendar import CalendarError, HolidayCalendar

__all__ = ["BEIJING", "ClockReading", "local_date", "read_clock"]

BEIJING = timezone(timedelta(hours=8), "CST")
_MAX_DAYS = 3 * 366  # a limit never spans more; stops a walk over a broken calendar


def local_date(ts: datetime) -> date:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(BEIJING).date()


def _pauses(
    suspensions: Sequence[Sequence[str | datetime]], suspended_at: datetime | None
) -> list[tuple[date, date | None]]:
    """[first paused date, first running date) of each pause; None while still paused."""
    out: list[tuple[date, date | None]] = []
    for start, end in suspensions:
        s = start if isinstance(start, datetime) else datetime.fromisoformat(start)
        e = end if isinstance(end, datetime) else datetime.fromisoformat(end)
        out.append((local_date(s), local_date(e)))
    if suspended_at is not None:
        out.append((local_date(suspended_at), None))
    return out


def _counts(day: date, pauses: list[tuple[date, date | None]]) -> bool:
    return not any(s <= day and (e is None or day < e) for s, e in pauses)


@dataclass(frozen=True, slots=True)
class ClockReading:
    limit: int
    used: int
    """Working days counted from acceptance through today (or through conclusion)."""
    deadline: date | None
    """The last day of the limit; None while paused, or when the calendar ends first."""
    deadline_problem: str | None
    paused: bool
    overdue: bool
    """The limit passed before today (or before conclusion)."""

    @property
    def remaining(self) -> int:
        return self.limit - self.used


def _used(cal: HolidayCalendar, start: date, through: date, pauses: list) -> int:
    n, day = 0, start + timedelta(1)
    while day <= through:
        if cal.is_workday(day) and _counts(day, pauses):
            n += 1
        day += timedelta(1)
    return n


def _deadline(cal: HolidayCalendar, start: date, limit: int, pauses: list) -> date:
    n, day = 0, start
    for _ in range(_MAX_DAYS):
        day += timedelta(1)
        if cal.is_workday(day) and _counts(day, pauses):
            n += 1
            if n == limit:
                return day
    raise CalendarError(f"no deadline within {_MAX_DAYS} days of {start}")


def read_clock(
    cal: HolidayCalendar,
    *,
    limit: int,
    accepted_at: datetime,
    suspensions: Sequence[Sequence[str | datetime]],
    suspended_at: datetime | None,
    concluded_at: datetime | None,
    today: date,
) -> ClockReading:
    """Where a case accepted at ``accepted_at`` stands on ``today`` (or at its conclusion).

    Whether the limit passed needs the calendar only up to ``today``; the deadline date
    may need a later year, and is None (with the reason) when that year is unknown.
    """
    start = local_date(accepted_at)
    end = local_date(concluded_at) if concluded_at is not None else today
    pauses = _pauses(suspensions, suspended_at if concluded_at is None else None)
    used = _used(cal, start, end, pauses)
    overdue = end > start and _used(cal, start, end - timedelta(1), pauses) >= limit
    deadline, problem = None, None
    paused = concluded_at is None and suspended_at is not None
    if not paused:
        try:
            deadline = _deadline(cal, start, limit, pauses)
        except CalendarError as exc:
            problem = str(exc)
    return ClockReading(limit, used, deadline, problem, paused, overdue)
