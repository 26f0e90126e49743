"""Revocation the hub publishes for every certificate it issues: CRLs and OCSP answers.

Both are signed by the hub root that issued the certificates (a CA-signed OCSP answer,
RFC 6960 4.2.2.2), from the ``seal`` table: a revoked seal or TSA certificate is listed
with its revocation time. Issuance embeds them in each PDF (PAdES DSS); the exchange app
serves them at the URLs the certificates name (:mod:`license_vault.http`).

    >>> authority = RevocationAuthority(registry)
    >>> crl_der = authority.crl()                          # the current root's CRL
    >>> ocsp_der = authority.ocsp_answer(request_der)      # an OCSPResponse
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from license_vault.pki import fingerprint
from license_vault.seals import Seal, SealRegistry

__all__ = ["RevocationAuthority"]

_BACKDATE = timedelta(minutes=5)


class RevocationAuthority:
    """Signs CRLs and OCSP answers with the hub root's key."""

    def __init__(self, registry: SealRegistry):
        self.registry = registry
        self.hours = registry.settings.crl_hours

    def _root(self, crl_id: str | None = None) -> Seal:
        if crl_id is None:
            return self.registry.root()
        for root in self.registry.all():
            if root.kind == "root" and fingerprint(root.certificate).startswith(crl_id):
                return root
        raise KeyError(crl_id)

    def crl(self, crl_id: str | None = None, *, now: datetime | None = None) -> bytes:
        """The DER CRL of the root named by ``crl_id`` (the URL's file name), or the
        current root. Raises ``KeyError`` for an unknown root."""
        root = self._root(crl_id)
        now = now or datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(root.certificate.subject)
            .last_update(now - _BACKDATE)
            .next_update(now + timedelta(hours=self.hours))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    root.certificate.public_key()  # type: ignore[arg-type]
                ),
                False,
            )
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), False)
        )
        for seal in self.registry.issued_by(root):
            if seal.revoked and seal.revoked_at is not None:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(seal.certificate.serial_number)
                    .revocation_date(seal.revoked_at)
                    .build()
                )
        crl = builder.sign(self.registry.root_key(root), hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)

    def ocsp_answer(self, request: bytes, *, now: datetime | None = None) -> bytes:
        """A DER OCSPResponse for a DER OCSPRequest (one certificate per request)."""
        try:
            req = ocsp.load_der_ocsp_request(request)
        except ValueError:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        serial = req.serial_number
        for root in [s for s in self.registry.all() if s.kind == "root"]:
            for seal in self.registry.issued_by(root):
                if seal.certificate.serial_number == serial:
                    return self._answer(seal, root, req.hash_algorithm, now)
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)

    def ocsp_for(self, cert: x509.Certificate, *, now: datetime | None = None) -> bytes:
        """The OCSP answer for a certificate the hub issued (embedded at issuance)."""
        seal = self.registry.get(fingerprint(cert))
        if seal is None:
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        root = next(
            r
            for r in self.registry.all()
            if r.kind == "root" and r.certificate.subject == cert.issuer
        )
        return self._answer(seal, root, hashes.SHA256(), now)

    def _answer(
        self, seal: Seal, root: Seal, algorithm: hashes.HashAlgorithm, now: datetime | None
    ) -> bytes:
        now = now or datetime.now(UTC)
        if seal.revoked and seal.revoked_at is not None:
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, seal.revoked_at
        else:
            status, revoked_at = ocsp.OCSPCertStatus.GOOD, None
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=seal.certificate, issuer=root.certificate, algorithm=algorithm,
                cert_status=status, this_update=now - _BACKDATE,
                next_update=now + timedelta(hours=self.hours),
                revocation_time=revoked_at, revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, root.certificate)
        )  # fmt: skip
        response = builder.sign(self.registry.root_key(root), hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
