"""The relay: a request the local store cannot answer goes to the peer that offers it.

The answer is passed on as the peer sent it — the same bytes, the peer's own signature
(``X-JWS-Signature``, under the peer's hub root) — after the seal has been checked and
this hub's audit entry written ("client X asked, peer P answered": reason ``via peer P``).
A peer's refusal is passed on with its status and rule, its message prefixed with the
peer's name; a peer that is down or slow is a 503 naming it (``peer.unavailable``,
``peer.timeout``, or ``peer.crl`` for its CRL); a peer that refuses this hub, or whose
answer does not verify or is signed by a seal its own CRL lists (``peer.seal_revoked``),
a 502.
Nothing is kept beyond the request: the body is not cached, only its digest is logged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import insert

from exchange.deps import Access, get_hub, request_access
from exchange.errors import Problem, Refusal
from exchange.federation.client import PeerAnswer, PeerUnavailable
from exchange.federation.credentials import PeerCredentialError
from exchange.federation.licenses import DOCUMENT_TYPES, check_document
from exchange.federation.peers import Peer
from exchange.federation.routing import Elsewhere, Federation
from exchange.hub import Hub
from exchange.metrics import REFUSALS
from exchange.signing import SIGNATURE_HEADER
from tongban.errors import TongbanError
from tongban.store import schema, utcnow

__all__ = ["log_exchange", "refuse", "relay", "through", "via"]

_VIA = " via peer "


def via(peer_id: str) -> str:
    """The audit reason of an exchange a peer answered."""
    return _VIA.lstrip() + peer_id


def through(client_id: str | None, reason: str | None) -> str | None:
    """The peer hub an audit entry's access went through, if any.

    Here for a peer that asked (its client is ``<peer>.<client>``), or a peer that
    answered (the reason ends ``via peer <peer>``)."""
    if client_id and "." in client_id:
        return client_id.split(".", 1)[0]
    if reason and (" " + reason).rfind(_VIA) >= 0:
        return (" " + reason).rsplit(_VIA, 1)[1]
    return None


async def relay(request: Request, exc: Exception) -> Response:
    """Exception handler for :class:`Elsewhere`: ask the peers in turn, pass on the answer."""
    assert isinstance(exc, Elsewhere)
    hub = get_hub(request)
    fed: Federation | None = hub.federation
    access = request_access(request)
    if fed is None or request.method != "GET" or access.client is None:
        return await run_in_threadpool(refuse, hub, request, 404, "subject.not_found",
                                       exc.message, None)  # fmt: skip
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    got: PeerAnswer | None = None
    for peer in exc.peers:
        try:
            got = await fed.client.ask(
                peer, "GET", target, access.client, access.purpose, access.request_id
            )
        except PeerUnavailable as down:
            await run_in_threadpool(_log, hub, request, down.peer, 503, None, 0)
            return await run_in_threadpool(
                refuse, hub, request, 503, down.rule, down.message, down.peer
            )
        except PeerCredentialError as bad:
            await run_in_threadpool(_log, hub, request, peer, 502, None, 0)
            return await run_in_threadpool(refuse, hub, request, 502, bad.rule, bad.message, peer)
        except TongbanError as own:  # this hub cannot sign (its federation seal revoked, ...)
            return await run_in_threadpool(
                refuse, hub, request, 503, "hub.federation_seal", str(own), None
            )
        await run_in_threadpool(_log, hub, request, peer, got.status, got, got.elapsed_ms)
        if got.status != 404:
            break  # a 404 from one peer: the next one may hold the subject
    assert got is not None
    if got.status != 200:
        return await run_in_threadpool(_peer_refused, hub, request, got)
    seal = None
    if got.media_type in DOCUMENT_TYPES:  # a license's PDF or JWS: its seal, by the peer's CRL
        try:
            seal = await check_document(fed, got.peer, got.body, got.media_type)
        except Refusal as no:
            return await run_in_threadpool(
                refuse, hub, request, no.status, no.rule, no.message, got.peer
            )
        except PeerUnavailable as down:  # its CRL cannot be had
            return await run_in_threadpool(
                refuse, hub, request, 503, down.rule, down.message, got.peer
            )
        except PeerCredentialError as bad:  # its CRL does not hold
            return await run_in_threadpool(
                refuse, hub, request, 502, bad.rule, bad.message, got.peer
            )
    response = await run_in_threadpool(_pass_on, hub, request, got)
    if seal is not None:
        response.headers["X-Seal-Status"] = f"good; serial {seal.serial_number:x}"
    return response


def _pass_on(hub: Hub, request: Request, got: PeerAnswer) -> Response:
    access = request_access(request)
    if got.media_type in DOCUMENT_TYPES:
        identifier, kind = request.url.path.rsplit("/", 2)[-2:]  # /v1/licenses/<id>/<kind>
        fields = [f"{identifier}.{kind}"]
    else:
        try:
            answer = got.json()
            data, listed = answer.get("data"), answer.get("licenses")
            fields = list(data) if isinstance(data, dict) else []
            if isinstance(listed, list):  # a holder's e-licenses: their identifiers
                fields = [str(e.get("identifier")) for e in listed if isinstance(e, dict)]
        except (ValueError, AttributeError):
            return refuse(hub, request, 502, "peer.answer", "the answer is not JSON", got.peer)
    digest = hashlib.sha256(got.body).hexdigest()
    entry = access.entry(
        "allowed", 200, fields=fields, answer_sha256=digest, reason=via(got.peer.peer_id)
    )
    seq = hub.audit.append(entry)
    headers = {
        "X-Request-Id": access.request_id,
        "X-Audit-Seq": str(seq),
        "X-Answered-By": got.peer.peer_id,
        "X-Peer-Request-Id": got.request_id or "",
        "X-Peer-Audit-Seq": str(got.audit_seq or ""),
    }
    if got.signature:
        headers[SIGNATURE_HEADER] = got.signature
    return Response(got.body, media_type=got.media_type, headers=headers)


def _peer_refused(hub: Hub, request: Request, got: PeerAnswer) -> Response:
    peer = got.peer
    try:
        problem = json.loads(got.body)
        rule, message = str(problem["error"]), str(problem["message"])
    except (ValueError, KeyError, TypeError):
        rule, message = "peer.answer", got.body[:200].decode("utf-8", "replace")
    if got.status >= 500:
        return refuse(hub, request, 503, "peer.unavailable",
                       f"peer {peer.label} answered {got.status}: {message}", peer)  # fmt: skip
    if got.status == 401 and rule.startswith("peer."):
        return refuse(hub, request, 502, "peer.refused",
                       f"peer {peer.label} refused this hub: {rule}: {message}", peer)  # fmt: skip
    refused = refuse(hub, request, got.status, rule, f"peer {peer.label}: {message}", peer)
    if got.retry_after is not None and got.retry_after.isdigit():
        refused.headers["Retry-After"] = got.retry_after
    return refused


def refuse(
    hub: Hub, request: Request, status: int, rule: str, message: str, peer: Peer | None
) -> Response:
    access = request_access(request)
    reason = f"{rule} {via(peer.peer_id)}" if peer is not None else rule
    hub.audit.append(access.entry("refused", status, reason=reason[:120]))
    REFUSALS.labels(rule).inc()
    body = Problem(error=rule, message=message, request_id=access.request_id)
    headers: dict[str, Any] = {"X-Request-Id": access.request_id}
    if peer is not None:
        headers["X-Answered-By"] = peer.peer_id
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _log(
    hub: Hub, request: Request, peer: Peer, status: int, got: PeerAnswer | None, elapsed_ms: int
) -> None:
    access = request_access(request)
    log_exchange(hub, access, peer, request.url.path, status, got, elapsed_ms)


def log_exchange(
    hub: Hub,
    access: Access,
    peer: Peer,
    path: str,
    status: int,
    got: PeerAnswer | None,
    elapsed_ms: int,
    *,
    resource: str | None = None,
) -> None:
    """One row of the federation log: which peer was asked, what it said, where it logged it."""
    row = {
        "at": utcnow(),
        "request_id": access.request_id,
        "peer_id": peer.peer_id,
        "client_id": access.client.client_id if access.client else None,
        "method": "GET",
        "path": path.split("?", 1)[0][:300],
        "subject": access.subject,
        "resource": resource or access.resource,
        "status": status,
        "peer_request_id": got.request_id if got else None,
        "peer_audit_seq": got.audit_seq if got else None,
        "answer_sha256": hashlib.sha256(got.body).hexdigest() if got and status == 200 else None,
        "elapsed_ms": elapsed_ms,
    }
    with hub.store.engine.begin() as conn:
        conn.execute(insert(schema.federation_exchange), row)
