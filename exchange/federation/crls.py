"""Peers' CRLs, fetched once and kept while they are current: the revocation word of each
peer's own root on the seals that sign its answers, its e-licenses and its requests.

    >>> crls = PeerCrls(client.fetch, max_age_s=300)
    >>> crl = await crls.crl(peer)            # the peer's current CRL, checked
    >>> check_seal(crl, peer, seal_cert)      # or PeerCredentialError peer.seal_revoked

A peer's vault publishes the CRL of its hub root at ``/licenses/pki/crl/<root>.crl``. It is
fetched from the peer the first time it is needed, checked (signed by the root held here
for the peer, its ``nextUpdate`` not passed) and kept in this API process until its
``nextUpdate`` or ``max_age_s`` after the fetch, whichever comes first; then the next
request fetches it again. Requests that need it at the same time wait for one fetch (a
lock per peer). A CRL that cannot be had is :class:`PeerUnavailable` (503 ``peer.crl``),
one that does not hold :class:`PeerCredentialError` (502 ``peer.crl``): a CRL past its
``nextUpdate`` is never trusted, kept or not.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from cryptography import x509

from exchange.federation.credentials import PeerCredentialError, PeerUnavailable
from exchange.federation.peers import Peer

__all__ = ["PeerCrls", "check_seal", "crl_path", "current_crl", "revoked_on"]

Fetch = Callable[[Peer, str], Awaitable[httpx.Response]]


def crl_path(peer: Peer) -> str:
    """Where the peer's vault publishes the CRL of the root held for it here."""
    from license_vault.pki import fingerprint

    return f"/licenses/pki/crl/{fingerprint(peer.root)[:16]}.crl"


def current_crl(peer: Peer, der: bytes) -> x509.CertificateRevocationList:
    """The peer's CRL once it is signed by the root held for the peer and current."""
    try:
        crl = x509.load_der_x509_crl(der)
    except ValueError as exc:
        raise PeerCredentialError("peer.crl", f"peer {peer.label} sent no CRL: {exc}") from None
    if crl.issuer != peer.root.subject or not crl.is_signature_valid(
        peer.root.public_key()  # type: ignore[arg-type]
    ):
        raise PeerCredentialError(
            "peer.crl", f"the CRL of peer {peer.label} is not signed by its hub root"
        )
    if not _current(crl):
        raise PeerCredentialError("peer.crl", f"the CRL of peer {peer.label} is out of date")
    return crl


def _current(crl: x509.CertificateRevocationList) -> bool:
    next_update = crl.next_update_utc
    return next_update is None or next_update >= datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Held:
    crl: x509.CertificateRevocationList
    root_fingerprint: str  # a peer added again under another root has another CRL
    expires: float  # time.monotonic() past which it is fetched again

    def fresh(self, peer: Peer) -> bool:
        return (
            self.root_fingerprint == peer.root_fingerprint
            and time.monotonic() < self.expires
            and _current(self.crl)
        )


class PeerCrls:
    """Each peer's CRL, fetched once per ``max_age_s`` (or sooner, at its nextUpdate)."""

    def __init__(self, fetch: Fetch, *, max_age_s: float) -> None:
        self._fetch = fetch
        self.max_age_s = max_age_s
        self._held: dict[str, _Held] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._guard = threading.Lock()  # the sync path (the command line's catalog fetch)

    async def crl(self, peer: Peer) -> x509.CertificateRevocationList:
        held = self._held.get(peer.peer_id)
        if held is not None and held.fresh(peer):
            return held.crl
        lock = self._locks.setdefault(peer.peer_id, asyncio.Lock())
        async with lock:
            held = self._held.get(peer.peer_id)
            if held is not None and held.fresh(peer):
                return held.crl  # fetched while this request waited
            try:
                got = await self._fetch(peer, crl_path(peer))
            except PeerUnavailable as down:
                raise PeerUnavailable(peer, "peer.crl", f"CRL: {down.message}") from None
            return self._keep(peer, got)

    def crl_sync(self, peer: Peer, timeout: httpx.Timeout) -> x509.CertificateRevocationList:
        """The same, from a thread with no event loop (``tongban peer refresh``)."""
        with self._guard:
            held = self._held.get(peer.peer_id)
            if held is not None and held.fresh(peer):
                return held.crl
            try:
                got = httpx.get(peer.url + crl_path(peer), timeout=timeout)
            except httpx.HTTPError as exc:
                raise PeerUnavailable(
                    peer, "peer.crl", f"CRL: peer {peer.label} cannot be reached: {exc}"
                ) from None
            return self._keep(peer, got)

    def _keep(self, peer: Peer, got: httpx.Response) -> x509.CertificateRevocationList:
        if got.status_code != 200:
            raise PeerUnavailable(
                peer, "peer.crl", f"peer {peer.label} published no CRL ({got.status_code})"
            )
        crl = current_crl(peer, got.content)
        expires = time.monotonic() + self.max_age_s
        if crl.next_update_utc is not None:
            left = (crl.next_update_utc - datetime.now(UTC)).total_seconds()
            expires = min(expires, time.monotonic() + left)
        self._held[peer.peer_id] = _Held(crl, peer.root_fingerprint, expires)
        return crl

    def forget(self, peer_id: str) -> None:
        self._held.pop(peer_id, None)


def revoked_on(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> str | None:
    """The date ``crl`` lists ``cert`` as revoked on (ISO), or None when it is not listed."""
    revoked = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    return None if revoked is None else revoked.revocation_date_utc.date().isoformat()


def check_seal(
    crl: x509.CertificateRevocationList,
    peer: Peer,
    cert: x509.Certificate,
    *,
    what: str = "answer",
) -> None:
    """The seal that signed a peer's answer (or ``what="request"``, its request) is not
    listed: else ``peer.seal_revoked`` (502 for an answer, 401 for a request)."""
    when = revoked_on(crl, cert)
    if when is not None:
        raise PeerCredentialError(
            "peer.seal_revoked",
            f"the seal that signed the {what} of peer {peer.label} (certificate serial"
            f" {cert.serial_number:x}) was revoked on {when} by the peer's own hub root",
        )
