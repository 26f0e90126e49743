"""The peer client: asks a peer hub on a client's behalf, signed, within a time limit.

    >>> peers = PeerClient(hub, settings)
    >>> got = await peers.ask(peer, "GET", "/v1/people/…/marriage", client, purpose, rid)
    >>> got.status, got.body, got.signature              # the body exactly as the peer sent it
    >>> peers.catalog(peer)                              # its published catalog, checked

Every request carries ``X-Peer-Assertion`` (see :mod:`exchange.federation.credentials`),
sealed with this hub's federation seal. A peer that does not accept the connection within
``connect_timeout_s`` or answer within ``timeout_s`` is :class:`PeerUnavailable`; the answer
is read whole before anything is passed on, and taken only when its seal holds under the
peer's root and the peer's CRL (kept per peer, :mod:`exchange.federation.crls`) does not
list it (``peer.seal_revoked``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from fastapi.concurrency import run_in_threadpool

from exchange.federation.credentials import (
    PEER_HEADER,
    PeerCredentialError,
    PeerUnavailable,
    check_answer,
    seal_request,
)
from exchange.federation.crls import PeerCrls, check_seal
from exchange.federation.peers import Peer
from exchange.federation.settings import FederationSettings
from exchange.signing import SIGNATURE_HEADER

if TYPE_CHECKING:
    from cryptography import x509

    from exchange.clients import Client
    from exchange.deps import Purpose
    from exchange.hub import Hub
    from license_vault.jws import JwsSealer

__all__ = ["FEDERATION_SEAL", "PeerAnswer", "PeerClient", "PeerUnavailable"]

_CATALOG = "/federation/v1/catalog"
FEDERATION_SEAL = "federation"  # authority_code of the seal that signs peer requests


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    peer: Peer
    status: int
    body: bytes
    signature: str | None
    request_id: str | None
    audit_seq: int | None
    elapsed_ms: int
    retry_after: str | None = None  # a peer's rate limit (429), passed on
    media_type: str = "application/json"  # a license's PDF or JWS is passed on as sent
    seal: x509.Certificate | None = None  # the certificate that signed a 200 answer

    def json(self) -> Any:
        return json.loads(self.body)


class PeerClient:
    """Signs requests with this hub's federation seal and sends them to peers."""

    def __init__(self, hub: Hub, settings: FederationSettings) -> None:
        self.hub = hub
        self.settings = settings
        self._sealer: JwsSealer | None = None
        self._http: httpx.AsyncClient | None = None
        self._lock = threading.Lock()
        self.crls = PeerCrls(self.fetch, max_age_s=settings.crl_max_age_s)

    @property
    def timeout(self) -> httpx.Timeout:
        s = self.settings
        return httpx.Timeout(s.timeout_s, connect=s.connect_timeout_s)

    def sealer(self) -> JwsSealer:
        if self._sealer is None:
            vault = self.hub.vault
            with self._lock:
                if self._sealer is None:
                    from license_vault.jws import JwsSealer

                    name = f"{vault.settings.hub_name} 跨级交换"
                    seal = vault.seals.seal_for(FEDERATION_SEAL, name)
                    self._sealer = JwsSealer(vault.seals.signer(seal), kid=seal.seal_id)
        return self._sealer

    def headers(
        self,
        peer: Peer,
        method: str,
        target: str,
        client: Mapping[str, Any],
        purpose: Purpose | None,
        request_id: str,
    ) -> dict[str, str]:
        stated = (
            {"service_item": purpose.service_item, "case_no": purpose.case_no,
             "operator": purpose.operator}
            if purpose is not None else {}
        )  # fmt: skip
        token = seal_request(
            self.sealer(),
            iss=self.settings.hub_id,
            aud=peer.peer_id,
            method=method,
            target=target,
            client=client,
            purpose=stated,
            request_id=request_id,
            ttl_s=self.settings.request_ttl_s,
        )
        headers = {PEER_HEADER: token, "X-Peer-Request-Id": request_id}
        if purpose is not None:
            headers["X-Service-Item"] = purpose.service_item
            headers["X-Case-Number"] = purpose.case_no
            if purpose.operator:
                headers["X-Operator"] = quote(purpose.operator)
        return headers

    @contextmanager
    def _reaching(self, peer: Peer) -> Iterator[None]:
        """A call to ``peer``: a transport failure becomes :class:`PeerUnavailable`, a
        timeout naming the time limit, anything else that the peer cannot be reached."""
        try:
            yield
        except httpx.TimeoutException:
            raise PeerUnavailable(
                peer,
                "peer.timeout",
                f"peer {peer.label} did not answer within {self.settings.timeout_s:g} s",
            ) from None
        except httpx.HTTPError as exc:
            raise PeerUnavailable(
                peer, "peer.unavailable", f"peer {peer.label} cannot be reached: {exc}"
            ) from None

    async def ask(
        self,
        peer: Peer,
        method: str,
        target: str,
        client: Client,
        purpose: Purpose | None,
        request_id: str,
    ) -> PeerAnswer:
        """The peer's whole answer; a 200 only when its seal holds under the peer's root."""
        if self._sealer is None:  # made (or unlocked) once, off the event loop
            await run_in_threadpool(self.sealer)
        headers = self.headers(peer, method, target, _identity(client), purpose, request_id)
        start = time.perf_counter()
        with self._reaching(peer):
            r = await self._client().request(method, peer.url + target, headers=headers)
        return await self._unrevoked(_answer(peer, r, start))

    async def _unrevoked(self, got: PeerAnswer) -> PeerAnswer:
        """The answer once the peer's CRL does not list the seal that signed it."""
        if got.seal is not None:
            check_seal(await self.crls.crl(got.peer), got.peer, got.seal)
        return got

    def _catalog_headers(self, peer: Peer) -> dict[str, str]:
        client = {"id": self.settings.hub_id, "name": "catalog"}
        return self.headers(peer, "GET", _CATALOG, client, None, "catalog")

    def catalog(self, peer: Peer) -> list[str]:
        """The resources the peer's signed catalog offers (fetched now, in this thread)."""
        headers = self._catalog_headers(peer)
        start = time.perf_counter()
        with self._reaching(peer):
            r = httpx.get(peer.url + _CATALOG, headers=headers, timeout=self.timeout)
        got = _answer(peer, r, start)
        if got.seal is not None:
            check_seal(self.crls.crl_sync(peer, self.timeout), peer, got.seal)
        return _offers(got)

    async def acatalog(self, peer: Peer) -> list[str]:
        """The same, on the app's event loop (the catalog refresher)."""
        headers = await run_in_threadpool(self._catalog_headers, peer)
        start = time.perf_counter()
        with self._reaching(peer):
            r = await self._client().get(peer.url + _CATALOG, headers=headers)
        return _offers(await self._unrevoked(_answer(peer, r, start)))

    async def fetch(self, peer: Peer, path: str) -> httpx.Response:
        """A public resource of the peer (its CRL), unsigned, within the same time limits."""
        with self._reaching(peer):
            r = await self._client().get(peer.url + path)
        return r

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.timeout, limits=httpx.Limits(max_connections=200)
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _identity(client: Client) -> dict[str, Any]:
    return {"id": client.client_id, "name": client.name, "department": client.department}


def _offers(got: PeerAnswer) -> list[str]:
    peer = got.peer
    if got.status != 200:
        raise PeerCredentialError("peer.catalog", f"peer {peer.label}: {got.body[:300]!r}")
    offered = got.json().get("offers")
    if not isinstance(offered, list):
        raise PeerCredentialError("peer.catalog", f"peer {peer.label}: no offers listed")
    return [str(o["resource"]) for o in offered if isinstance(o, dict) and "resource" in o]


def _answer(peer: Peer, r: httpx.Response, start: float) -> PeerAnswer:
    signature = r.headers.get(SIGNATURE_HEADER)
    seal = check_answer(r.content, signature, peer) if r.status_code == 200 else None
    seq = r.headers.get("X-Audit-Seq")
    return PeerAnswer(
        peer=peer,
        status=r.status_code,
        body=r.content,
        signature=signature,
        request_id=r.headers.get("X-Request-Id"),
        audit_seq=int(seq) if seq and seq.isdigit() else None,
        elapsed_ms=int((time.perf_counter() - start) * 1000),
        retry_after=r.headers.get("Retry-After"),
        media_type=r.headers.get("content-type", "application/json").split(";")[0].strip(),
        seal=seal,
    )
