"""The evidence directory across hubs: materials a peer holds are asked of that peer.

    >>> outcome = await ask_peers(fed, access, pending, applicant)
    >>> outcome.supplied, outcome.to_bring, outcome.peers   # or outcome.failure

Each pending material is asked of the peers that offer its resource (in the order
:meth:`~exchange.federation.Federation.route` ranked them), all materials at once, as the
resource lookup the peer serves (``/v1/people/{id}/marriage``, or the holder's valid
e-licenses of the material's type) with the client's identity and purpose: the peer
applies its own grants. A supplied material carries the peer's answer as it was sent
(``proof.answer``: the body's exact text; ``proof.signature``: the peer's detached JWS over
it, under the peer's hub root) beside the fields the material needs.

A peer's refusal of the client (``grant.missing``, ``subject.not_found``) is an answer:
the material is to be brought, the reason naming the peer. A peer that is down, slow,
over its rate limit, refusing this hub or answering with a seal that does not hold is
not: the whole directory is refused (:attr:`Outcome.failure`, 503 naming the peer and the
material), because an approval system asks the applicant for every material listed to
bring, and one the hub could supply once the peer answers must not be listed so.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi.concurrency import run_in_threadpool

from exchange.catalog import Material
from exchange.deps import Access
from exchange.federation.client import PeerAnswer, PeerUnavailable
from exchange.federation.credentials import PeerCredentialError
from exchange.federation.peers import Peer
from exchange.federation.relay import log_exchange
from exchange.federation.routing import Elsewhere, Federation
from tongban.errors import TongbanError

__all__ = ["Failure", "Outcome", "ask_peers"]

# The lookup a peer serves for each resource a material can come from.
_PATHS = {
    "person": "/v1/people/{}",
    "marriage": "/v1/people/{}/marriage",
    "insurance": "/v1/people/{}/insurance",
    "enterprise": "/v1/enterprises/{}",
}
_RETRY_S = "5"  # Retry-After of a directory refused for a peer that is down or slow


@dataclass
class Failure(Exception):
    """The directory cannot be given whole: the status, rule and message to refuse it with."""

    status: int
    rule: str
    message: str
    peer: Peer | None
    retry_after: str | None = None


@dataclass
class Outcome:
    supplied: list[dict[str, Any]] = field(default_factory=list)
    to_bring: list[dict[str, Any]] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)  # the peers that supplied a material
    failure: Failure | None = None


def target(m: Material, key: str) -> str | None:
    """The path and query a peer answers the material's proof at, if it serves one."""
    if m.resource is not None:
        path = _PATHS.get(m.resource)
        return path.format(key) if path else None
    if m.license_type is not None:
        query = urlencode({"holder": key, "type": m.license_type, "status": "valid"})
        return f"/v1/licenses?{query}"
    return None


async def ask_peers(
    fed: Federation, access: Access, pending: list[tuple[Material, Elsewhere]], key: str
) -> Outcome:
    """Ask every pending material of its peers at once; the whole outcome or a failure."""
    results = await asyncio.gather(
        *(_material(fed, access, m, there, key) for m, there in pending),
        return_exceptions=True,
    )
    outcome = Outcome()
    failures: list[Failure] = []
    for result in results:
        if isinstance(result, Failure):
            failures.append(result)
        elif isinstance(result, BaseException):
            raise result
        elif "proof" in result:
            outcome.supplied.append(result)
            if result["hub"] not in outcome.peers:
                outcome.peers.append(result["hub"])
        else:
            outcome.to_bring.append(result)
    if failures:
        # A peer down or slow first (503): the refusal an approval system retries.
        outcome.failure = min(failures, key=lambda f: (f.status != 503, f.status))
    return outcome


async def _material(
    fed: Federation, access: Access, m: Material, there: Elsewhere, key: str
) -> dict[str, Any]:
    path = target(m, key)
    if path is None:
        return _bring(m, "subject.elsewhere", there.message, None)
    assert access.client is not None
    got: PeerAnswer | None = None
    for peer in there.peers:
        try:
            got = await fed.client.ask(
                peer, "GET", path, access.client, access.purpose, access.request_id
            )
        except PeerUnavailable as down:
            await _log(fed, access, peer, path, m, 503, None)
            raise _failed(503, down.rule, down.message, peer, m, _RETRY_S) from None
        except PeerCredentialError as bad:
            await _log(fed, access, peer, path, m, 502, None)
            raise _failed(502, bad.rule, bad.message, peer, m) from None
        except TongbanError as own:  # this hub cannot sign (its federation seal revoked, ...)
            raise _failed(503, "hub.federation_seal", str(own), None, m) from None
        await _log(fed, access, peer, path, m, got.status, got)
        if got.status != 404:
            break  # a 404 from one peer: the next one may hold the subject
    assert got is not None
    if got.status == 200:
        return _supplied(fed, m, got)
    rule, message = _problem(got)
    peer = got.peer
    if got.status >= 500:
        raise _failed(503, "peer.unavailable", f"peer {peer.label} answered {got.status}: "
                      f"{message}", peer, m, _RETRY_S)  # fmt: skip
    if got.status == 429:
        raise _failed(429, rule, f"peer {peer.label}: {message}", peer, m, got.retry_after)
    if got.status == 401 and rule.startswith("peer."):
        raise _failed(502, "peer.refused", f"peer {peer.label} refused this hub: {rule}:"
                      f" {message}", peer, m)  # fmt: skip
    return _bring(m, rule, f"peer {peer.label}: {message}", peer)


def _supplied(fed: Federation, m: Material, got: PeerAnswer) -> dict[str, Any]:
    peer = got.peer
    try:
        answer = got.json()
        proof = {
            "hub": peer.peer_id,
            "answer": got.body.decode("utf-8"),
            "signature": got.signature,
            "request_id": got.request_id,
            "audit_seq": got.audit_seq,
        }
    except (ValueError, UnicodeDecodeError):
        raise _failed(502, "peer.answer", "the answer is not JSON", peer, m) from None
    base = {"material": m.code, "name": m.name, "hub": peer.peer_id}
    if m.license_type is not None:
        found = answer.get("licenses") if isinstance(answer, dict) else None
        if not found:
            return _bring(m, "license.none", f"peer {peer.label} holds no valid {m.name}", peer)
        department = fed.hub.share.resource("license").department
        return {**base, "resource": "license", "department": department,
                "licenses": found, "proof": proof}  # fmt: skip
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        raise _failed(502, "peer.answer", "the answer carries no data", peer, m)
    lacking = [f for f in m.fields if f not in data]
    if lacking:
        return _bring(m, "grant.fields", f"peer {peer.label}: the proof needs"
                      f" {', '.join(lacking)}", peer)  # fmt: skip
    return {**base, "resource": m.resource, "department": answer.get("department"),
            "data": {f: data[f] for f in m.fields} if m.fields else data,
            "proof": proof}  # fmt: skip


def _bring(m: Material, rule: str, message: str, peer: Peer | None) -> dict[str, Any]:
    entry = {"material": m.code, "name": m.name, "reason": rule, "message": message}
    if peer is not None:
        entry["hub"] = peer.peer_id
    return entry


def _failed(
    status: int,
    rule: str,
    message: str,
    peer: Peer | None,
    m: Material,
    retry_after: str | None = None,
) -> Failure:
    return Failure(
        status,
        rule,
        f"{message}; {m.name} ({m.code}) cannot be supplied now, so no evidence directory is"
        " given (retry)",
        peer,
        retry_after,
    )


def _problem(got: PeerAnswer) -> tuple[str, str]:
    try:
        problem = json.loads(got.body)
        return str(problem["error"]), str(problem["message"])
    except (ValueError, KeyError, TypeError):
        return "peer.answer", got.body[:200].decode("utf-8", "replace")


async def _log(
    fed: Federation,
    access: Access,
    peer: Peer,
    path: str,
    m: Material,
    status: int,
    got: PeerAnswer | None,
) -> None:
    elapsed = got.elapsed_ms if got is not None else 0
    resource = m.resource or "license"
    await run_in_threadpool(
        log_exchange, fed.hub, access, peer, path, status, got, elapsed, resource=resource
    )
