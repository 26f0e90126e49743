"""The catalog refresher: each API process keeps its peers' published catalogs current.

A peer added with ``tongban peer add`` (or whose catalog is older than
``catalog_refresh_s``) has its catalog fetched within ``catalog_poll_s``; a peer that does
not answer is tried again after ``_RETRY_S``, and keeps the catalog it last published.
``tongban peer refresh`` does the same at once, from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from fastapi.concurrency import run_in_threadpool

from exchange.federation.credentials import PeerCredentialError, PeerUnavailable
from exchange.federation.peers import Peer
from exchange.federation.routing import Federation
from tongban.store import utcnow

__all__ = ["CatalogRefresher"]

_RETRY_S = 30.0
log = logging.getLogger(__name__)


class CatalogRefresher:
    def __init__(self, federation: Federation) -> None:
        self.federation = federation
        self._task: asyncio.Task[None] | None = None
        self._failed: dict[str, float] = {}  # peer id -> when it may be tried again

    async def start(self) -> None:
        # A hub with peers makes the seal that signs its requests before the first needs it
        # (a hub without peers makes none).
        try:
            if await run_in_threadpool(self.federation.peers.list):
                await run_in_threadpool(self.federation.client.sealer)
        except Exception:  # the vault's or store's own error; the first peer request reports it
            log.exception("the federation seal is not ready")
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.federation.client.aclose()

    def _due(self) -> list[Peer]:
        settings = self.federation.settings
        stale = utcnow() - timedelta(seconds=settings.catalog_refresh_s)
        now = time.monotonic()
        return [
            p
            for p in self.federation.peers.list()
            if p.active
            and (p.catalog_at is None or p.catalog_at < stale)
            and self._failed.get(p.peer_id, 0.0) <= now
        ]

    async def _run(self) -> None:
        fed = self.federation
        while True:
            try:
                for peer in await run_in_threadpool(self._due):
                    try:
                        offers = await fed.client.acatalog(peer)
                    except (PeerUnavailable, PeerCredentialError) as exc:
                        log.warning("catalog of peer %s not fetched: %s", peer.peer_id, exc)
                        self._failed[peer.peer_id] = time.monotonic() + _RETRY_S
                        continue
                    self._failed.pop(peer.peer_id, None)
                    await run_in_threadpool(fed.peers.set_offers, peer.peer_id, offers)
            except Exception:  # the store away for a moment: try again on the next round
                log.exception("peer catalogs not refreshed")
            await asyncio.sleep(fed.settings.catalog_poll_s)
