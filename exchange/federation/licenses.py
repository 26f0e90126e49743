"""A peer's e-license documents, checked before they are passed on: sealed under the peer's
hub root, by a seal the peer's own CRL does not list.

    >>> seal = await check_document(fed, peer, pdf_bytes, "application/pdf")   # or raises
    >>> seal.serial_number

The PDF (PAdES) or JWS is passed on untouched; what is checked here is the seal that
sealed it. Its certificate (the PDF's signer, the JWS's ``x5c``) must be issued by the
root this hub holds for the peer, and the peer's CRL — published by its vault at
``/licenses/pki/crl/<root>.crl``, signed by that same root and current, and kept here per
peer until its nextUpdate or ``crl_max_age_s`` (:mod:`exchange.federation.crls`, the same
CRL the peer's answer seals are checked against) — must not list it. A revoked seal is
refused (409 ``license.seal_revoked``); a CRL that cannot be had or does not hold is a 503
or 502 ``peer.crl`` naming the peer, never a document passed on unchecked. The license's
own status (吊销, 注销) is the peer's to say: its metadata answer carries it, signed.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from fastapi.concurrency import run_in_threadpool

from exchange.errors import Refusal
from exchange.federation.crls import revoked_on
from exchange.federation.peers import Peer

if TYPE_CHECKING:
    from exchange.federation.routing import Federation

__all__ = ["DOCUMENT_TYPES", "check_document", "seal_certificate"]

DOCUMENT_TYPES = ("application/pdf", "application/jose")


def seal_certificate(body: bytes, media_type: str) -> x509.Certificate:
    """The certificate of the seal that sealed a license PDF or JWS (nothing is verified)."""
    if media_type == "application/jose":
        from license_vault.jws import JwsError, parse_compact

        try:
            return parse_compact(body).chain()[0]
        except (JwsError, ValueError, IndexError) as exc:
            raise Refusal(502, "peer.answer", f"the JWS names no seal certificate: {exc}") from None
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        sigs = PdfFileReader(io.BytesIO(body), strict=False).embedded_regular_signatures
        return x509.load_der_x509_certificate(sigs[0].signer_cert.dump())
    except Exception as exc:  # pyHanko raises many kinds on a damaged file
        raise Refusal(502, "peer.answer", f"the PDF carries no readable seal: {exc}") from None


async def check_document(
    fed: Federation, peer: Peer, body: bytes, media_type: str
) -> x509.Certificate:
    """The seal certificate of a peer's license document once it holds; a refusal if not.

    The peer's CRL comes from the federation's cache (:class:`PeerUnavailable` or
    :class:`PeerCredentialError` ``peer.crl`` when it cannot be had or does not hold)."""
    cert = await run_in_threadpool(seal_certificate, body, media_type)
    try:
        cert.verify_directly_issued_by(peer.root)
    except (ValueError, TypeError, InvalidSignature):
        raise Refusal(
            502,
            "license.chain",
            f"the e-license is not sealed under the hub root held for peer {peer.label}",
        ) from None
    when = revoked_on(await fed.client.crls.crl(peer), cert)
    if when is not None:
        raise Refusal(
            409,
            "license.seal_revoked",
            f"the seal that sealed this e-license was revoked on {when}"
            f" (CRL of peer {peer.label}); it is no proof",
        )
    return cert
