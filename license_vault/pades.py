"""PAdES sealing of PDFs with pyHanko, through the vault's :class:`~license_vault.keys.Signer`.

    >>> sealer = PdfSealer(signer, ltv=LtvMaterial(roots, crls, ocsps), tsa=hub_tsa)
    >>> sealed = sealer.seal(pdf_bytes, reason="电子证照签发", location="110105", name="…")

pyHanko builds the CMS; the raw signature comes from the vault's signer, so an
HSM-backed signer seals PDFs with no change here. With ``ltv`` and ``tsa`` the result is
PAdES B-LTA: a signature timestamp from the hub TSA, the validation material (the chain,
the hub's CRL and OCSP answers) in the document security store, and a document
timestamp over all of it, so the seal still verifies after its certificate expires.
Each certificate is embedded once in the signature (the signing certificate, then the
rest of the chain).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from license_vault.keys import Signer
from license_vault.tsa import HubTsa
from tongban.errors import FatalError

__all__ = ["FIELD_NAME", "TIMESTAMP_FIELD", "LtvMaterial", "PdfSealer", "seal_pdf", "to_asn1"]

FIELD_NAME = "ElicenseSeal"
TIMESTAMP_FIELD = "ElicenseArchiveTimestamp"
_MECHANISMS = {"ES256": ("sha256", "sha256_ecdsa")}


class _SuppliedMaterial(logging.Filter):
    """The hub supplies its own CRLs and OCSP answers on purpose: fetching stays off."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_SuppliedMaterial())

_RESERVED = 16384  # bytes for the CMS blob: chain, signature and signature timestamp


@dataclass(frozen=True)
class LtvMaterial:
    """What a validator needs besides the document: the hub roots and the hub's current
    CRL and OCSP answers (DER), as issued by :mod:`license_vault.revocation`."""

    roots: Sequence[x509.Certificate]
    crls: Sequence[bytes] = ()
    ocsps: Sequence[bytes] = ()

    def context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=to_asn1(self.roots),
            crls=[asn1_crl.CertificateList.load(c) for c in self.crls],
            ocsps=[asn1_ocsp.OCSPResponse.load(o) for o in self.ocsps],
            allow_fetching=False,
            revocation_mode="hard-fail",
        )


def to_asn1(certs: Sequence[x509.Certificate]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]


class _VaultSigner(signers.Signer):
    """pyHanko's view of a vault signer: it only asks for the raw signature."""

    def __init__(self, signer: Signer):
        try:
            self.digest, mechanism = _MECHANISMS[signer.algorithm]
        except KeyError:
            raise FatalError(f"PAdES sealing does not support {signer.algorithm}") from None
        chain = to_asn1(signer.certificate_chain)
        super().__init__(
            signing_cert=chain[0],
            # The signing certificate is embedded on its own: the registry holds the rest.
            cert_registry=SimpleCertificateStore.from_certs(chain[1:]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": mechanism}),
            embed_roots=True,
        )
        self._signer = signer

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm != self.digest:
            raise FatalError(f"seal signs with {self.digest}, not {digest_algorithm}")
        return self._signer.sign(data)


class PdfSealer:
    """Seals PDFs with one signer; build it once and reuse it (B-B alone, B-LTA with
    ``ltv`` and ``tsa``)."""

    def __init__(
        self, signer: Signer, *, ltv: LtvMaterial | None = None, tsa: HubTsa | None = None
    ):
        if (ltv is None) != (tsa is None):
            raise FatalError("B-LTA sealing needs both the validation material and a TSA")
        self._signer = _VaultSigner(signer)
        self._ltv = ltv
        self._context = ltv.context() if ltv is not None else None
        self._stamper = tsa.stamper() if tsa is not None else None

    def seal(self, pdf: bytes, *, reason: str, location: str | None, name: str) -> bytes:
        lta = self._context is not None
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm=self._signer.digest,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            name=name,
            validation_context=self._context,
            embed_validation_info=lta,
            use_pades_lta=lta,
            timestamp_field_name=TIMESTAMP_FIELD if lta else None,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        pdf_signer = signers.PdfSigner(meta, signer=self._signer, timestamper=self._stamper)
        out = pdf_signer.sign_pdf(writer, bytes_reserved=_RESERVED, in_place=False)
        return out.getvalue()


def seal_pdf(pdf: bytes, signer: Signer, *, reason: str, location: str | None = None) -> bytes:
    """Seal one PDF (for many, reuse a :class:`PdfSealer`)."""
    name = signer.certificate_chain[0].subject.rfc4514_string()
    return PdfSealer(signer).seal(pdf, reason=reason, location=location, name=name)
