"""The shared store of people, enterprises and licenses (SQLite or PostgreSQL)."""

from tongban.store.columns import IncomingColumns
from tongban.store.merge import Incoming, MergeRules
from tongban.store.store import BatchResult, QuarantineEntry, Store

__all__ = ["BatchResult", "Incoming", "IncomingColumns", "MergeRules", "QuarantineEntry", "Store"]
