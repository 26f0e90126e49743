"""PAdES sealing of PDFs with pyHanko, through the vault's :class:`~license_vault.keys.Signer`.

    >>> sealed = seal_pdf(pdf_bytes, signer, reason="电子证照签发", location="110105")

pyHanko builds the CMS (PAdES baseline B-B: signing certificate attribute, the chain
embedded); the raw signature comes from the vault's signer, so an HSM-backed signer seals
PDFs with no change here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from license_vault.keys import Signer
from tongban.errors import FatalError

__all__ = ["FIELD_NAME", "PdfSealer", "seal_pdf", "to_asn1"]

FIELD_NAME = "ElicenseSeal"
_MECHANISMS = {"ES256": ("sha256", "sha256_ecdsa")}
_RESERVED = 8192  # bytes for the CMS blob: two certificates and a signature fit easily


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
            cert_registry=SimpleCertificateStore.from_certs(chain),
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
    """Seals PDFs with one signer; build it once and reuse it."""

    def __init__(self, signer: Signer):
        self._signer = _VaultSigner(signer)

    def seal(self, pdf: bytes, *, reason: str, location: str | None, name: str) -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm=self._signer.digest,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            name=name,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        pdf_signer = signers.PdfSigner(meta, signer=self._signer)
        out = pdf_signer.sign_pdf(writer, bytes_reserved=_RESERVED, in_place=False)
        return out.getvalue()


def seal_pdf(pdf: bytes, signer: Signer, *, reason: str, location: str | None = None) -> bytes:
    """Seal one PDF (for many, reuse a :class:`PdfSealer`)."""
    name = signer.certificate_chain[0].subject.rfc4514_string()
    return PdfSealer(signer).seal(pdf, reason=reason, location=location, name=name)
