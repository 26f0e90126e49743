"""How a REST system pages, as a definition declares it (``transport.pagination``): by
cursor, page number, offset, ``Link`` header, or time window over one of those.

    >>> WindowPagination(kind="window", window="1d", start="2026-10-01T00:00:00+08:00").within.kind
    'cursor'
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CursorPagination",
    "LinkPagination",
    "OffsetPagination",
    "PagePagination",
    "Pagination",
    "WindowPagination",
    "seconds_of",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CursorPagination(_Strict):
    """Each page names the cursor of the next (at ``next_cursor_path``).

    A page without it ends the pass only when it is the last page by ``last_page``:
    ``null_cursor`` (the page gives the cursor field as null or empty), ``empty`` (the page
    has no records), ``short`` (fewer records than ``limit``) or ``has_more`` (the value at
    ``has_more_path`` is false). Any other page without a cursor, or a cursor the pass has
    seen before, stops the run with an error instead of ending it early or looping."""

    kind: Literal["cursor"]
    cursor_param: str = "cursor"
    next_cursor_path: str = "next_cursor"
    limit_param: str = "limit"
    limit: int = Field(500, ge=1)
    last_page: Literal["null_cursor", "empty", "short", "has_more"] = "null_cursor"
    has_more_path: str = "has_more"


class PagePagination(_Strict):
    kind: Literal["page"]
    page_param: str = "page"
    size_param: str = "size"
    size: int = Field(500, ge=1)
    first_page: int = 1


class OffsetPagination(_Strict):
    kind: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(500, ge=1)


class LinkPagination(_Strict):
    """Each page names the URL of the next in an HTTP ``Link`` header (``<url>;
    rel="next"``, RFC 8288); the page without one is the last. The first request sends
    ``limit``; the next URLs carry every parameter themselves."""

    kind: Literal["link"]
    limit_param: str = "limit"
    limit: int = Field(500, ge=1)


WithinWindow = Annotated[
    CursorPagination | PagePagination | OffsetPagination | LinkPagination,
    Field(discriminator="kind"),
]

_WIDTH = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _duration(value: str, *, positive: bool) -> str:
    match = _WIDTH.match(value)
    if match is None or (positive and int(match.group(1)) == 0):
        raise ValueError(
            f"{value!r} is not a {'width' if positive else 'duration'}: a number and a unit,"
            " s, m, h, d or w (1d, 6h, 30m)"
        )
    return value


def seconds_of(value: str) -> int:
    """``1d`` -> 86400."""
    match = _WIDTH.match(value)
    assert match is not None, value  # the model checked it
    return int(match.group(1)) * _SECONDS[match.group(2)]


class WindowPagination(_Strict):
    """For systems that only answer "changed between A and B": consecutive windows
    ``[from, to)`` of ``window`` width, from the saved cursor (the first pass: ``start``)
    up to now less ``lag``, each read to its end by the system's own paging (``within``).
    The cursor moves past a window only once its last page is stored, so a run cut short
    resumes inside that window, and a record changed exactly at an edge belongs to the
    window it opens: neither skipped nor read twice."""

    kind: Literal["window"]
    window: str = Field(..., description="width of one window: 1d, 6h, 30m")
    start: str = Field(..., description="ISO 8601 change time the very first pass starts at")
    from_param: str = "from"
    to_param: str = "to"
    time_format: str | None = Field(
        None, description="strftime pattern of the two times; default ISO 8601 with offset"
    )
    lag: str = Field("0s", description="leave the last moments to the next run: clock skew")
    within: WithinWindow = Field(
        default=CursorPagination(kind="cursor"), description="the system's paging in a window"
    )

    @field_validator("window")
    @classmethod
    def _width(cls, value: str) -> str:
        return _duration(value, positive=True)

    @field_validator("lag")
    @classmethod
    def _lag(cls, value: str) -> str:
        return _duration(value, positive=False)

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if "${" in value:
            return value  # resolved from the environment when the source is opened
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"start {value!r} is not an ISO 8601 time") from None
        if when.tzinfo is None:
            raise ValueError(f"start {value!r} needs its UTC offset (+08:00)")
        return value


Pagination = Annotated[
    CursorPagination | PagePagination | OffsetPagination | LinkPagination | WindowPagination,
    Field(discriminator="kind"),
]
