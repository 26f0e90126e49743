"""The run log and the sources' sync cursors: what each run did, and where each source's
next sync resumes.

A batch's counts and its cursor are written by :mod:`tongban.store.writer` in the
batch's own transaction (:func:`count_in_run`, :func:`set_cursor`), so a run killed
half-way still shows exactly what it committed, and resumes right after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update

from tongban.store import schema
from tongban.store._locks import source_lock
from tongban.store.dialect import dialect_of
from tongban.store.golden import utcnow
from tongban.text import storable

if TYPE_CHECKING:
    from tongban.store.writer import BatchResult

__all__ = ["RunLog", "count_in_run", "set_cursor"]

Row = dict[str, Any]


class RunLog:
    """Runs and cursors over ``engine``; ``rows`` reads a query as the store's rows."""

    def __init__(self, engine: Engine, rows: Callable[[Any], list[Row]]):
        self.engine = engine
        self._rows = rows

    def start_run(self, source: str, *, entity: str | None = None, kind: str = "load") -> str:
        run_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                sa_insert(schema.run_log),
                {
                    "run_id": run_id, "source": source, "entity": entity, "kind": kind,
                    "status": "running", "started_at": utcnow(), "read": 0, "inserted": 0,
                    "updated": 0, "unchanged": 0, "quarantined": 0, "conflicts": 0,
                },
            )  # fmt: skip
        return run_id

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        counts: Mapping[str, int],
        timings: Mapping[str, float] | None = None,
        message: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa_update(schema.run_log)
                .where(schema.run_log.c.run_id == run_id)
                .values(
                    status=status,
                    finished_at=utcnow(),
                    timings=dict(timings or {}),
                    message=storable(message),
                    **{k: int(v) for k, v in counts.items()},
                )
            )

    def runs(self, *, source: str | None = None, limit: int = 20) -> list[Row]:
        q = select(schema.run_log).order_by(schema.run_log.c.started_at.desc()).limit(limit)
        if source:
            q = q.where(schema.run_log.c.source == source)
        return self._rows(q)

    def run(self, run_id: str) -> Row | None:
        rows = self._rows(select(schema.run_log).where(schema.run_log.c.run_id == run_id))
        return rows[0] if rows else None

    def interrupt_runs(self, source: str, *, keep: str | None = None) -> int:
        """Mark runs of ``source`` still 'running' as 'interrupted' (their process died:
        call this only while holding :meth:`source_lock`). Returns how many."""
        rl = schema.run_log
        q = sa_update(rl).where(rl.c.source == source, rl.c.status == "running")
        if keep is not None:
            q = q.where(rl.c.run_id != keep)
        with self.engine.begin() as conn:
            result = conn.execute(
                q.values(
                    status="interrupted",
                    finished_at=utcnow(),
                    message="the process running it stopped without finishing (killed?);"
                    " what it committed stays, a later run resumed from its cursor",
                )
            )
        return int(result.rowcount or 0)

    def source_lock(self, source: str) -> AbstractContextManager[None]:
        """Hold this while syncing ``source``: one sync per source at a time, across
        processes (a PostgreSQL advisory lock, or a lock file beside the SQLite file)."""
        return source_lock(self.engine, source)

    # -- cursors ------------------------------------------------------------------------

    def sync_states(self) -> dict[str, Row]:
        return {row["source"]: row for row in self._rows(select(schema.sync_state))}

    def cursor(self, source: str) -> Any:
        ss = schema.sync_state
        with self.engine.connect() as conn:
            return conn.execute(select(ss.c.cursor).where(ss.c.source == source)).scalar()

    def forget_cursors(self, sources: Iterable[str]) -> None:
        """Drop the saved cursors of ``sources`` (the progress of a finished partition)."""
        names = list(sources)
        with self.engine.begin() as conn:
            conn.execute(sa_delete(schema.sync_state).where(schema.sync_state.c.source.in_(names)))


def set_cursor(conn: Connection, source: str, value: Any, run_id: str, now: datetime) -> None:
    """Move ``source``'s cursor to ``value``, in the caller's transaction."""
    stmt = dialect_of(conn).upsert(schema.sync_state)
    stmt = stmt.values(source=source, cursor=value, run_id=run_id, updated_at=now)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source"],
            set_={"cursor": stmt.excluded.cursor, "run_id": run_id, "updated_at": now},
        )
    )


def count_in_run(conn: Connection, run_id: str, result: BatchResult) -> None:
    """Add a batch's counts to its run in the batch's own transaction, so that a run
    that never finishes (killed) still shows exactly what it committed."""
    rl = schema.run_log
    read = result.inserted + result.updated + result.unchanged + result.quarantined
    conn.execute(
        sa_update(rl)
        .where(rl.c.run_id == run_id)
        .values(
            read=rl.c.read + read,
            inserted=rl.c.inserted + result.inserted,
            updated=rl.c.updated + result.updated,
            unchanged=rl.c.unchanged + result.unchanged,
            quarantined=rl.c.quarantined + result.quarantined,
            conflicts=rl.c.conflicts + result.conflicts,
        )
    )
