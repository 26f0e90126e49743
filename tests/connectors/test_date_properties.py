"""Dates as departments write them: every supported spelling of one date reads as that
date, through :func:`tongban.normalize.parse_date` and through the ``date`` transform of
a source mapping; a date that does not exist is refused under ``<field>.format``."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from connectors.definition import FieldMapping
from connectors.transforms import compile_mapping
from tongban.errors import RecordError
from tongban.normalize import parse_date

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Four-digit years: every spelling departments use writes the year in full.
dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
times = st.times()
SPACES = st.sampled_from(["", " ", "\u3000", "\t", " \u3000 "])


def full_width(text: str) -> str:
    """Every ASCII character but the space as its full-width form (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def spellings(y: int, m: int, d: int, at: time) -> dict[str, str]:
    """One date in each spelling tongban documents, by name."""
    return {
        "iso": f"{y:04d}-{m:02d}-{d:02d}",
        "compact": f"{y:04d}{m:02d}{d:02d}",
        "dashes": f"{y}-{m}-{d}",
        "slashes": f"{y}/{m:02d}/{d:02d}",
        "slashes, short": f"{y}/{m}/{d}",
        "dots": f"{y}.{m}.{d}",
        "年月日": f"{y}年{m}月{d}日",
        "年月日, padded": f"{y}年{m:02d}月{d:02d}日",
        "年月日, no 日": f"{y}年{m}月{d}",
        "ISO date-time": f"{y:04d}-{m:02d}-{d:02d}T{at.isoformat()}",
        "date and time": f"{y:04d}-{m:02d}-{d:02d} {at:%H:%M:%S}",
        "compact date-time": f"{y:04d}{m:02d}{d:02d}T{at:%H%M%S}",
    }


SPELLINGS = sorted(spellings(1990, 1, 1, time()))


@st.composite
def written(draw: st.DrawFn, y: int, m: int, d: int) -> tuple[str, str]:
    """(spelling name, text): one spelling, maybe in full-width characters, maybe padded
    with white space."""
    name = draw(st.sampled_from(SPELLINGS))
    text = spellings(y, m, d, draw(times))[name]
    if draw(st.booleans()):
        text, name = full_width(text), f"{name}, full-width"
    return name, draw(SPACES) + text + draw(SPACES)


def date_mapper(*transforms: Any) -> Any:
    field = FieldMapping.model_validate({"from": "登记日期", "transforms": list(transforms)})
    return compile_mapping({"registered_on": field})


MAPPINGS = {
    "date": date_mapper("date"),
    "trim, date": date_mapper("trim", "date"),
    "clean, date": date_mapper("clean", "date"),
    "fullwidth, date": date_mapper("fullwidth", "date"),
}


# -- every spelling of a date reads as that date --------------------------------------


@SETTINGS
@given(dates, st.data())
@example(date(1990, 1, 1), None)
def test_every_spelling_of_a_date_parses_to_that_date(day: date, data: Any) -> None:
    texts = [
        *spellings(day.year, day.month, day.day, time(23, 59, 59)).values(),
        *(full_width(t) for t in spellings(day.year, day.month, day.day, time()).values()),
    ]
    if data is not None:
        texts.append(data.draw(written(day.year, day.month, day.day))[1])
    for text in texts:
        assert parse_date(text) == day, text


@SETTINGS
@given(dates, times)
def test_date_and_datetime_values_are_taken_as_they_are(day: date, at: time) -> None:
    assert parse_date(day) == day
    assert parse_date(datetime.combine(day, at)) == day


@pytest.mark.parametrize("empty", [None, "", " ", "\u3000", "\t\n"])
def test_an_empty_value_is_no_date(empty: object) -> None:
    assert parse_date(empty) is None
    for mapper in MAPPINGS.values():
        assert mapper({"登记日期": empty}) == {"registered_on": None}


@SETTINGS
@given(dates, st.data(), st.sampled_from(sorted(MAPPINGS)))
def test_the_date_transform_reads_every_spelling_the_same(
    day: date, data: st.DataObject, mapping: str
) -> None:
    name, text = data.draw(written(day.year, day.month, day.day))
    assert MAPPINGS[mapping]({"登记日期": text}) == {"registered_on": day}, (name, text)


@SETTINGS
@given(dates, st.sampled_from(["%Y%m%d", "%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d", "%Y.%m.%d"]))
def test_a_date_in_a_declared_format_reads_back(day: date, fmt: str) -> None:
    mapper = date_mapper({"date": ["%d.%m.%Y", fmt]})
    text = day.strftime(fmt)
    assert mapper({"登记日期": text}) == {"registered_on": day}
    assert mapper({"登记日期": full_width(text)}) == {"registered_on": day}


@SETTINGS
@given(dates, st.sampled_from(["%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d"]))
def test_a_date_in_an_undeclared_format_is_refused_naming_the_formats(day: date, fmt: str) -> None:
    """Declared formats are the only ones read: the compact spelling the general rule
    would take is refused here."""
    mapper = date_mapper({"date": [fmt]})
    with pytest.raises(RecordError) as info:
        mapper({"登记日期": f"{day:%Y%m%d}"})
    assert (info.value.rule, info.value.field) == ("registered_on.format", "registered_on")
    assert fmt in info.value.message


# -- a date that does not exist is refused --------------------------------------------


@st.composite
def impossible(draw: st.DrawFn) -> tuple[int, int, int]:
    """Year, month and day of no date: day 0, a day past the month's end, month 0 or 13+."""
    y = draw(st.integers(1000, 9999))
    m = draw(st.integers(0, 99))
    d = draw(st.integers(0, 99) if not 1 <= m <= 12 else st.integers(28, 99) | st.just(0))
    try:
        date(y, m, d)
    except ValueError:
        return y, m, d
    assume(False)
    raise AssertionError("unreachable")


@SETTINGS
@given(impossible(), st.data(), st.sampled_from(["birth_date", "established_on", "valid_until"]))
@example((2023, 2, 29), None, "birth_date")  # not a leap year
@example((1900, 2, 29), None, "birth_date")  # divisible by 100, not by 400
@example((2026, 4, 31), None, "valid_until")
def test_a_date_that_does_not_exist_is_refused_in_every_spelling(
    ymd: tuple[int, int, int], data: Any, field: str
) -> None:
    y, m, d = ymd
    texts = list(spellings(y, m, d, time(8)).values())
    if data is not None:
        texts.append(data.draw(written(y, m, d))[1])
    for text in texts:
        with pytest.raises(RecordError) as info:
            parse_date(text, field=field)
        assert info.value.rule == f"{field}.format", text
        assert info.value.field == field
        assert info.value.value == text
        assert "not a real date" in info.value.message


@SETTINGS
@given(impossible(), st.data(), st.sampled_from(sorted(MAPPINGS)))
def test_the_date_transform_refuses_a_date_that_does_not_exist(
    ymd: tuple[int, int, int], data: st.DataObject, mapping: str
) -> None:
    name, text = data.draw(written(*ymd))
    with pytest.raises(RecordError) as info:
        MAPPINGS[mapping]({"登记日期": text})
    assert info.value.rule == "registered_on.format", (name, text)
    assert info.value.field == "registered_on"


@SETTINGS
@given(st.text(alphabet="年月日-/.:T ", max_size=6) | st.text(max_size=3).filter(str.isalpha))
def test_text_without_a_date_in_it_is_refused(text: str) -> None:
    assume(text.strip())
    with pytest.raises(RecordError) as info:
        parse_date(text, field="born")
    assert info.value.rule == "born.format"
    assert "is not a date" in info.value.message


@SETTINGS
@given(st.integers(1000, 9999), st.integers(1, 12), st.integers(1, 31))
@example(1990, 1, 11)
@example(1990, 1, 1)
def test_digits_alone_are_a_date_only_as_yyyymmdd(y: int, m: int, d: int) -> None:
    text = f"{y}{m}{d}"
    assume(len(text) < 8)
    with pytest.raises(RecordError) as info:
        parse_date(text, field="born")
    assert info.value.rule == "born.format"
