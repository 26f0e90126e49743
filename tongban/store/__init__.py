"""The shared store of people, enterprises and licenses (SQLite or PostgreSQL)."""

from tongban.store.merge import Incoming, MergeRules
from tongban.store.store import BatchResult, ChildBatch, QuarantineEntry, Store

__all__ = [
    "BatchResult",
    "ChildBatch",
    "Incoming",
    "MergeRules",
    "QuarantineEntry",
    "Store",
]
