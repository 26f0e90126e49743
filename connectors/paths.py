"""Paths into nested records, as definitions write them (``records_path``, a mapping's
``from``, ``each``).

A path is dotted steps: a key (``QLRLIST``), ``[n]`` (item n of a list; ``.n`` is the
same) or ``[*]`` (every item of a list). A key holding one element where a list was
expected is a list of that one element, and a key step on a list of exactly one
element reads that element: XML gives a repeated element that occurs once as the
element itself, and zeep and xmltodict pass that on.

    >>> record = {"QLRLIST": {"QLR": [{"ZJHM": "1"}, {"ZJHM": "2"}]}}
    >>> select(record, parse_path("QLRLIST.QLR[*].ZJHM"))
    ['1', '2']
    >>> get({"QLRLIST": {"QLR": {"ZJHM": "1"}}}, parse_path("QLRLIST.QLR[0].ZJHM"))
    '1'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["EVERY", "PathSteps", "get", "is_plain", "parse_path", "select", "selects_many"]


class _Every:
    """The ``[*]`` step."""

    def __repr__(self) -> str:
        return "[*]"


EVERY: Final = _Every()
PathSteps = tuple[str | int | _Every, ...]

_STEP = re.compile(r"\[(\*|\d+)\]")


def is_plain(path: str) -> bool:
    """A field name that is not a path (no dot, no bracket)."""
    return "." not in path and "[" not in path


def parse_path(path: str) -> PathSteps:
    """The steps of ``path``; ValueError naming what is wrong with it."""
    if not path or not path.strip():
        raise ValueError("a path is empty")
    steps: list[str | int | _Every] = []
    for part in path.split("."):
        if part == "":
            raise ValueError(f"{path!r} has an empty step")
        head, _, rest = part.partition("[")
        if head:
            if "]" in head:
                raise ValueError(f"{path!r}: unmatched ']' in {part!r}")
            steps.append(EVERY if head == "*" else int(head) if head.isdigit() else head)
        if rest:
            brackets = "[" + rest
            found = _STEP.findall(brackets)
            if "".join(f"[{s}]" for s in found) != brackets:
                raise ValueError(f"{path!r}: {part!r} is not a key followed by [n] or [*] steps")
            steps.extend(EVERY if s == "*" else int(s) for s in found)
    return tuple(steps)


def selects_many(steps: PathSteps) -> bool:
    """Whether the path selects every item of some list (it yields a list)."""
    return any(step is EVERY for step in steps)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]  # one element where XML had one: a list of one


def _step(value: Any, step: str | int) -> Any:
    if isinstance(step, int):
        items = _items(value)
        return items[step] if step < len(items) else None
    if isinstance(value, Mapping):
        return value.get(step)
    if isinstance(value, list | tuple) and len(value) == 1 and isinstance(value[0], Mapping):
        return value[0].get(step)
    return None


def get(document: Any, steps: PathSteps) -> Any:
    """The one value at a path without ``[*]``; None when a step is missing."""
    value = document
    for step in steps:
        if value is None:
            return None
        if step is EVERY:
            raise ValueError("a path with [*] selects a list: use select()")
        value = _step(value, step)  # type: ignore[arg-type]
    return value


def select(document: Any, steps: PathSteps) -> list[Any]:
    """Every value the path selects, in order, missing ones left out (a path without
    ``[*]`` gives its one value, or nothing)."""
    current = [document]
    for step in steps:
        following: list[Any] = []
        for value in current:
            if value is None:
                continue
            if step is EVERY:
                following.extend(_items(value))
            else:
                following.append(_step(value, step))  # type: ignore[arg-type]
        current = following
    return [v for v in current if v is not None]
