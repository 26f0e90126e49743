"""Signing keys behind a small interface, and their encryption at rest.

Everything that seals (PAdES, JWS) goes through :class:`Signer`: an HSM or a signing
service replaces :class:`FileKeySigner` by implementing the same three members.

    >>> key = ec.generate_private_key(ec.SECP256R1())
    >>> pem = encrypt_private_key(key, b"a key-encryption key")
    >>> signer = FileKeySigner.from_encrypted_pem(pem, b"a key-encryption key", chain)
    >>> der_signature = signer.sign(b"data")
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tongban.errors import FatalError

__all__ = [
    "FileKeySigner",
    "Signer",
    "decrypt_private_key",
    "encrypt_private_key",
    "generate_key",
    "public_key_matches",
]

# Curves the vault signs with, by JOSE algorithm name (ECDSA P-256 by default).
_CURVES: dict[str, tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm]]] = {
    "ES256": (ec.SECP256R1, hashes.SHA256),
}


@runtime_checkable
class Signer(Protocol):
    """A seal's private key, wherever it lives.

    ``algorithm`` is the JOSE name (``ES256``: ECDSA P-256 with SHA-256);
    ``certificate_chain`` starts with the seal certificate and ends with the hub root;
    ``sign(data)`` hashes ``data`` and returns the DER (X9.62) ECDSA signature.
    """

    @property
    def algorithm(self) -> str: ...

    @property
    def certificate_chain(self) -> Sequence[x509.Certificate]: ...

    def sign(self, data: bytes) -> bytes: ...


def generate_key(algorithm: str = "ES256") -> ec.EllipticCurvePrivateKey:
    curve, _ = _curve(algorithm)
    return ec.generate_private_key(curve())


def _curve(algorithm: str) -> tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm]]:
    try:
        return _CURVES[algorithm]
    except KeyError:
        raise FatalError(
            f"signature algorithm {algorithm!r} is not supported; use one of {sorted(_CURVES)}"
        ) from None


# The key-encryption key is stretched with scrypt (RFC 7914) at a cost of 2**15 (about
# 32 MiB and tens of milliseconds a key), then the PKCS#8 key is sealed with AES-256-GCM;
# the KDF parameters travel with each key, so a later cost applies to new keys only.
_ENVELOPE = "tongban-key-v2"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def _stretch(kek: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(kek)


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, kek: bytes) -> str:
    """The PKCS#8 key sealed with AES-256-GCM under the scrypt-stretched KEK, as one line:
    ``tongban-key-v2$scrypt$<n>$<r>$<p>$<salt>$<nonce>$<ciphertext>`` (base64)."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    box = AESGCM(_stretch(kek, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P))
    sealed = box.encrypt(nonce, der, _ENVELOPE.encode("ascii"))
    parts = [_ENVELOPE, "scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P)]
    parts += [base64.b64encode(v).decode("ascii") for v in (salt, nonce, sealed)]
    return "$".join(parts)


def decrypt_private_key(text: str, kek: bytes) -> ec.EllipticCurvePrivateKey:
    """The seal key from :func:`encrypt_private_key`'s form (or a legacy encrypted PEM)."""
    try:
        if text.startswith(_ENVELOPE + "$"):
            _, kdf, n, r, p, salt, nonce, sealed = text.split("$")
            if kdf != "scrypt":
                raise ValueError(f"unknown KDF {kdf}")
            box = AESGCM(_stretch(kek, base64.b64decode(salt), int(n), int(r), int(p)))
            der = box.decrypt(
                base64.b64decode(nonce), base64.b64decode(sealed), _ENVELOPE.encode("ascii")
            )
            key = serialization.load_der_private_key(der, password=None)
        else:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=kek)
    except (ValueError, TypeError, InvalidTag) as exc:
        raise FatalError(
            "a seal key cannot be decrypted: wrong key-encryption key or damaged key"
            f" ({type(exc).__name__})"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise FatalError("a seal key is not an elliptic-curve key")
    return key


def public_key_matches(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    probe = b"tongban seal key check"
    signature = key.sign(probe, ec.ECDSA(hashes.SHA256()))
    try:
        cert.public_key().verify(signature, probe, ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg, arg-type, union-attr]
    except InvalidSignature:
        return False
    return True


class FileKeySigner:
    """A seal key held in memory, decrypted from its encrypted PEM."""

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        chain: Sequence[x509.Certificate],
        algorithm: str = "ES256",
    ):
        curve, digest = _curve(algorithm)
        if not isinstance(key.curve, curve):
            raise FatalError(f"a {key.curve.name} key cannot sign {algorithm}")
        if not chain:
            raise FatalError("a signer needs its certificate chain")
        self._key = key
        self._ecdsa = ec.ECDSA(digest())
        self._chain = tuple(chain)
        self._algorithm = algorithm

    @classmethod
    def from_encrypted_pem(
        cls, pem: str, kek: bytes, chain: Sequence[x509.Certificate], algorithm: str = "ES256"
    ) -> FileKeySigner:
        key = decrypt_private_key(pem, kek)
        if not public_key_matches(chain[0], key):
            raise FatalError("the seal key does not belong to the seal certificate")
        return cls(key, chain, algorithm)

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def certificate_chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, self._ecdsa)
