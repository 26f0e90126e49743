"""The shared store: one object over a SQLAlchemy engine, SQLite or PostgreSQL alike.

:class:`Store` is the facade; each of its parts has one reason to change:
:mod:`~tongban.store.runs` (the run log and the sources' cursors),
:mod:`~tongban.store.writer` (the golden writer: one COPY writer, one merge),
:mod:`~tongban.store.reader` (golden rows, history, as-of) and
:mod:`~tongban.store.quality` (quarantine and quality records). What differs between
the two databases is decided in :mod:`~tongban.store.dialect`.

>>> store = Store("sqlite:///:memory:")
>>> store.migrate()
>>> store.get("person", "11010519491231002X") is None
True
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import Engine

from tongban.batch import Batch
from tongban.store._bulk import dumps
from tongban.store.checksum import store_checksum
from tongban.store.dialect import open_engine
from tongban.store.golden import utcnow
from tongban.store.merge import Incoming, MergeRules
from tongban.store.quality import QualityRecords, QuarantineEntry
from tongban.store.reader import Reader
from tongban.store.runs import RunLog
from tongban.store.writer import BatchResult, ChildBatch, GoldenWriter

__all__ = ["BatchResult", "ChildBatch", "QuarantineEntry", "Store", "utcnow"]

Row = dict[str, Any]


class Store:
    """Golden records with provenance and history, quarantine, sync state and the run log."""

    def __init__(
        self,
        url: str,
        *,
        rules: MergeRules | None = None,
        echo: bool = False,
        pool_size: int | None = None,
    ):
        """``pool_size``: at most this many connections, kept open, for threads that use
        the store at once (a thread beyond waits for one); by default SQLAlchemy's 5
        kept open and 10 more opened and closed as needed."""
        self.url = url
        self.engine: Engine = open_engine(
            url, json_serializer=dumps, echo=echo, pool_size=pool_size
        )
        self._reader = Reader(self.engine)
        # For one-statement reads (the exchange's key check, a client's grants).
        self.reads: Engine = self._reader.reads
        self._runs = RunLog(self.engine, self._reader.rows)
        self._writer = GoldenWriter(self.engine, rules or MergeRules.load())
        self._quality = QualityRecords(self.engine, self._reader.rows)

    @property
    def rules(self) -> MergeRules:
        """The merge rules the writer applies."""
        return self._writer.rules

    @rules.setter
    def rules(self, rules: MergeRules) -> None:
        self._writer.rules = rules

    # -- schema ---------------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Create the store or bring it to ``revision`` (Alembic migrations)."""
        # Imported here: Alembic takes most of a second to load, and only this needs it.
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option(
            "script_location", str(resources.files("tongban.store").joinpath("migrations"))
        )
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            except Exception:
                return None

    def dispose(self) -> None:
        self.engine.dispose()

    def checksum(self, *, cursors: bool = True, tables: Collection[str] | None = None) -> str:
        """A digest of what the store holds, independent of run ids and clock times:
        equal for two stores that loaded the same records, however the runs went.
        ``cursors=False`` leaves the sources' sync cursors out; ``tables`` keeps to the
        tables of those names."""
        return store_checksum(self.engine, cursors=cursors, tables=tables)

    # -- runs and cursors -------------------------------------------------------------

    def start_run(self, source: str, *, entity: str | None = None, kind: str = "load") -> str:
        return self._runs.start_run(source, entity=entity, kind=kind)

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        counts: Mapping[str, int],
        timings: Mapping[str, float] | None = None,
        message: str | None = None,
    ) -> None:
        self._runs.finish_run(run_id, status=status, counts=counts, timings=timings,
                              message=message)  # fmt: skip

    def runs(self, *, source: str | None = None, limit: int = 20) -> list[Row]:
        return self._runs.runs(source=source, limit=limit)

    def run(self, run_id: str) -> Row | None:
        return self._runs.run(run_id)

    def interrupt_runs(self, source: str, *, keep: str | None = None) -> int:
        """Mark runs of ``source`` still 'running' as 'interrupted' (their process died:
        call this only while holding :meth:`source_lock`). Returns how many."""
        return self._runs.interrupt_runs(source, keep=keep)

    def source_lock(self, source: str) -> AbstractContextManager[None]:
        """Hold this while syncing ``source``: one sync per source at a time, across
        processes (a PostgreSQL advisory lock, or a lock file beside the SQLite file)."""
        return self._runs.source_lock(source)

    def sync_states(self) -> dict[str, Row]:
        return self._runs.sync_states()

    def cursor(self, source: str) -> Any:
        return self._runs.cursor(source)

    def forget_cursors(self, sources: Iterable[str]) -> None:
        """Drop the saved cursors of ``sources`` (the progress of a finished partition)."""
        self._runs.forget_cursors(sources)

    # -- writes -----------------------------------------------------------------------

    def write_batch(
        self,
        entity: str,
        records: Sequence[Incoming] | Batch,
        *,
        run_id: str,
        quarantined: Sequence[QuarantineEntry] = (),
        cursor: tuple[str, Any] | None = None,
        children: Sequence[ChildBatch] = (),
    ) -> BatchResult:
        """Merge a batch, quarantine its bad records and move the source's cursor, in one
        transaction: either all of it is stored or none of it. ``children`` (records of
        other entities found in the batch's) go first, in the same transaction; the run
        log counts the batch's own records.

        Idempotent: writing the same batch again changes nothing.
        """
        return self._writer.write_batch(entity, records, run_id=run_id, quarantined=quarantined,
                                        cursor=cursor, children=children)  # fmt: skip

    # -- reads ------------------------------------------------------------------------

    def get(self, entity: str, key: str) -> Row | None:
        """The golden record, with its per-field provenance."""
        return self._reader.get(entity, key)

    def existing_keys(self, entity: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a golden record."""
        return self._reader.existing_keys(entity, keys)

    def keys(self, entity: str, *, limit: int = 100) -> list[str]:
        """Keys of golden records, oldest first."""
        return self._reader.keys(entity, limit=limit)

    def history(self, entity: str, key: str) -> list[Row]:
        """Every version of a record, oldest first; the last is the current golden record.

        Each is ``{"version", "valid_from", "valid_to", "data", "provenance"}``: what the
        hub held from ``valid_from`` until ``valid_to`` (None: still current).
        """
        return self._reader.history(entity, key)

    def as_of(self, entity: str, key: str, when: datetime) -> Row | None:
        """What the hub knew about a record at ``when`` (None if it knew nothing yet)."""
        return self._reader.as_of(entity, key, when)

    def conflicts(self, entity: str, key: str) -> list[Row]:
        return self._reader.conflicts(entity, key)

    def count(self, table_name: str, **where: Any) -> int:
        return self._reader.count(table_name, **where)

    # -- quarantine and quality records -------------------------------------------------

    def quarantined(
        self,
        *,
        status: str | None = "open",
        source: str | None = None,
        rule: str | None = None,
        limit: int | None = 100,
    ) -> list[Row]:
        return self._quality.quarantined(status=status, source=source, rule=rule, limit=limit)

    def quarantine_counts(self, *, status: str = "open") -> list[Row]:
        """Open quarantine entries per source and rule, largest first."""
        return self._quality.quarantine_counts(status=status)

    def quarantine_entry(self, entry_id: int) -> Row:
        return self._quality.quarantine_entry(entry_id)

    def correct(self, entry_id: int, field: str, value: Any, *, by: str, why: str) -> Row:
        """Record a reviewer's correction of one field of a quarantined record. The raw
        record stays as received; reprocessing applies the corrections in order."""
        return self._quality.correct(entry_id, field, value, by=by, why=why)

    def reject(self, entry_id: int, *, by: str, why: str) -> Row:
        """Reject a quarantined record for good. It is kept, marked rejected."""
        return self._quality.reject(entry_id, by=by, why=why)

    def still_failing(
        self, entry_id: int, *, rule: str, message: str, expectation: str | None
    ) -> None:
        """A corrected record that failed again: it stays open, with the new reason."""
        self._quality.still_failing(entry_id, rule=rule, message=message, expectation=expectation)

    def mark_fixed(self, entry_ids: Sequence[int], *, run_id: str) -> None:
        """Corrected records that landed through the normal path in run ``run_id``."""
        self._quality.mark_fixed(entry_ids, run_id=run_id)

    def record_validation(self, result: Mapping[str, Any]) -> None:
        """Keep one batch validation (``BatchVerdict.as_record()``)."""
        self._quality.record_validation(result)

    def validation_results(
        self, *, source: str | None = None, limit: int | None = 50, with_result: bool = False
    ) -> list[Row]:
        """The latest validations, newest first."""
        return self._quality.validation_results(source=source, limit=limit,
                                                with_result=with_result)  # fmt: skip

    def hold_batch(
        self,
        *,
        run_id: str,
        source: str,
        entity: str,
        reason: str,
        records: Sequence[tuple[str | None, Any]],
        cursor_before: Any,
        cursor_after: Any,
    ) -> int:
        """Keep a batch the gate stopped, as received, for review. Returns its id."""
        return self._quality.hold_batch(
            run_id=run_id, source=source, entity=entity, reason=reason, records=records,
            cursor_before=cursor_before, cursor_after=cursor_after,
        )  # fmt: skip

    def held_batches(self, *, source: str | None = None, status: str | None = "held") -> list[Row]:
        return self._quality.held_batches(source=source, status=status)
