"""X.509 certificates of the hub root CA and of each issuing authority's e-seal (电子印章).

The hub root signs one seal certificate per issuing authority; documents are sealed with
the authority's key and verified up to the root. Keys are ECDSA P-256 by default.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

__all__ = [
    "RevocationUrls",
    "fingerprint",
    "load_pem",
    "make_root_certificate",
    "make_seal_certificate",
    "make_tsa_certificate",
    "pem",
]

_BACKDATE = timedelta(minutes=5)  # tolerate clocks a little behind ours


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, hex: the seal id and the JWS ``kid``."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_pem(text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(text.encode("ascii"))


def _serial() -> int:
    return secrets.randbits(127) | 1 << 126  # positive, 16 bytes, never starts with zeros


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
        False,
    )  # fmt: skip
    flags.update(allowed)
    return x509.KeyUsage(**flags)


def make_root_certificate(
    key: ec.EllipticCurvePrivateKey, hub_name: str, days: int, now: datetime | None = None
) -> x509.Certificate:
    now = now or datetime.now(UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, hub_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{hub_name} 电子印章根证书"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


def _fit(name: str, *, suffix: str = "", limit: int = 64) -> str:
    """``name + suffix`` within X.509's 64-byte bound (UTF-8): long county-level names
    (克孜勒苏柯尔克孜自治州阿合奇县市场监督管理局) keep their end, which names the office."""
    text = name + suffix
    while len(text.encode("utf-8")) > limit:
        name = name[1:]
        text = "…" + name + suffix
    return text


@dataclass(frozen=True, slots=True)
class RevocationUrls:
    """Where relying parties find a certificate's revocation status (the hub serves both)."""

    crl: str
    ocsp: str

    @classmethod
    def under(cls, base: str, root: x509.Certificate) -> RevocationUrls:
        """The URLs for certificates ``root`` issues, below ``base`` (``.../licenses/pki``)."""
        base = base.rstrip("/")
        return cls(f"{base}/crl/{fingerprint(root)[:16]}.crl", f"{base}/ocsp")


def _revocation_extensions(
    builder: x509.CertificateBuilder, urls: RevocationUrls | None
) -> x509.CertificateBuilder:
    if urls is None:
        return builder
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(urls.crl)],
        relative_name=None, reasons=None, crl_issuer=None,
    )  # fmt: skip
    ocsp = x509.AccessDescription(
        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)
    )
    return builder.add_extension(x509.CRLDistributionPoints([point]), False).add_extension(
        x509.AuthorityInformationAccess([ocsp]), False
    )


def make_tsa_certificate(
    key: ec.EllipticCurvePrivateKey,
    *,
    hub_name: str,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    days: int,
    urls: RevocationUrls | None = None,
    now: datetime | None = None,
) -> x509.Certificate:
    """The certificate of the hub's time-stamping authority (RFC 3161: EKU timeStamping,
    critical), signed by the hub root."""
    now = now or datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(hub_name)),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(hub_name, suffix=" 时间戳服务")),
        ]
    )
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + timedelta(days=days), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
        )
    )
    return _revocation_extensions(builder, urls).sign(root_key, hashes.SHA256())


def make_seal_certificate(
    key: ec.EllipticCurvePrivateKey,
    *,
    authority_name: str,
    authority_code: str,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    days: int,
    urls: RevocationUrls | None = None,
    now: datetime | None = None,
) -> x509.Certificate:
    """The e-seal certificate of an issuing authority, signed by the hub root; ``urls``
    name the hub's CRL and OCSP responder in it."""
    now = now or datetime.now(UTC)
    not_after = min(now + timedelta(days=days), root.not_valid_after_utc)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(authority_name)),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, authority_code),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(authority_name, suffix=" 电子印章")),
        ]
    )
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
        )
    )
    return _revocation_extensions(builder, urls).sign(root_key, hashes.SHA256())
