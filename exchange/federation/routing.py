"""The federation as a hub holds it: which peer offers what, who a peer request is for.

    >>> fed = Federation(hub, load_federation_settings())
    >>> fed.route(client, hub.share.resource("marriage"), key)   # raises Elsewhere, or returns
    >>> client = await fed.authenticate(request)                 # a peer's signed request

Routing: a subject the local store does not hold, of a resource an active peer's catalog
offers, is :class:`Elsewhere`; the relay (:mod:`exchange.federation.relay`) asks the peers
in order — those whose regions cover the subject, then the parent, then the rest. A
request that came from a peer is never sent on (one hop), so two hubs cannot ask each
other in a loop.

Answering: a peer's signed request is checked against the hub root held for that peer
and that peer's CRL (``peer.seal_revoked``), used once, and then stands for the original
client, registered here as ``<peer>.<client>`` (the peer vouches for its own clients, as a
security server does in X-Road). From there the ordinary rules apply: its grants, its rate
limit, its purpose, and the audit entry names it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.catalog import Resource
from exchange.clients import Client
from exchange.errors import Refusal
from exchange.federation.client import PeerClient
from exchange.federation.credentials import (
    PEER_HEADER,
    PeerClaims,
    PeerCredentialError,
    PeerUnavailable,
    check_request,
    unverified_issuer,
)
from exchange.federation.crls import check_seal
from exchange.federation.peers import Peer, PeerRegistry
from exchange.federation.settings import FederationSettings
from tongban.store import Store, schema, utcnow

if TYPE_CHECKING:
    from exchange.hub import Hub

__all__ = ["PEER_AUTH_KIND", "Elsewhere", "Federation", "enrol", "federated_client_id"]

PEER_AUTH_KIND = "peer"  # exchange_client.auth_kind of a client that asks through a peer
_C = schema.exchange_client
_N = schema.federation_nonce
_SWEEP_S = 30.0


class Elsewhere(Refusal):
    """Not held here; the peers named offer it (a 404 where no relay is mounted)."""

    def __init__(self, resource: Resource, subject: str, peers: Sequence[Peer]) -> None:
        names = ", ".join(p.label for p in peers)
        super().__init__(
            404,
            "subject.elsewhere",
            f"{resource.title} for this subject is not held here; peer {names} offers it",
        )
        self.resource = resource
        self.subject = subject
        self.peers = tuple(peers)


def federated_client_id(peer_id: str, client_id: str) -> str:
    """``<peer>.<client>``: no local client id holds a dot, so none can be taken for it."""
    cid = f"{peer_id}.{client_id}"
    if len(cid) > 40:
        cid = f"{peer_id}.{hashlib.sha256(client_id.encode()).hexdigest()[: 39 - len(peer_id)]}"
    return cid


def enrol(
    store: Store,
    peer: Peer,
    client_id: str,
    name: str,
    department: str | None,
    *,
    rate_limit: int,
) -> str:
    """Register (or rename) a peer's client here as ``<peer>.<client>``; its id.

    A peer's first request enrols its client; an administrator enrols one ahead
    (``tongban peer enrol``) to grant it conditional resources before it asks."""
    cid = federated_client_id(peer.peer_id, client_id)
    name = f"{name[:120]} (经 {peer.name})"[:200]
    department = department[:200] if department else None
    with store.engine.connect() as conn:
        row = conn.execute(select(_C).where(_C.c.client_id == cid)).first()
    if row is None:
        try:
            with store.engine.begin() as conn:
                conn.execute(insert(_C), {
                    "client_id": cid, "name": name, "department": department,
                    "auth_kind": PEER_AUTH_KIND, "rate_limit": rate_limit, "status": "active",
                    "created_at": utcnow(),
                })  # fmt: skip
        except IntegrityError:
            pass  # another process enrolled it first
    elif (row.name, row.department) != (name, department):
        with store.engine.begin() as conn:
            conn.execute(
                update(_C).where(_C.c.client_id == cid).values(name=name, department=department)
            )
    return cid


class Federation:
    def __init__(self, hub: Hub, settings: FederationSettings) -> None:
        self.hub = hub
        self.settings = settings
        self.peers = PeerRegistry(hub.store)
        self.client = PeerClient(hub, settings)
        self._next_sweep = 0.0

    @property
    def hub_id(self) -> str:
        return self.settings.hub_id

    def offers(self) -> list[Resource]:
        """The resources this hub's published catalog offers its peers."""
        share = self.hub.share.resources
        if self.settings.offers is not None:
            return [share[n] for n in self.settings.offers if n in share]
        return [r for r in share.values() if r.share != "not_shared" and r.entity != "audit"]

    # -- asking -----------------------------------------------------------------------

    def route(
        self, client: Client, resource: Resource, subject: str, *, entity: str | None = None
    ) -> None:
        """Raise :class:`Elsewhere` when a peer offers what the local store lacks.

        ``entity`` says what ``subject`` is when the resource's own entity does not (an
        e-license: its holder, or the credit code of the authority that issued it)."""
        if client.auth_kind == PEER_AUTH_KIND:
            return  # one hop: what a peer asks for is answered here or not at all
        offering = [p for p in self.peers.list() if resource.name in p.offers]
        if not offering:
            return
        live = [p for p in offering if p.active]
        if not live:
            names = ", ".join(p.label for p in offering)
            raise Refusal(
                503,
                "peer.revoked",
                f"{resource.title} is offered by peer {names}, whose hub certificate is"
                " revoked here; it is not asked",
            )
        region = subject[2:8] if (entity or resource.entity) == "enterprise" else subject[:6]
        ranked = sorted(
            live,
            key=lambda p: (not p.covers(region), p.level != "parent", p.peer_id),
        )
        raise Elsewhere(resource, subject, ranked)

    # -- answering --------------------------------------------------------------------

    @staticmethod
    def signed_by_peer(request: Request) -> bool:
        return PEER_HEADER in request.headers

    async def verify(self, request: Request) -> tuple[Peer, PeerClaims]:
        """The peer that signed the request and what it claims, or 401 naming the rule.

        On the event loop, holding no worker thread while the asking peer's CRL is
        fetched: the asking peer may be waiting on another request to this hub meanwhile,
        and the CRL it serves may need one of its own threads."""
        try:
            peer, claims = await run_in_threadpool(self._signed, request)
            await self._unrevoked(peer, claims)
            await run_in_threadpool(self._use_once, claims)
        except PeerCredentialError as exc:
            raise Refusal(401, exc.rule, exc.message) from None
        return peer, claims

    def _signed(self, request: Request) -> tuple[Peer, PeerClaims]:
        """The request's peer (known, active) and its claims, checked under the peer's root."""
        token = request.headers.get(PEER_HEADER, "")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        peer = self.peers.get(unverified_issuer(token))
        if peer is None:
            raise PeerCredentialError(
                "peer.unknown", "the request is signed by a hub not known here as a peer"
            )
        if not peer.active:
            raise PeerCredentialError(
                "peer.revoked",
                f"the hub certificate of peer {peer.peer_id} is revoked here:"
                f" {peer.revoked_reason}",
            )
        claims = check_request(
            token,
            peer,
            hub_id=self.hub_id,
            method=request.method,
            target=target,
            ttl_s=self.settings.request_ttl_s,
        )
        return peer, claims

    async def _unrevoked(self, peer: Peer, claims: PeerClaims) -> None:
        """The asking hub's seal is absent from its CRL (the same per-peer cache, and the
        same one fetch for a burst, that checks its answers), or ``peer.seal_revoked``. A
        CRL that cannot be had or does not hold is 503 ``peer.crl``: a request whose seal
        cannot be checked is refused, never answered unchecked."""
        try:
            crl = await self.client.crls.crl(peer)
        except PeerUnavailable as down:
            raise Refusal(
                503,
                "peer.crl",
                f"the request of peer {peer.label} cannot be checked: {down.message}",
            ) from None
        except PeerCredentialError as bad:
            if bad.rule != "peer.crl":
                raise
            raise Refusal(
                503,
                "peer.crl",
                f"the request of peer {peer.label} cannot be checked: {bad.message}",
            ) from None
        check_seal(crl, peer, claims.seal, what="request")

    async def authenticate(self, request: Request) -> Client:
        """The client a peer asks for, registered here as ``<peer>.<client>``."""
        peer, claims = await self.verify(request)
        return await run_in_threadpool(self._enrolled, request, peer, claims)

    def _enrolled(self, request: Request, peer: Peer, claims: PeerClaims) -> Client:
        stated = (
            request.headers.get("X-Service-Item", "").strip(),
            request.headers.get("X-Case-Number", "").strip(),
        )
        if stated != (claims.purpose.get("service_item", ""), claims.purpose.get("case_no", "")):
            raise Refusal(401, "peer.binding", "the stated purpose is not the one the peer signed")
        department = claims.client.get("department")
        cid = enrol(
            self.hub.store,
            peer,
            str(claims.client["id"]),
            str(claims.client.get("name") or claims.client["id"]),
            str(department) if department else None,
            rate_limit=self.hub.config.default_rate_limit,
        )
        client = self.hub.clients.get(cid)
        assert client is not None
        if not client.active:
            raise Refusal(
                401, "client.revoked", f"client {cid} was revoked: {client.revoked_reason}"
            )
        return client

    def _use_once(self, claims: PeerClaims) -> None:
        """Record the request's ``jti``; a second use is a replay. Used ones that have
        expired (they could not pass the lifetime check anyway) are cleared now and then."""
        sweep = time.monotonic() >= self._next_sweep
        if sweep:
            self._next_sweep = time.monotonic() + _SWEEP_S
        try:
            with self.hub.store.engine.begin() as conn:
                if sweep:
                    conn.execute(delete(_N).where(_N.c.expires_at < utcnow()))
                conn.execute(
                    insert(_N), {"peer_id": claims.iss, "jti": claims.jti, "expires_at": claims.exp}
                )
        except IntegrityError:
            raise PeerCredentialError(
                "peer.replayed", f"peer request {claims.jti} was already used"
            ) from None
