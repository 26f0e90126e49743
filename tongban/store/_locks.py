"""One writer per source: a PostgreSQL advisory lock, or a lock file for SQLite."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from tongban.errors import FatalError
from tongban.store.dialect import dialect_of


def _lock_id(source: str) -> int:
    digest = hashlib.sha256(f"tongban.sync:{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def source_lock(engine: Engine, source: str) -> Iterator[None]:
    busy = FatalError(f"another sync of {source} is running; try again when it has finished")
    if dialect_of(engine).advisory_locks:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(source)})
            if not got.scalar():
                raise busy
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(source)})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # one process owns an in-memory store
        return
    path = Path(f"{database}.{source}.lock")
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
