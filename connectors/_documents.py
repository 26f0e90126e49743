"""Reading a system's JSON answers: the value at a path (:mod:`connectors.paths`),
whether a path is there at all, and a value named for a one-line message."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.paths import EVERY, get, parse_path, select, selects_many

__all__ = ["cursor_key", "describe", "dig", "lookup", "short"]


def dig(document: Any, path: str) -> Any:
    """The value at a path (``data.items``, ``data.groups[*].items[*]``:
    :mod:`connectors.paths`); None when a step is missing."""
    if not path:
        return document
    steps = parse_path(path)
    return select(document, steps) if selects_many(steps) else get(document, steps)


def lookup(document: Any, path: str) -> tuple[bool, Any]:
    """Whether ``path`` (:mod:`connectors.paths`) is in ``document``, and its value; a
    path with ``[*]`` gathers the items of every list it passes (records grouped in the
    answer: ``data.groups[*].items[*]``)."""
    steps = parse_path(path)
    if selects_many(steps):
        head = steps[: steps.index(EVERY)]
        if head and get(document, head) is None:
            return False, None
        return True, select(document, steps)
    value = document
    for step in steps:
        at_item = isinstance(value, list) and isinstance(step, int) and step < len(value)
        if not at_item and not (isinstance(value, Mapping) and step in value):
            return False, None
        value = value[step]
    return True, value


def cursor_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def describe(value: Any) -> str:
    """What a JSON value is, for a message: ``a JSON string ('oops')``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a JSON boolean ({str(value).lower()})"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:40] + "…"
        return f"a JSON string ({short!r})"
    if isinstance(value, int | float):
        return f"a JSON number ({value})"
    if isinstance(value, list):
        return f"a JSON array of {len(value)}"
    if isinstance(value, Mapping):
        return "a JSON object"
    return type(value).__name__


def short(text: str) -> str:
    return text if len(text) <= 60 else text[:60] + "…"
