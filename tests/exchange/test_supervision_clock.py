"""The supervision clock on real dates: Spring Festival and National Day 2026, their
make-up working days, suspension, and years the calendar does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from exchange.cases import ServiceItem, service_items
from exchange.supervision import CalendarError, HolidayCalendar, due_cards, read_clock

CST = timezone(timedelta(hours=8))
CAL = HolidayCalendar()
FIVE = ServiceItem("T5", "五日事项", "公共服务", "测试局", 5, ())  # yellow at 1 day left
TEN = service_items()["11110000RS0201"]  # 生育津贴申领: 10 days, yellow at 2 left


def _read(limit: int, accepted: datetime, today: date, *, suspensions=(), suspended=None,
          concluded=None):  # type: ignore[no-untyped-def]  # fmt: skip
    return read_clock(CAL, limit=limit, accepted_at=accepted, suspensions=list(suspensions),
                      suspended_at=suspended, concluded_at=concluded, today=today)  # fmt: skip


def _case(accepted: datetime, **kw: object) -> dict[str, object]:
    return {"case_no": "C1", "accepted_at": accepted, "suspensions": [], "suspended_at": None,
            "concluded_at": None, **kw}  # fmt: skip


def _cards(item: ServiceItem, case: dict, today: date, have: set[str] | None = None) -> list[str]:
    now = datetime.combine(today, datetime.min.time(), CST).replace(hour=12)
    return [c.kind for c in due_cards(case, item, CAL, now, have or set())]


def test_the_holiday_calendar_knows_the_make_up_days() -> None:
    assert not CAL.is_workday(date(2026, 2, 17))  # 春节
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, worked instead
    assert CAL.is_workday(date(2026, 2, 28))
    assert not CAL.is_workday(date(2026, 10, 6))  # 国庆
    assert CAL.is_workday(date(2026, 9, 20)) and CAL.is_workday(date(2026, 10, 10))


def test_spring_festival_five_working_days() -> None:
    accepted = datetime(2026, 2, 12, 10, tzinfo=CST)  # Thursday before the festival
    # Counted: 02-13, 02-14 (make-up Saturday), then 02-24, 02-25, 02-26.
    assert _read(5, accepted, date(2026, 2, 20)).deadline == date(2026, 2, 26)
    assert _read(5, accepted, date(2026, 2, 20)).used == 2
    archive = FIVE
    case = _case(accepted)
    assert _cards(archive, case, date(2026, 2, 20)) == []  # in the holiday: 3 days left
    assert _cards(archive, case, date(2026, 2, 25)) == ["yellow"]  # 1 left
    assert _cards(archive, case, date(2026, 2, 25), {"yellow"}) == []  # raised once
    assert _cards(archive, case, date(2026, 2, 26), {"yellow"}) == []  # the last day
    assert _cards(archive, case, date(2026, 2, 27), {"yellow"}) == ["red"]
    concluded = _case(accepted, concluded_at=datetime(2026, 2, 26, 16, tzinfo=CST))
    assert _cards(archive, concluded, date(2026, 3, 10)) == []  # on time
    late = _case(accepted, concluded_at=datetime(2026, 2, 27, 9, tzinfo=CST))
    assert _cards(archive, late, date(2026, 3, 10)) == ["red"]


def test_spring_festival_with_a_suspension() -> None:
    accepted = datetime(2026, 2, 12, 10, tzinfo=CST)
    pause = [datetime(2026, 2, 13, 15, tzinfo=CST), datetime(2026, 2, 24, 9, tzinfo=CST)]
    # 02-13 and 02-14 end suspended, so the count starts on 02-24: 24, 25, 26, 27, 28.
    reading = _read(5, accepted, date(2026, 2, 27), suspensions=[pause])
    assert (reading.deadline, reading.used, reading.overdue) == (date(2026, 2, 28), 4, False)
    case = _case(accepted, suspensions=[[p.isoformat() for p in pause]])
    assert _cards(FIVE, case, date(2026, 2, 26)) == []
    assert _cards(FIVE, case, date(2026, 2, 27)) == ["yellow"]
    assert _cards(FIVE, case, date(2026, 3, 1), {"yellow"}) == ["red"]
    # While suspended the clock stands still: no deadline, no card.
    paused = _case(accepted, suspended_at=pause[0])
    assert _read(5, accepted, date(2026, 3, 20), suspended=pause[0]).deadline is None
    assert _cards(FIVE, paused, date(2026, 3, 20)) == []


def test_national_day_ten_working_days() -> None:
    accepted = datetime(2026, 9, 24, 16, tzinfo=CST)  # Thursday; 09-25 is 中秋
    # Counted: 09-28, 29, 30, 10-08, 09, 10 (make-up Saturday), 12, 13, 14, 15.
    assert _read(10, accepted, date(2026, 10, 1)).deadline == date(2026, 10, 15)
    food = TEN
    case = _case(accepted)
    assert _cards(food, case, date(2026, 10, 5)) == []  # 3 used, in the holiday
    assert _cards(food, case, date(2026, 10, 12)) == []  # 7 used, 3 left
    assert _cards(food, case, date(2026, 10, 13)) == ["yellow"]
    assert _cards(food, case, date(2026, 10, 16), {"yellow"}) == ["red"]
    # A red card straight away when nobody looked in time.
    assert _cards(food, case, date(2026, 10, 19)) == ["red"]


def test_an_unknown_year_is_a_clear_error_and_a_calendar_file_adds_it(tmp_path) -> None:
    accepted = datetime(2026, 12, 28, 10, tzinfo=CST)
    reading = _read(10, accepted, date(2026, 12, 30))
    assert reading.used == 2 and reading.deadline is None
    assert "2027" in (reading.deadline_problem or "")
    with pytest.raises(CalendarError, match=r"no official holiday calendar for 2027.*add 2027"):
        _read(10, accepted, date(2027, 1, 5))
    path = tmp_path / "calendar.yaml"
    path.write_text("years:\n  2027:\n    holidays: ['2027-01-01', '2027-01-04..2027-01-05']\n"
                    "    workdays: ['2027-01-09']\n", encoding="utf-8")  # fmt: skip
    cal = HolidayCalendar.from_file(path)
    assert not cal.is_workday(date(2027, 1, 4)) and cal.is_workday(date(2027, 1, 9))
    assert cal.is_workday(date(2026, 12, 31))  # the library's years stay
    with_2027 = read_clock(
        cal,
        limit=10,
        accepted_at=accepted,
        suspensions=[],
        suspended_at=None,
        concluded_at=None,
        today=date(2027, 1, 6),
    )
    # 12-29, 30, 31; 01-01 off; 01-04, 05 off; 01-06 -> 4 used.
    assert with_2027.used == 4
    # 01-07, 08, 09 (make-up), 11, 12, 13.
    assert with_2027.deadline == date(2027, 1, 13)
    with pytest.raises(CalendarError, match="2028"):
        cal.is_workday(date(2028, 1, 3))


def test_a_calendar_file_can_override_a_known_year(tmp_path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("years:\n  2026:\n    holidays: ['2026-11-02']\n", encoding="utf-8")
    cal = HolidayCalendar.from_file(path)
    assert not cal.is_workday(date(2026, 11, 2))
    assert not cal.is_workday(date(2026, 10, 10))  # the file's year replaces the library's


def test_a_broken_calendar_file_names_the_line_at_fault(tmp_path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("years:\n  2027:\n    holidays: ['2027-02-30']\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"calendar.yaml, year 2027: '2027-02-30'"):
        HolidayCalendar.from_file(path)


def test_time_is_read_in_beijing() -> None:
    # 23:30 UTC on 02-12 is 07:30 on 02-13 in Beijing: accepted on the 13th.
    reading = _read(5, datetime(2026, 2, 12, 23, 30, tzinfo=UTC), date(2026, 2, 14))
    assert reading.used == 1
