"""tongban's core, which every other package leans on: settings, the identifiers and
entities with their rules, the pipeline that runs a source's pages, and the shared store.

The names below are the ones most packages need; each part of the core (``tongban.errors``,
``tongban.identifiers``, ``tongban.store``, ...) is a surface of its own, its ``__all__``
the names other packages may import, and a module whose name starts with ``_`` is for
its own part only. They load on first use, so importing one small part
(``tongban.settings``) does not import the store or the pipeline.

    >>> from tongban import Settings, Store, SyncOptions
    >>> store = Store(Settings().store_url)                  # doctest: +SKIP
    >>> options = SyncOptions.from_settings(Settings())      # doctest: +SKIP
"""

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use (PEP 562): a name costs its module's import only when read.
_WHERE = {
    "ENTITIES": "entities",
    "BatchHeld": "errors",
    "FatalError": "errors",
    "RecordError": "errors",
    "RetriableError": "errors",
    "TongbanError": "errors",
    "MergeRules": "store",
    "Store": "store",
    "RunSummary": "pipeline",
    "load_records": "pipeline",
    "run_pages": "pipeline",
    "read_records": "loader",
    "Settings": "settings",
    "load_settings": "settings",
    "SyncOptions": "options",
}

if TYPE_CHECKING:
    from tongban.entities import ENTITIES
    from tongban.errors import BatchHeld, FatalError, RecordError, RetriableError, TongbanError
    from tongban.loader import read_records
    from tongban.options import SyncOptions
    from tongban.pipeline import RunSummary, load_records, run_pages
    from tongban.settings import Settings, load_settings
    from tongban.store import MergeRules, Store


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tongban' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tongban.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ENTITIES",
    "BatchHeld",
    "FatalError",
    "MergeRules",
    "RecordError",
    "RetriableError",
    "RunSummary",
    "Settings",
    "Store",
    "SyncOptions",
    "TongbanError",
    "load_records",
    "load_settings",
    "read_records",
    "run_pages",
]
