"""The structured e-license: its JSON signed as a compact JWS (RFC 7515, ES256).

The protected header names the seal (``kid``: SHA-256 of the seal certificate) and
carries the chain (``x5c``: seal certificate, then the hub root), so any JOSE library
verifies it with the seal certificate's public key alone.

    >>> jws = JwsSealer(signer, kid=seal_id)
    >>> token = jws.seal(payload)               # "<header>.<payload>.<signature>"
    >>> parts = parse_compact(token)

The header is encoded once per seal and the signature comes straight from the signer
(DER turned into the raw ``r || s`` JWS wants), so sealing costs little more than ECDSA.

With a TSA the vault stores the flattened JSON serialization (RFC 7515 7.2.2) instead:
the same protected header, payload and signature, and in the unprotected header ``tst``
an RFC 3161 token from the hub TSA over the SHA-256 of the signature, the evidence that
the seal signed while its certificate was valid. :meth:`CompactJws.compact` gives the
compact form back for a library that reads only that one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import warnings
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.utils import CryptographyDeprecationWarning

from license_vault.keys import Signer
from license_vault.tsa import HubTsa
from tongban.errors import FatalError

__all__ = [
    "CompactJws",
    "JwsError",
    "JwsSealer",
    "b64url",
    "b64url_decode",
    "parse_compact",
    "verify_signature",
]

_SIZES = {"ES256": 32}


class JwsError(ValueError):
    """The token is not a well-formed compact JWS."""


def b64url(data: bytes) -> bytes:
    """Base64url without padding (RFC 7515), as every part of a compact JWS is written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url_decode(text: str) -> bytes:
    """Strict base64url: the canonical spelling only, so no character can change unseen."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JwsError(f"not base64url: {exc}") from None
    if b64url(data).decode("ascii") != text:
        raise JwsError("not canonical base64url")
    return data


class JwsSealer:
    """Seals payloads with one signer; the header is built once."""

    def __init__(self, signer: Signer, *, kid: str, tsa: HubTsa | None = None):
        if signer.algorithm not in _SIZES:
            raise FatalError(f"JWS sealing does not support {signer.algorithm}")
        self._signer = signer
        self._tsa = tsa
        self._size = _SIZES[signer.algorithm]
        header = {
            "alg": signer.algorithm,
            "kid": kid,
            "typ": "JOSE",
            "cty": "application/json",
            "x5c": [
                base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
                for c in signer.certificate_chain
            ],
        }
        self._header = b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))

    def seal(self, payload: bytes) -> str:
        signing_input = self._header + b"." + b64url(payload)
        r, s = decode_dss_signature(self._signer.sign(signing_input))
        raw = r.to_bytes(self._size, "big") + s.to_bytes(self._size, "big")
        return (signing_input + b"." + b64url(raw)).decode("ascii")

    def seal_with_timestamp(self, payload: bytes) -> str:
        """The flattened JSON serialization with the TSA's token over the signature."""
        if self._tsa is None:
            raise FatalError("a timestamped JWS needs the hub TSA")
        header, body, signature = self.seal(payload).split(".")
        token = self._tsa.timestamp(hashlib.sha256(b64url_decode(signature)).digest())
        document = {
            "protected": header, "payload": body, "signature": signature,
            "header": {"tst": base64.b64encode(token).decode("ascii")},
        }  # fmt: skip
        return json.dumps(document, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class CompactJws:
    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes
    timestamp: bytes | None = None  # DER RFC 3161 token over SHA-256(signature)

    def compact(self) -> bytes:
        return self.signing_input + b"." + b64url(self.signature)

    def chain(self) -> list[x509.Certificate]:
        """The ``x5c`` certificates (seal first)."""
        x5c = self.header.get("x5c")
        if not isinstance(x5c, list) or not x5c:
            raise JwsError("the header has no x5c chain")
        try:
            with warnings.catch_warnings():
                # A certificate RFC 5280 forbids (e.g. a negative serial) is a bad chain.
                warnings.simplefilter("error", CryptographyDeprecationWarning)
                return [
                    x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in x5c
                ]
        except (
            ValueError, TypeError, binascii.Error, x509.InvalidVersion,
            CryptographyDeprecationWarning,
        ) as exc:  # fmt: skip
            raise JwsError(f"x5c holds an unreadable certificate: {exc}") from None


def parse_compact(token: str | bytes) -> CompactJws:
    """A compact JWS, or the flattened JSON form the vault stores (with its ``tst``)."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise JwsError("a JWS is ASCII") from None
    if token.startswith("{"):
        return _parse_flattened(token)
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("a compact JWS has three dot-separated parts")
    header_raw, payload, signature = (b64url_decode(p) for p in parts)
    try:
        header = json.loads(header_raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JwsError(f"the header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise JwsError("the header is not a JSON object")
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return CompactJws(header, payload, signing_input, signature)


def verify_signature(jws: CompactJws, cert: x509.Certificate) -> bool:
    """True if the certificate's key made the signature (ES256 only)."""
    if jws.header.get("alg") != "ES256" or len(jws.signature) != 64:
        return False
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        return False
    r = int.from_bytes(jws.signature[:32], "big")
    s = int.from_bytes(jws.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _parse_flattened(text: str) -> CompactJws:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JwsError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or set(document) != {
        "protected", "payload", "signature", "header"
    }:  # fmt: skip
        raise JwsError("a flattened JWS has protected, payload, signature and header, only")
    parts = [document["protected"], document["payload"], document["signature"]]
    unprotected = document["header"]
    if not all(isinstance(p, str) for p in parts) or not isinstance(unprotected, dict):
        raise JwsError("the flattened JWS members have the wrong types")
    if set(unprotected) != {"tst"} or not isinstance(unprotected["tst"], str):
        raise JwsError("the unprotected header carries the time-stamp token (tst) alone")
    try:
        token = base64.b64decode(unprotected["tst"], validate=True)
    except (binascii.Error, ValueError):
        raise JwsError("tst is not base64") from None
    if base64.b64encode(token).decode("ascii") != unprotected["tst"]:
        raise JwsError("tst is not canonical base64")
    jws = parse_compact(".".join(parts))
    return CompactJws(jws.header, jws.payload, jws.signing_input, jws.signature, token)
