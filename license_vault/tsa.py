"""The hub's time-stamping authority (RFC 3161), in process and over HTTP.

The TSA signs with its own ECDSA key, under a certificate the hub root issued (extended
key usage timeStamping). Issuance asks it in process through :meth:`HubTsa.stamper`, a
pyHanko ``TimeStamper``; outside relying parties reach the same code over HTTP
(``application/timestamp-query``, :meth:`HubTsa.respond`).

    >>> tsa = HubTsa.of(registry)
    >>> token = tsa.timestamp(hashlib.sha256(head).digest())     # DER TimeStampToken
    >>> verify_token(token, hashlib.sha256(head).digest(), registry.roots())
    datetime.datetime(2026, 12, 4, 21, 30, 1, tzinfo=datetime.timezone.utc)

:func:`timestamp_digest` and :func:`verify_token` are what an audit chain's anchor uses:
timestamp the digest of the chain's head, keep the token, and later check the token
against the hub roots and the head recomputed from the rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from tongban.errors import RecordError

__all__ = ["POLICY", "HubTimeStamper", "HubTsa", "timestamp_digest", "verify_token"]

POLICY = "1.2.156.3005.2.9.1"  # the hub's time-stamp policy (under the e-license root arc)
_HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


T = TypeVar("T", bound=core.Asn1Value)


def _frozen(value: T) -> T:
    """The value parsed back from its encoding: asn1crypto then copies and re-encodes it
    from the cached bytes instead of rebuilding every nested part each time."""
    return type(value).load(value.dump())


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class HubTsa:
    """Makes RFC 3161 time-stamp tokens with the TSA key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate):
        self._key = key
        self.certificate = cert
        self._cert = _asn1(cert)
        # What every token repeats is encoded once: building these asn1crypto values anew
        # costs more than the ECDSA signature.
        self._tsa_name = _frozen(
            asn1_x509.GeneralName(name="directory_name", value=self._cert.subject)
        )
        self._static_attrs = [
            _frozen(simple_cms_attribute("content_type", "tst_info")),
            _frozen(
                simple_cms_attribute(
                    "signing_certificate_v2", as_signing_certificate_v2(self._cert, "sha256")
                )
            ),
        ]
        self._sid = _frozen(
            cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": self._cert.issuer, "serial_number": self._cert.serial_number}
                    )
                }
            )
        )
        self._digest_algorithm = _frozen(algos.DigestAlgorithm({"algorithm": "sha256"}))
        self._signature_algorithm = _frozen(
            algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
        )

    @classmethod
    def of(cls, registry: object) -> HubTsa:
        """The TSA of a :class:`~license_vault.seals.SealRegistry` (created on first use)."""
        from license_vault.seals import SealRegistry

        assert isinstance(registry, SealRegistry)
        return registry.hub_tsa()

    def token(
        self,
        digest: bytes,
        md_algorithm: str = "sha256",
        *,
        nonce: int | None = None,
        when: datetime | None = None,
    ) -> cms.ContentInfo:
        """A TimeStampToken over ``digest`` (made with ``md_algorithm``)."""
        md_algorithm = md_algorithm.lower()
        if md_algorithm not in _HASHES or len(digest) != _HASHES[md_algorithm].digest_size:
            raise RecordError(
                "tsa.bad_imprint",
                f"a {md_algorithm} message imprint of {len(digest)} bytes is not accepted",
            )
        gen_time = (when or datetime.now(UTC)).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": POLICY,
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": md_algorithm}),
                    "hashed_message": digest,
                }
            ),
            "serial_number": secrets.randbits(127),
            "gen_time": gen_time,
            "tsa": self._tsa_name,
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_info = tsp.TSTInfo(info).dump()
        attrs = cms.CMSAttributes(
            [
                self._static_attrs[0],
                simple_cms_attribute(
                    "signing_time", cms.Time({"utc_time": core.UTCTime(gen_time)})
                ),
                simple_cms_attribute("message_digest", hashlib.sha256(tst_info).digest()),
                self._static_attrs[1],
            ]
        )
        signed_attrs = attrs.dump()
        signature = self._key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": self._sid,
                "digest_algorithm": self._digest_algorithm,
                "signature_algorithm": self._signature_algorithm,
                "signed_attrs": attrs,
                "signature": signature,
            }
        )
        signed = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": cms.DigestAlgorithms([self._digest_algorithm]),
                "encap_content_info": cms.EncapsulatedContentInfo(
                    {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info)}
                ),
                "certificates": [self._cert],
                "signer_infos": [signer_info],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
        return _frozen(token)

    def timestamp(self, digest: bytes, md_algorithm: str = "sha256") -> bytes:
        """A DER TimeStampToken over ``digest``."""
        return bytes(self.token(digest, md_algorithm).dump())

    def respond(self, request: bytes) -> bytes:
        """A DER TimeStampResp for a DER TimeStampReq (what the HTTP endpoint answers)."""
        try:
            req = tsp.TimeStampReq.load(request)
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            nonce = req["nonce"].native
            token = self.token(digest, algorithm, nonce=nonce)
        except (ValueError, TypeError, KeyError, RecordError) as exc:
            status = tsp.PKIStatusInfo(
                {"status": "rejection", "status_string": [f"bad request: {exc}"[:200]],
                 "fail_info": tsp.PKIFailureInfo({"bad_data_format"})}
            )  # fmt: skip
            # asn1crypto's TimeStampResp wants a token; a rejection is SEQUENCE { status }.
            return _der_sequence(bytes(status.dump()))
        granted = tsp.PKIStatusInfo({"status": "granted"})
        return bytes(tsp.TimeStampResp({"status": granted, "time_stamp_token": token}).dump())

    def stamper(self) -> HubTimeStamper:
        return HubTimeStamper(self)


def _der_sequence(content: bytes) -> bytes:
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | 2]) + n.to_bytes(2, "big")
    return b"\x30" + length + content


class HubTimeStamper(TimeStamper):
    """pyHanko's view of the hub TSA: asks it in process, no HTTP round trip."""

    def __init__(self, tsa: HubTsa):
        # In process there is no reply to replay, so no nonce (asn1crypto also re-encodes a
        # token carrying a 64-bit nonce over and over while pyHanko embeds it: seconds).
        super().__init__(include_nonce=False)
        self._tsa = tsa

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        imprint = req["message_imprint"]
        token = self._tsa.token(
            imprint["hashed_message"].native,
            imprint["hash_algorithm"]["algorithm"].native,
            nonce=req["nonce"].native,
        )
        granted = tsp.PKIStatusInfo({"status": "granted"})
        return tsp.TimeStampResp({"status": granted, "time_stamp_token": token})


def timestamp_digest(tsa: HubTsa, digest: bytes) -> bytes:
    """A DER RFC 3161 token over a SHA-256 ``digest`` (an audit chain's head, say)."""
    return tsa.timestamp(digest, "sha256")


def verify_token(token: bytes, digest: bytes, roots: Sequence[x509.Certificate]) -> datetime:
    """The time a token proves ``digest`` existed at, after checking its signature, that
    it covers ``digest`` and that its TSA chains to one of ``roots``.

    Raises :class:`RecordError` (``tsa.token_invalid``) otherwise."""
    try:
        content = cms.ContentInfo.load(token)
        signed = content["content"]
        info = signed["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]
        if imprint["hashed_message"].native != digest:
            raise RecordError("tsa.token_invalid", "the token covers another digest")
        context = ValidationContext(trust_roots=[_asn1(r) for r in roots], allow_fetching=False,
                                    revocation_mode="soft-fail")  # fmt: skip
        kwargs = asyncio.run(validate_tst_signed_data(signed, context, lambda _algo: digest))
        status = TimestampSignatureStatus(**kwargs)
    except RecordError:
        raise
    except Exception as exc:  # asn1crypto and pyHanko raise many kinds on bad input
        raise RecordError(
            "tsa.token_invalid", f"the time-stamp token cannot be read: {exc}"
        ) from None
    if not (status.intact and status.valid):
        raise RecordError("tsa.token_invalid", "the time-stamp token's signature does not hold")
    if not status.trusted:
        raise RecordError("tsa.token_invalid", "the time-stamp token's TSA is not under a hub root")
    gen_time: datetime = info["gen_time"].native
    return gen_time
