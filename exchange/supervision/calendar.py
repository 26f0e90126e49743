"""Working days on the official Chinese holiday calendar (法定节假日 and 调休 make-up days).

The years the ``chinese-calendar`` library knows come from it; a calendar file adds the
years it does not know yet, or overrides one (the State Council publishes next year's
arrangement each autumn). A year known to neither is an error, never a guess.

Calendar file (YAML)::

    years:
      2027:
        holidays: ["2027-01-01", "2027-02-06..2027-02-14"]
        workdays: ["2027-02-20"]

In a year from the file, a day is a working day when it is listed under ``workdays``,
or is a Monday to Friday not listed under ``holidays``.

    >>> cal = HolidayCalendar()
    >>> cal.is_workday(date(2026, 10, 1)), cal.is_workday(date(2026, 10, 10))
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from tongban.errors import FatalError

__all__ = ["CalendarError", "HolidayCalendar", "YearDays"]

_LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class CalendarError(FatalError):
    """No official calendar is known for a date's year."""


@dataclass(frozen=True, slots=True)
class YearDays:
    """One year's arrangement: days off on weekdays, and weekend days worked."""

    holidays: frozenset[date]
    workdays: frozenset[date]


def _dates(values: Iterable[Any] | None, where: str) -> frozenset[date]:
    out: set[date] = set()
    for value in values or ():
        text = str(value)
        try:
            if ".." in text:
                first, last = (date.fromisoformat(p.strip()) for p in text.split("..", 1))
                out.update(first + timedelta(n) for n in range((last - first).days + 1))
            else:
                out.add(value if isinstance(value, date) else date.fromisoformat(text))
        except ValueError:
            raise FatalError(f"{where}: {text!r} is not a date or a range a..b") from None
    return frozenset(out)


def _read_file(path: Path) -> dict[int, YearDays]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise FatalError(f"calendar file {path}: {exc.strerror}") from None
    years: dict[int, YearDays] = {}
    for year, days in (data.get("years") or {}).items():
        where = f"calendar file {path}, year {year}"
        days = days or {}
        unknown = set(days) - {"holidays", "workdays"}
        if unknown:
            raise FatalError(f"{where}: unknown keys {sorted(unknown)} (holidays, workdays)")
        entry = YearDays(_dates(days.get("holidays"), where), _dates(days.get("workdays"), where))
        stray = [d for d in entry.holidays | entry.workdays if d.year != int(year)]
        if stray:
            raise FatalError(f"{where}: {min(stray)} is not in {year}")
        years[int(year)] = entry
    return years


class HolidayCalendar:
    """Is a date a working day? Library years, plus or overridden by a calendar file."""

    def __init__(self, years: Mapping[int, YearDays] | None = None, *, source: str = "") -> None:
        self._years = dict(years or {})
        self._source = source

    @classmethod
    def from_file(cls, path: Path | None) -> HolidayCalendar:
        if path is None:
            return cls()
        return cls(_read_file(path), source=str(path))

    def known_years(self) -> list[int]:
        return sorted(set(_LIBRARY_YEARS) | set(self._years))

    def is_workday(self, day: date) -> bool:
        own = self._years.get(day.year)
        if own is not None:
            if day in own.workdays:
                return True
            return day.weekday() < 5 and day not in own.holidays
        if day.year in _LIBRARY_YEARS:
            return bool(chinese_calendar.is_workday(day))
        where = self._source or "a calendar file (TONGBAN_SUPERVISION_CALENDAR_FILE)"
        raise CalendarError(
            f"no official holiday calendar for {day.year} (needed for {day.isoformat()}):"
            f" the chinese-calendar library knows {_LIBRARY_YEARS.start}-"
            f"{_LIBRARY_YEARS.stop - 1}; add {day.year}'s holidays and make-up working days"
            f" to {where}"
        )
