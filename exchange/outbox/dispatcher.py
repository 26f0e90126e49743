"""The dispatcher: pushes the outbox to its receivers, each message exactly once.

A claim leases up to ``lanes_per_claim`` lanes (one case, one target) whose next attempt
is due, and counts an attempt on each of their messages, in one short transaction; on
PostgreSQL the lanes are picked ``FOR UPDATE SKIP LOCKED``, so dispatchers running at once
take different cases. The messages are sent outside any transaction, in ``seq`` order,
one request per target. A message attempted before (its answer lost to a timeout, or its
dispatcher killed) is first looked up at the receiver, and only sent if it never arrived.
Delivered messages are deleted; a lane that failed waits ``backoff`` (exponential, with
jitter) and keeps its order, since only its first message is ever sent ahead of the
rest; after ``max_attempts`` its first message goes to the dead letters and the lane
waits for ``tongban outbox retry``.

    >>> Dispatcher(store, settings.receivers(), options).run(until_empty=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, text, tuple_, update

from exchange.outbox.rows import encode_rows, update_many
from exchange.outbox.settings import DispatchOptions
from exchange.outbox.transport import Receiver, SendResult
from tongban.errors import RetriableError
from tongban.store import Store, schema

__all__ = ["Dispatcher", "backoff"]

_CHUNK = 2000
Lane = tuple[str, str]


def backoff(attempts: int, options: DispatchOptions, rng: random.Random) -> float:
    """Seconds to wait after the ``attempts``-th failure: doubling, capped, with half of
    it random (so lanes that failed together do not retry together)."""
    delay = min(options.backoff_cap, options.backoff_base * 2 ** min(attempts - 1, 40))
    return delay / 2 + rng.uniform(0, delay / 2)


@dataclass(slots=True)
class _Row:
    target: str
    case_no: str
    seq: int
    key: str
    payload: dict[str, Any]
    attempts: int


class Dispatcher:
    """One dispatcher; run as many at once as you like, in threads or processes."""

    def __init__(
        self,
        store: Store,
        receivers: Mapping[str, Receiver],
        options: DispatchOptions | None = None,
        *,
        name: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store, self.receivers = store, receivers
        self.options = options or DispatchOptions()
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}")[:60]
        self.rng = rng or random.Random()
        self._claims = 0
        self._instance = uuid.uuid4().hex[:8]  # a name given twice still makes new tokens
        self.delivered = 0

    # -- the loop ------------------------------------------------------------------------

    def run(self, *, until_empty: bool = False, stop: threading.Event | None = None) -> int:
        """Dispatch until ``stop`` is set (or, with ``until_empty``, the outbox is empty of
        messages that can still go: dead lanes and their followers stay). Returns the
        messages delivered."""
        stop = stop or threading.Event()
        while not stop.is_set():
            if self.run_once():
                continue
            if until_empty and not self._sendable():
                break
            stop.wait(self.options.poll_seconds)
        return self.delivered

    def run_once(self) -> int:
        """One claim, send and settle; the number of messages it handled (0: none due)."""
        self._claims += 1
        token = f"{self.name}:{self._instance}#{self._claims}"
        rows = self._claim(token)
        if not rows:
            return 0
        by_target: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            by_target[row.target].append(row)
        outcome: dict[str, tuple[SendResult, str | None]] = {}
        for target, target_rows in by_target.items():
            outcome[target] = self._push(self.receivers[target], target_rows)
        self._settle(token, rows, outcome)
        return len(rows)

    def _sendable(self) -> bool:
        t = schema.outbox_lane
        with self.store.engine.connect() as conn:
            return conn.execute(select(t.c.case_no).where(t.c.status == "ready").limit(1)).first() \
                is not None  # fmt: skip

    # -- claim ---------------------------------------------------------------------------

    def _claim(self, token: str) -> list[_Row]:
        now = datetime.now(UTC)
        until = now + timedelta(seconds=self.options.lease_seconds)
        lanes_sql = (
            "SELECT target, case_no FROM outbox_lane WHERE status = 'ready'"
            " AND next_attempt_at <= :now AND (lease_until IS NULL OR lease_until < :now)"
            " ORDER BY next_attempt_at LIMIT :n"
        )
        with self.store.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                lanes_sql += " FOR UPDATE SKIP LOCKED"
            params = {"now": _db_time(conn, now), "n": self.options.lanes_per_claim}
            claimed = [tuple(r) for r in conn.execute(
                text(f"UPDATE outbox_lane SET lease_until = :until, claimed_by = :token"
                     f" WHERE (target, case_no) IN ({lanes_sql}) RETURNING target, case_no"),
                {**params, "until": _db_time(conn, until), "token": token},
            )]  # fmt: skip
            if not claimed:
                return []
            # The lease token names the lanes just claimed: no list of them is sent back.
            result = conn.execute(
                text(
                    "UPDATE outbox SET attempts = outbox.attempts + 1 FROM outbox_lane AS l"
                    " WHERE l.claimed_by = :token AND outbox.target = l.target"
                    " AND outbox.case_no = l.case_no AND outbox.status = 'pending'"
                    " RETURNING outbox.target, outbox.case_no, outbox.seq,"
                    " outbox.idempotency_key, outbox.payload, outbox.attempts"
                ).columns(payload=schema.outbox.c.payload.type),
                {"token": token},
            )
            rows = [_Row(*r) for r in result]
        rows.sort(key=lambda r: (r.target, r.case_no, r.seq))
        return rows

    # -- send ----------------------------------------------------------------------------

    def _push(self, receiver: Receiver, rows: list[_Row]) -> tuple[SendResult, str | None]:
        """Deliver ``rows`` (in order); the result and the error that stopped the rest."""
        result = SendResult()
        try:
            tried = [r.key for r in rows if r.attempts > 1]
            if tried:
                result.delivered |= receiver.received(tried)
            todo = [r.payload for r in rows if r.key not in result.delivered]
            if todo:
                sent = receiver.send(todo)
                result.delivered |= sent.delivered
                result.refused.update(sent.refused)
        except RetriableError as exc:
            return result, str(exc)
        return result, None

    # -- settle --------------------------------------------------------------------------

    def _settle(
        self, token: str, rows: list[_Row], outcome: dict[str, tuple[SendResult, str | None]]
    ) -> None:
        now = datetime.now(UTC)
        lanes: dict[Lane, list[_Row]] = defaultdict(list)
        for row in rows:
            lanes[(row.target, row.case_no)].append(row)
        done: list[tuple[str, str, int]] = []
        retry: list[dict[str, Any]] = []
        dead: list[dict[str, Any]] = []
        for lane, lane_rows in lanes.items():
            result, error = outcome[lane[0]]
            head = None
            for row in lane_rows:  # delivered messages are a prefix of the lane
                if row.key in result.delivered:
                    done.append((row.target, row.case_no, row.seq))
                else:
                    head = row
                    break
            if head is None:
                continue
            refused = result.refused.get(head.key)
            why = refused or error or "not acknowledged"
            if refused or head.attempts >= self.options.max_attempts:
                dead.append(
                    {
                        "t": lane[0],
                        "c": lane[1],
                        "s": head.seq,
                        "err": f"{'refused' if refused else 'gave up'}: {why}",
                    }
                )
            else:
                wait = backoff(head.attempts, self.options, self.rng)
                retry.append({"t": lane[0], "c": lane[1], "s": head.seq, "err": why,
                              "due": now + timedelta(seconds=wait)})  # fmt: skip
        with self.store.engine.begin() as conn:
            self._apply(conn, token, done, retry, dead)
        self.delivered += len(done)

    def _apply(
        self,
        conn: Connection,
        token: str,
        done: list[tuple[str, str, int]],
        retry: list[dict[str, Any]],
        dead: list[dict[str, Any]],
    ) -> None:
        o, lane_t = schema.outbox, schema.outbox_lane
        gone: dict[Lane, int] = defaultdict(int)
        for target, case_no in _delete_delivered(conn, done):
            gone[(target, case_no)] += 1
        # Counted whoever holds the lane now: rows are gone, whoever delivered them.
        counts = [{"target": t, "case_no": c, "pending": k} for (t, c), k in sorted(gone.items())]
        update_many(conn, lane_t, ("target", "case_no"), counts, subtract=("pending",))
        row_at = (o.c.target == bindparam("t"), o.c.case_no == bindparam("c"),
                  o.c.seq == bindparam("s"))  # fmt: skip
        mine = (lane_t.c.target == bindparam("t"), lane_t.c.case_no == bindparam("c"),
                lane_t.c.claimed_by == token)  # fmt: skip
        if retry:
            conn.execute(update(o).where(*row_at).values(last_error=bindparam("err")), retry)
            conn.execute(
                update(lane_t).where(*mine).values(next_attempt_at=bindparam("due")), retry
            )
        if dead:
            conn.execute(
                update(o).where(*row_at).values(status="dead", last_error=bindparam("err")), dead
            )
            conn.execute(update(lane_t).where(*mine).values(status="dead"), dead)
        conn.execute(delete(lane_t).where(lane_t.c.claimed_by == token, lane_t.c.pending <= 0))
        conn.execute(update(lane_t).where(lane_t.c.claimed_by == token)
                     .values(lease_until=None, claimed_by=None))  # fmt: skip


def _delete_delivered(conn: Connection, done: list[tuple[str, str, int]]) -> list[Lane]:
    """Delete the delivered rows; the lane of each row actually deleted."""
    if not done:
        return []
    o = schema.outbox
    if conn.dialect.name == "postgresql":
        rows = [{"target": t, "case_no": c, "seq": s} for t, c, s in done]
        return [tuple(r) for r in conn.execute(
            text("DELETE FROM outbox USING jsonb_to_recordset(CAST(:rows AS jsonb))"
                 " AS v(target text, case_no text, seq int) WHERE outbox.target = v.target"
                 " AND outbox.case_no = v.case_no AND outbox.seq = v.seq"
                 " RETURNING outbox.target, outbox.case_no"),
            {"rows": encode_rows(rows)},
        )]  # fmt: skip
    out: list[Lane] = []
    for part in _chunks(done):
        out.extend(tuple(r) for r in conn.execute(
            delete(o).where(tuple_(o.c.target, o.c.case_no, o.c.seq).in_(part))
            .returning(o.c.target, o.c.case_no)))  # fmt: skip
    return out


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _db_time(conn: Connection, value: datetime) -> Any:
    """Text SQL bypasses the column type: SQLite compares the stored naive UTC text."""
    if conn.dialect.name == "sqlite":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
