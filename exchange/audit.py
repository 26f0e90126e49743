"""The audit log: every request, allowed or refused, in a hash chain (访问审计).

    >>> log = AuditLog(store)
    >>> seq = log.append(AuditEntry(request_id=rid, method="GET", path="/v1/people/…",
    ...                             outcome="allowed", status=200, client_id="zwfw"))
    >>> log.verify().ok
    True

Each entry commits to the one before it: ``entry_hash = SHA-256(prev_hash, entry)``, with
its place in the chain (``seq``) inside the hashed text. Writers take the chain head
(``audit_head``, one row) under a row lock — ``SELECT … FOR UPDATE`` on PostgreSQL, the
database write lock on SQLite — so several API processes extend one chain. Entries that
arrive together in one process share a transaction (group commit); :meth:`AuditLog.append`
returns only once that transaction is on disk, so the entry is durable before the
response leaves. On PostgreSQL the wait for the disk happens after the head's lock is
released (see :meth:`AuditLog._flush`): the log is written in order, so an entry lost in
a crash takes every later one with it, and the chain stays whole.
:meth:`AuditLog.verify` finds a changed, removed, inserted or reordered
entry and names the first one broken; the head row also catches entries cut off the end.
What an entry's hash covers and how the walk judges the chain live in
``exchange._audit_chain``; this module writes the log and reads it back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from exchange._audit_chain import GENESIS, Broken, ChainReport, entry_hash, verify_chain
from tongban.store import Store, schema, utcnow

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "Broken", "ChainReport", "entry_hash"]

_LOG = schema.audit_log
_HEAD = schema.audit_head


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One request as the log keeps it: who, for what purpose, whose data, what came out."""

    request_id: str
    method: str
    path: str
    outcome: str  # allowed or refused
    status: int
    client_id: str | None = None
    operator: str | None = None
    service_item: str | None = None
    case_no: str | None = None
    subject: str | None = None
    resource: str | None = None
    fields: tuple[str, ...] = ()
    reason: str | None = None
    answer_sha256: str | None = None
    at: datetime = field(default_factory=utcnow)


class _Slot:
    __slots__ = ("entry", "error", "event", "lead", "seq")

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry
        self.event = threading.Event()
        self.seq: int | None = None
        self.error: BaseException | None = None
        self.lead = False


class AuditLog:
    """Appends to, verifies and reads the hash-chained audit log."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._chain: Engine = store.engine
        if store.engine.dialect.name == "postgresql":
            self._chain = create_engine(
                store.engine.url, connect_args={"options": "-c synchronous_commit=off"}
            )
        self._guard = threading.Lock()
        self._pending: list[_Slot] = []
        self._busy = False

    def dispose(self) -> None:
        if self._chain is not self.store.engine:
            self._chain.dispose()

    # -- writing ----------------------------------------------------------------------

    def append(self, entry: AuditEntry) -> int:
        """Write one entry; returns its ``seq`` once its transaction has committed.

        Threads of one process that append at the same time take turns as the writer: the
        writer commits everything waiting in one transaction and hands over to the next.
        """
        slot = _Slot(entry)
        with self._guard:
            self._pending.append(slot)
            lead = not self._busy
            self._busy = True
        if not lead:
            slot.event.wait()
            if not slot.lead:
                return self._result(slot)
        with self._guard:
            batch, self._pending = self._pending, []
        written = False
        try:
            for s, seq in zip(batch, self._write([s.entry for s in batch]), strict=True):
                s.seq = seq
            written = True
        except BaseException as exc:
            for s in batch:
                s.error = exc
        finally:
            # The next writer may extend the chain while this batch waits for the disk.
            with self._guard:
                if self._pending:
                    self._pending[0].lead = True
                    self._pending[0].event.set()
                else:
                    self._busy = False
        try:
            if written:
                self._flush()
        except BaseException as exc:
            for s in batch:
                s.error = exc
        for s in batch:
            if s is not slot:
                s.event.set()
        return self._result(slot)

    @staticmethod
    def _result(slot: _Slot) -> int:
        if slot.error is not None:
            raise slot.error
        assert slot.seq is not None
        return slot.seq

    def append_many(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Write entries in one transaction, in order, after the chain head; durable."""
        seqs = self._write(entries)
        self._flush()
        return seqs

    def _flush(self) -> None:
        """Wait until everything committed so far is on disk.

        On PostgreSQL the chain's transactions commit without waiting for the disk (so the
        head's lock is held for the writes alone); this synchronous commit of a transaction
        with an id flushes the log up to itself, and so every chain transaction before it.
        Concurrent flushes of several processes share one disk write (group commit)."""
        if self._chain is not self.store.engine:
            with self.store.engine.begin() as conn:
                conn.exec_driver_sql("SELECT pg_current_xact_id()")

    def _write(self, entries: Sequence[AuditEntry]) -> list[int]:
        with self._chain.begin() as conn:
            seq, prev = self._lock_head(conn)
            rows = []
            for e in entries:
                seq += 1
                row = {
                    "seq": seq,
                    "at": e.at,
                    "request_id": e.request_id,
                    "client_id": e.client_id,
                    "operator": e.operator,
                    "service_item": e.service_item,
                    "case_no": e.case_no,
                    "method": e.method,
                    "path": e.path[:300],
                    "subject": e.subject,
                    "resource": e.resource,
                    "fields": list(e.fields),
                    "outcome": e.outcome,
                    "status": e.status,
                    "reason": e.reason,
                    "answer_sha256": e.answer_sha256,
                }
                row["prev_hash"] = prev
                row["entry_hash"] = prev = entry_hash(prev, row)
                rows.append(row)
            conn.execute(insert(_LOG), rows)
            conn.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, entry_hash=prev))
        return [int(r["seq"]) for r in rows]  # type: ignore[call-overload]

    def _lock_head(self, conn: Connection) -> tuple[int, str]:
        q: Any
        if conn.dialect.name == "postgresql":
            q = select(_HEAD.c.seq, _HEAD.c.entry_hash).where(_HEAD.c.id == 1).with_for_update()
        else:
            # The first statement writes, so SQLite takes its write lock before reading.
            q = (
                update(_HEAD)
                .where(_HEAD.c.id == 1)
                .values(seq=_HEAD.c.seq)
                .returning(_HEAD.c.seq, _HEAD.c.entry_hash)
            )
        row = conn.execute(q).first()
        if row is None:
            # An emptied store (the migration writes the genesis head): start the chain.
            # Were entries left behind, the first insert collides with them and fails.
            ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(_HEAD)
            conn.execute(ins.values(id=1, seq=0, entry_hash=GENESIS).on_conflict_do_nothing())
            row = conn.execute(q).one()
        return int(row.seq), str(row.entry_hash)

    # -- checking ---------------------------------------------------------------------

    def verify(self, roots: Sequence[x509.Certificate] | None = None) -> ChainReport:
        """Walk the chain from the start; name the first entry that breaks it.

        With the trusted hub ``roots``, every anchor is checked as well: its token must
        prove its (seq, hash) under a root, and the entry it names must carry that hash.
        """
        return verify_chain(self.store, roots)

    # -- reading ----------------------------------------------------------------------

    def for_subject(self, subject: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """Who looked at ``subject``'s data, when, for which service item and case."""
        c = schema.exchange_client
        q = (
            select(
                _LOG.c.seq,
                _LOG.c.at,
                _LOG.c.client_id,
                c.c.name.label("client_name"),
                c.c.department,
                _LOG.c.operator,
                _LOG.c.service_item,
                _LOG.c.case_no,
                _LOG.c.resource,
                _LOG.c.fields,
                _LOG.c.outcome,
                _LOG.c.reason,
            )
            .select_from(_LOG.outerjoin(c, c.c.client_id == _LOG.c.client_id))
            .where(_LOG.c.subject == subject)
            .order_by(_LOG.c.seq.desc())
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return [_aware(dict(r)) for r in conn.execute(q).mappings()]

    def recent(self, *, limit: int = 50) -> Iterator[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            q = select(_LOG).order_by(_LOG.c.seq.desc()).limit(limit)
            for r in conn.execute(q).mappings():
                yield _aware(dict(r))


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    at = row.get("at")
    if isinstance(at, datetime) and at.tzinfo is None:
        row["at"] = at.replace(tzinfo=UTC)
    return row
