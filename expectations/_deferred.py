"""Modules Great Expectations imports but the gate never uses, deferred to first use.

Importing GX imports every built-in expectation, and the distribution ones import
scipy.stats and altair at the top: a third of GX's import time, paid by every process
that validates, for expectations the hub's suites never run. Importing this module
first puts a stand-in for each in ``sys.modules``; the real module loads on the first
attribute read, so an expectation that does use it still works.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["DEFERRED", "defer"]

DEFERRED = ("scipy.stats", "altair")


def defer(name: str) -> None:
    """Make ``import name`` cheap: the module runs when something first reads from it.

    In its place stands a module that imports the real one on the first attribute read
    and hands every read on to it. (``importlib.util.LazyLoader`` will not do: the next
    ``import`` statement of the module reads ``__spec__``, which loads it.)"""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = types.ModuleType(name)
    stand_in.__spec__ = spec
    if spec.submodule_search_locations is not None:  # a package: its submodules import
        stand_in.__path__ = list(spec.submodule_search_locations)

    def load(attribute: str) -> Any:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = load  # type: ignore[method-assign]
    sys.modules[name] = stand_in


for _name in DEFERRED:
    defer(_name)
