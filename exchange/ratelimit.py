"""Per-client rate limits that hold across API processes: the store keeps the count.

    >>> limiter = RateLimiter(store, window_s=60)
    >>> limiter.hit("zwfw-bj", limit=600)      # raises Refusal(429, "rate.limit") past 600

A fixed window per client: one upsert (``INSERT … ON CONFLICT … DO UPDATE … RETURNING``)
counts a request in the row of its window, on PostgreSQL and SQLite alike, so every
process sees the same count. On PostgreSQL the counter has connections of its own, in
autocommit and with ``synchronous_commit = off``: one round trip a request, and no wait
for the disk. A count lost in a crash costs nothing; the audit entry, which must not be
lost, commits on the store's own connections.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import Engine, create_engine, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from exchange.errors import Refusal
from tongban.store import Store, schema

__all__ = ["RateLimiter"]

_T = schema.exchange_rate


class RateLimiter:
    def __init__(self, store: Store, *, window_s: int) -> None:
        self.store = store
        self.window_s = window_s
        self._pg = store.engine.dialect.name == "postgresql"
        self._engine: Engine = store.engine
        if self._pg:
            self._engine = create_engine(
                store.engine.url,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c synchronous_commit=off"},
                pool_size=10,
                max_overflow=0,  # kept open: none opened and closed per request
            )

    def dispose(self) -> None:
        if self._engine is not self.store.engine:
            self._engine.dispose()

    def hit(self, client_id: str, *, limit: int) -> int:
        """Count one request; refuse it (429 with Retry-After) past ``limit`` a window."""
        now = time.time()
        window = int(now // self.window_s) * self.window_s
        ins = (pg_insert if self._pg else sqlite_insert)(_T).values(
            client_id=client_id, window=window, hits=1
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[_T.c.client_id, _T.c.window], set_={"hits": _T.c.hits + 1}
        ).returning(_T.c.hits)
        with self._engine.begin() as conn:
            hits = int(conn.execute(stmt).scalar_one())
            if hits == 1:  # a new window: the client's older ones are done with
                conn.execute(delete(_T).where(_T.c.client_id == client_id, _T.c.window < window))
        if hits > limit:
            retry = max(1, math.ceil(window + self.window_s - now))
            raise Refusal(
                429,
                "rate.limit",
                f"client {client_id} is limited to {limit} requests per {self.window_s} s;"
                f" try again in {retry} s",
                retry_after=retry,
            )
        return hits
