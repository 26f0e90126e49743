"""Signed peer requests and sealed peer answers, both checked against the peer's hub root.

    >>> token = seal_request(sealer, iss="county-a", aud="province", method="GET",
    ...                      target="/v1/people/350102199001011234/marriage",
    ...                      client={"id": "zwfw-xian", "name": "县审批系统"}, purpose={...},
    ...                      request_id=rid, ttl_s=60)        # the X-Peer-Assertion header
    >>> claims = check_request(token, peer, hub_id="province", method="GET", target=...)
    >>> seal = check_answer(body, detached_signature, peer)  # raises PeerCredentialError

A peer request is a compact JWS (ES256) over a small JSON claim set: who signs (``iss``:
the asking hub), for whom (``aud``: the answering hub), the method and target it is bound
to, the original client and the stated purpose, a ``jti`` used once, and ``iat``/``exp``.
It is sealed with the asking hub's federation seal, whose certificate travels in ``x5c``
and must be issued by the root the answering hub holds for that peer (and absent from
that peer's CRL: :mod:`exchange.federation.crls`, checked by the answering hub). An answer is the
answering hub's detached JWS (``X-JWS-Signature``) over the body, under the same root.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from exchange.federation.peers import Peer

if TYPE_CHECKING:
    from license_vault.jws import CompactJws, JwsSealer

__all__ = [
    "PEER_HEADER",
    "PeerCredentialError",
    "PeerUnavailable",
    "check_answer",
    "check_request",
    "seal_request",
]

PEER_HEADER = "X-Peer-Assertion"
_SKEW_S = 30


class PeerCredentialError(ValueError):
    """A peer credential that does not hold: the rule it broke and why."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


class PeerUnavailable(Exception):
    """The peer did not answer in time, or at all."""

    def __init__(self, peer: Peer, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.peer = peer
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class PeerClaims:
    iss: str
    request_id: str
    client: Mapping[str, Any]
    purpose: Mapping[str, Any]
    jti: str
    exp: datetime
    seal: x509.Certificate  # the asking hub's federation seal (its CRL may list it)


def seal_request(
    sealer: JwsSealer,
    *,
    iss: str,
    aud: str,
    method: str,
    target: str,
    client: Mapping[str, Any],
    purpose: Mapping[str, Any],
    request_id: str,
    ttl_s: int,
) -> str:
    now = int(time.time())
    claims = {
        "iss": iss,
        "aud": aud,
        "iat": now,
        "exp": now + ttl_s,
        "jti": secrets.token_hex(16),
        "htm": method,
        "htu": target,
        "rid": request_id,
        "client": dict(client),
        "purpose": dict(purpose),
    }
    return sealer.seal(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())


def _under_root(token: CompactJws, peer: Peer, what: str) -> x509.Certificate:
    """The signing certificate is issued by the peer's root, current, and made the signature."""
    from license_vault.jws import JwsError, verify_signature

    try:
        cert = token.chain()[0]
    except JwsError as exc:
        raise PeerCredentialError("peer.certificate", f"{what}: {exc}") from None
    try:
        cert.verify_directly_issued_by(peer.root)
    except (ValueError, TypeError, InvalidSignature):
        raise PeerCredentialError(
            "peer.certificate",
            f"{what} is not signed under the hub root held for peer {peer.peer_id}",
        ) from None
    now = datetime.now(UTC)
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        raise PeerCredentialError("peer.certificate", f"{what}: its certificate is not current")
    if _is_ca(cert):
        raise PeerCredentialError("peer.certificate", f"{what}: signed by a CA certificate")
    if not verify_signature(token, cert):
        raise PeerCredentialError("peer.signature", f"{what}: the signature does not verify")
    return cert


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def unverified_issuer(token: str) -> str:
    """The ``iss`` a request token names, before anything is trusted."""
    from license_vault.jws import JwsError, parse_compact

    try:
        claims = json.loads(parse_compact(token).payload)
    except (JwsError, ValueError, UnicodeDecodeError) as exc:
        raise PeerCredentialError("peer.assertion", f"not a signed peer request: {exc}") from None
    iss = claims.get("iss") if isinstance(claims, dict) else None
    if not isinstance(iss, str) or not iss:
        raise PeerCredentialError("peer.assertion", "the peer request names no issuing hub")
    return iss


def check_request(
    token: str, peer: Peer, *, hub_id: str, method: str, target: str, ttl_s: int
) -> PeerClaims:
    """The claims of a peer request after every check; :class:`PeerCredentialError` if not."""
    from license_vault.jws import JwsError, parse_compact

    try:
        parsed = parse_compact(token)
        claims = json.loads(parsed.payload)
    except (JwsError, ValueError, UnicodeDecodeError) as exc:
        raise PeerCredentialError("peer.assertion", f"not a signed peer request: {exc}") from None
    seal = _under_root(parsed, peer, f"the request of peer {peer.peer_id}")
    if claims.get("aud") != hub_id:
        raise PeerCredentialError(
            "peer.audience", f"the request is meant for {claims.get('aud')!r}, not {hub_id}"
        )
    if claims.get("htm") != method or claims.get("htu") != target:
        raise PeerCredentialError(
            "peer.binding", "the request was signed for another method or path"
        )
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise PeerCredentialError("peer.assertion", "the request carries no iat and exp")
    if exp < now - _SKEW_S or iat > now + _SKEW_S or exp - iat > ttl_s:
        raise PeerCredentialError(
            "peer.expired", f"the request is stale or lives longer than {ttl_s} s"
        )
    client, purpose, jti = claims.get("client"), claims.get("purpose"), claims.get("jti")
    if not isinstance(client, dict) or not isinstance(client.get("id"), str):
        raise PeerCredentialError("peer.client", "the request names no original client")
    if not isinstance(purpose, dict) or not isinstance(jti, str) or not 8 <= len(jti) <= 64:
        raise PeerCredentialError("peer.assertion", "the request lacks its purpose or jti")
    return PeerClaims(
        iss=peer.peer_id,
        request_id=str(claims.get("rid") or "")[:36],
        client=client,
        purpose=purpose,
        jti=jti,
        exp=datetime.fromtimestamp(exp, UTC),
        seal=seal,
    )


def check_answer(body: bytes, signature: str | None, peer: Peer) -> x509.Certificate:
    """The certificate of the seal whose detached JWS over ``body`` holds under the peer's
    hub root (whether the peer's CRL lists it is :mod:`exchange.federation.crls`' to say)."""
    from license_vault.jws import JwsError, b64url, parse_compact

    if not signature:
        raise PeerCredentialError("peer.signature", f"peer {peer.peer_id} sent an unsigned answer")
    header, sep, sig = signature.partition("..")
    if not sep:
        raise PeerCredentialError("peer.signature", "the answer's signature is not a detached JWS")
    try:
        parsed = parse_compact(f"{header}.{b64url(body).decode('ascii')}.{sig}")
    except JwsError as exc:
        raise PeerCredentialError("peer.signature", f"the answer's signature: {exc}") from None
    return _under_root(parsed, peer, f"the answer of peer {peer.peer_id}")
