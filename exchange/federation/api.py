"""The peer-facing side: the published catalog, and how the federation joins the app.

    GET /federation/v1/catalog      (a peer's signed request) → this hub's signed catalog

Evidence itself is asked for at the ordinary ``/v1`` paths: a peer's signed request
(``X-Peer-Assertion``) authenticates there in place of a client's credential, so the
answering hub applies exactly the rules it applies to its own clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

from exchange.deps import get_hub
from exchange.errors import Problem, Refusal
from exchange.federation.routing import Elsewhere, Federation
from exchange.federation.settings import FederationSettings, load_federation_settings
from exchange.signing import SIGNATURE_HEADER

if TYPE_CHECKING:
    from exchange.hub import Hub

__all__ = ["mount", "router"]

router = APIRouter(prefix="/federation/v1", tags=["federation"])


@router.get("/catalog")
async def catalog(request: Request) -> Response:
    """共享目录: what this hub offers its peers, signed by its exchange seal."""
    hub = get_hub(request)
    fed = hub.federation
    if fed is None:
        raise Refusal(404, "federation.off", "this hub takes part in no federation")
    peer, _ = await fed.verify(request)  # on the loop: it may fetch the asking peer's CRL
    return await run_in_threadpool(_signed_catalog, hub, fed, peer.peer_id)


def _signed_catalog(hub: Hub, fed: Federation, peer_id: str) -> Response:
    body = msgspec.json.encode(
        {
            "hub": fed.hub_id,
            "name": hub.vault.settings.hub_name,
            "offers": [
                {"resource": r.name, "title": r.title, "department": r.department,
                 "share": r.share}
                for r in fed.offers()
            ],
            "for": peer_id,
        }
    )  # fmt: skip
    return Response(
        body, media_type="application/json", headers={SIGNATURE_HEADER: hub.signer.sign(body)}
    )


_PEER_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not a signed request of a known, active peer"},
    429: {"model": Problem, "description": "over the peer's rate limit; see Retry-After"},
    503: {"model": Problem, "description": "the asking peer's CRL cannot be had (peer.crl)"},
}


def mount(app: FastAPI, hub: Hub, settings: FederationSettings | None = None) -> Federation:
    """Join the federation: peers answer, and what peers offer is asked of them."""
    from exchange.federation.catalogs import CatalogRefresher
    from exchange.federation.relay import relay

    fed = Federation(hub, settings or load_federation_settings())
    hub.federation = fed
    app.include_router(router, responses=_PEER_REFUSALS)
    app.add_exception_handler(Elsewhere, relay)
    refresher = CatalogRefresher(fed)
    app.router.on_startup.append(refresher.start)
    app.router.on_shutdown.append(refresher.stop)
    return fed
