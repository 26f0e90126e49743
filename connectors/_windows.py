"""Time-window paging for REST systems that only answer "changed between A and B".

A pass asks for consecutive windows ``[from, to)`` of the definition's width, from the
saved cursor (the very first pass: ``start``) up to the moment the pass began, less
``lag``; the last window is cut short there. Each window is read to its end by the
system's own paging (``within``).

Cursor (stored with each page): ``{"until": D, "to": T, "next": N}`` — every change before
``D`` is stored; ``to`` is the end of the window being read (None between windows) and
``next`` the position of its next page by the system's paging. The cursor moves past a
window only with the last page of a whole window: a run cut short inside one resumes
there with the same ``to``, so the window's own paging stays consistent, and the last
window, cut short at now, is read but not passed (the next pass reads it again, its
records merging as unchanged). So ``until`` is always ``start`` plus whole windows,
whenever the runs happen. Windows are half-open, so a record changed exactly at an edge
belongs to the window it opens, read once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from connectors.base import Page
from connectors.paging import WindowPagination, seconds_of
from tongban.errors import FatalError

if TYPE_CHECKING:
    from connectors.rest import RestConnector

__all__ = ["window_pages", "windows"]


def windows(done: datetime, end: datetime, width: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """``[from, to)`` pairs of ``width`` from ``done`` up to ``end``, the last cut short.

    >>> from datetime import datetime, timedelta
    >>> [(a.day, b.day) for a, b in windows(datetime(2026, 1, 1), datetime(2026, 1, 3, 12),
    ...                                      timedelta(days=1))]
    [(1, 2), (2, 3), (3, 3)]
    """
    start = done
    while start < end:
        stop = min(start + width, end)
        yield start, stop
        start = stop


def _time(text: str, where: str, zone: tzinfo | None) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise FatalError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when


def window_pages(connector: RestConnector, pg: WindowPagination, cursor: Any) -> Iterator[Page]:
    """Pages of every window after ``cursor`` up to now (see the module's docstring)."""
    name = connector.name
    first = _time(pg.start, f"{name}: transport.pagination.start", None)
    zone = first.tzinfo
    state = dict(cursor or {})
    if "until" not in state and state:
        raise FatalError(
            f"{name}: the saved cursor {state} is not a time-window cursor (the pagination"
            " changed kind); reset the source's cursor to start over"
        )
    done = _time(state["until"], f"{name}: saved cursor", zone) if state else first
    now = datetime.now(zone).replace(microsecond=0) - timedelta(seconds=seconds_of(pg.lag))
    width = timedelta(seconds=seconds_of(pg.window))
    resume_to = state.get("to")
    if resume_to is not None:
        stop = _time(resume_to, f"{name}: saved cursor", zone)
        if stop - done >= width:  # a whole window cut short: finish it as it was asked
            yield from _one_window(connector, pg, done, stop, state.get("next"), whole=True)
            done = stop
        # else the last window of a pass cut short: read again from its start below
    for start, stop in windows(done, now, width):
        yield from _one_window(connector, pg, start, stop, None, whole=stop - start >= width)


def _one_window(
    connector: RestConnector, pg: WindowPagination, start: datetime, stop: datetime,
    position: Any, *, whole: bool,
) -> Iterator[Page]:  # fmt: skip
    query: dict[str, Any] = dict(connector.t.params)
    query[pg.from_param] = _text(start, pg.time_format)
    query[pg.to_param] = _text(stop, pg.time_format)
    for records, _, nxt in connector.walk(pg.within, query, position):
        if nxt is None:  # the window's last page: past it, if it was a whole one
            state = {"until": (stop if whole else start).isoformat(), "to": None, "next": None}
        else:
            state = {"until": start.isoformat(), "to": stop.isoformat(), "next": nxt}
        yield Page(records, state)


def _text(when: datetime, pattern: str | None) -> str:
    return when.isoformat() if pattern is None else when.strftime(pattern)
