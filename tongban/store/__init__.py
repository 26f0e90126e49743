"""The shared store of people, enterprises and licenses (SQLite or PostgreSQL).

``schema`` holds its tables, which other packages query and write their own rows in;
``utcnow`` is the clock every stored timestamp is read from.
"""

from tongban.store import schema
from tongban.store.merge import Incoming, MergeRules
from tongban.store.store import BatchResult, ChildBatch, QuarantineEntry, Store, utcnow

__all__ = [
    "BatchResult",
    "ChildBatch",
    "Incoming",
    "MergeRules",
    "QuarantineEntry",
    "Store",
    "schema",
    "utcnow",
]
