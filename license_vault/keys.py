"""Signing keys behind a small interface, and their encryption at rest.

Everything that seals (PAdES, JWS) goes through :class:`Signer`: an HSM or a signing
service replaces :class:`FileKeySigner` by implementing the same three members.

    >>> key = ec.generate_private_key(ec.SECP256R1())
    >>> pem = encrypt_private_key(key, b"a key-encryption key")
    >>> signer = FileKeySigner.from_encrypted_pem(pem, b"a key-encryption key", chain)
    >>> der_signature = signer.sign(b"data")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

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


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, kek: bytes) -> str:
    """PKCS#8 PEM encrypted with the key-encryption key (PBES2, AES-256)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(kek),
    ).decode("ascii")


def decrypt_private_key(pem: str, kek: bytes) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=kek)
    except (ValueError, TypeError) as exc:
        raise FatalError(
            f"a seal key cannot be decrypted: wrong key-encryption key or damaged key ({exc})"
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
