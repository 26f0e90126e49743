"""Verification of e-license documents (PDF or JWS): a verdict with named reasons.

    >>> verdict = Verifier(store, registry).verify(Path("license.pdf").read_bytes())
    >>> verdict.ok, verdict.license_status, [r.code for r in verdict.reasons]
    (False, 'revoked', ['license.revoked'])

Checked: the seal's signature over the whole document, the certificate chain up to a hub
root, the seal not revoked, the identifier well-formed (GB/T 36904), the document the
very one the vault stored (its SHA-256), and the license status in the store (the one
vocabulary of :mod:`license_vault.status`). Reasons:

``document.malformed`` ``signature.missing`` ``signature.invalid`` ``signature.coverage``
``chain.untrusted`` ``seal.unknown`` ``seal.revoked`` ``identifier.malformed``
``license.unknown`` ``hash.mismatch`` ``license.revoked`` ``license.cancelled``
``license.superseded`` ``license.expired`` ``license.status_unknown``
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from license_vault import status
from license_vault.catalog import Catalog, load_catalog
from license_vault.document import LicenseData
from license_vault.identifier import parse_identifier
from license_vault.jws import JwsError, parse_compact, verify_signature
from license_vault.pades import FIELD_NAME, to_asn1
from license_vault.pki import fingerprint
from license_vault.records import ElicenseRow, ElicenseTable
from license_vault.seals import SealRegistry
from license_vault.tsa import verify_token
from tongban.errors import RecordError
from tongban.store import Store

__all__ = ["Reason", "Verdict", "Verifier"]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Verdict:
    """``ok`` only when no reason was found; ``reasons`` say what failed and why."""

    kind: str  # pdf, jws or unknown
    identifier: str | None = None
    license_status: str | None = None  # license_vault.status, or unknown
    authority: str | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def fail(self, code: str, message: str) -> None:
        self.reasons.append(Reason(code, message))


class Verifier:
    """Verifies documents against the hub roots, the seal table and the ``elicense`` table."""

    def __init__(
        self,
        store: Store,
        registry: SealRegistry,
        *,
        catalog: Catalog | None = None,
        today: date | None = None,
    ):
        self.store = store
        self.registry = registry
        self.catalog = catalog if catalog is not None else load_catalog()
        self.documents = ElicenseTable(store)
        self.today = today

    def verify(self, document: bytes) -> Verdict:
        if document.startswith(b"%PDF-"):
            verdict = Verdict("pdf")
            signer_cert = self._pdf(document, verdict)
        elif document[:2] == b"ey" or document[:1] == b"{":
            verdict = Verdict("jws")
            signer_cert = self._jws(document, verdict)
        else:
            verdict = Verdict("unknown")
            verdict.fail("document.malformed", "neither a PDF nor a compact JWS")
            return verdict
        if signer_cert is not None:
            self._seal(signer_cert, verdict)
        self._record(document, verdict, signer_cert)
        return verdict

    # -- the two document kinds -------------------------------------------------------

    def _pdf(self, document: bytes, verdict: Verdict) -> x509.Certificate | None:
        try:
            reader = PdfFileReader(io.BytesIO(document), strict=False)
            info = reader.trailer["/Info"]
            subject = info.get("/Subject") if info is not None else None
            verdict.identifier = str(subject) if subject is not None else None
            sigs = reader.embedded_regular_signatures
            stamps = reader.embedded_timestamp_signatures
        except Exception as exc:  # pyHanko raises many kinds on damaged files
            verdict.fail("document.malformed", f"the PDF cannot be read: {exc}")
            return None
        ours = [s for s in sigs if s.field_name == FIELD_NAME] or list(sigs)
        if not ours:
            verdict.fail("signature.missing", "the PDF carries no seal signature")
            return None
        if len(sigs) > 1:
            verdict.fail("signature.coverage", "another signature was added after sealing")
        sig = ours[0]
        roots = to_asn1(self.registry.roots())
        try:
            dss: DocumentSecurityStore | None = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            dss = None
        except Exception as exc:
            verdict.fail("document.malformed", f"the validation material is unreadable: {exc}")
            return None

        def context(moment: datetime | None = None) -> ValidationContext:
            kwargs: dict[str, Any] = {
                "trust_roots": roots, "allow_fetching": False, "revocation_mode": "soft-fail",
                "moment": moment,
            }  # fmt: skip
            return dss.as_validation_context(kwargs) if dss is not None else ValidationContext(
                **kwargs
            )  # fmt: skip

        try:
            status = validate_pdf_signature(sig, context(), ts_validation_context=context())
            stamp = status.timestamp_validity
            if not status.trusted and stamp is not None and stamp.trusted:
                # Long-term validation: the seal certificate is judged at the time the
                # hub TSA proves the signature existed, with the revocation data kept then.
                status = validate_pdf_signature(
                    sig, context(stamp.timestamp), ts_validation_context=context()
                )
        except Exception as exc:
            verdict.fail("signature.invalid", f"the seal signature cannot be checked: {exc}")
            return None
        if not (status.intact and status.valid):
            verdict.fail("signature.invalid", "the PDF was changed after it was sealed")
        elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE and not (
            status.modification_level is not None
            and status.modification_level <= ModificationLevel.LTA_UPDATES
        ):
            verdict.fail("signature.coverage", "content was added to the PDF after sealing")
        if status.intact and status.valid and not status.trusted:
            verdict.fail("chain.untrusted", "the seal certificate does not chain to a hub root")
        for ts in stamps:
            try:
                ts_status = validate_pdf_timestamp(ts, context())
            except Exception as exc:
                verdict.fail("timestamp.invalid", f"a document timestamp cannot be checked: {exc}")
                continue
            if not (ts_status.intact and ts_status.valid and ts_status.trusted):
                verdict.fail("timestamp.invalid", "a document timestamp does not hold")
        cert = x509.load_der_x509_certificate(status.signing_cert.dump())
        return cert if status.intact and status.valid else None

    def _jws(self, document: bytes, verdict: Verdict) -> x509.Certificate | None:
        try:
            jws = parse_compact(document)
            chain = jws.chain()
        except JwsError as exc:
            verdict.fail("document.malformed", f"not a well-formed JWS: {exc}")
            return None
        leaf = chain[0]
        try:
            verdict.identifier = LicenseData.from_json(jws.payload).identifier
        except (ValueError, TypeError) as exc:
            verdict.fail("document.malformed", f"the JWS payload is not license data: {exc}")
        if jws.header.get("kid") != fingerprint(leaf):
            verdict.fail("signature.invalid", "the header's kid does not name the x5c certificate")
            return None
        if not verify_signature(jws, leaf):
            verdict.fail("signature.invalid", "the JWS signature does not match its content")
            return None
        when = None
        if jws.timestamp is not None:
            try:
                # The TSA proves when the seal signed: its certificate is judged then.
                when = verify_token(
                    jws.timestamp, hashlib.sha256(jws.signature).digest(), self.registry.roots()
                )
            except RecordError as exc:
                verdict.fail("timestamp.invalid", exc.message)
        if not self._chains_to_root(leaf, when):
            verdict.fail("chain.untrusted", "the seal certificate does not chain to a hub root")
        return leaf

    def _chains_to_root(self, cert: x509.Certificate, when: datetime | None = None) -> bool:
        now = when or datetime.now(UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return False
        for root in self.registry.roots():
            if root.subject != cert.issuer or not (
                root.not_valid_before_utc <= now <= root.not_valid_after_utc
            ):
                continue
            try:
                cert.verify_directly_issued_by(root)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return True
        return False

    # -- the store's view -------------------------------------------------------------

    def _seal(self, cert: x509.Certificate, verdict: Verdict) -> None:
        seal = self.registry.get(fingerprint(cert))
        if seal is None or seal.kind != "seal":
            verdict.fail("seal.unknown", "the hub holds no seal with this certificate")
            return
        verdict.authority = seal.authority_name
        if seal.revoked:
            when = seal.revoked_at.date().isoformat() if seal.revoked_at else "?"
            verdict.fail(
                "seal.revoked",
                f"the seal of {seal.authority_name} was revoked on {when}: {seal.revoked_reason}",
            )

    def _record(
        self, document: bytes, verdict: Verdict, signer_cert: x509.Certificate | None
    ) -> None:
        if verdict.identifier is None:
            verdict.fail("identifier.malformed", "the document names no e-license identifier")
            return
        try:
            parse_identifier(verdict.identifier, type_codes=self.catalog)
        except RecordError as exc:
            verdict.fail("identifier.malformed", exc.message)
            return
        row = self.documents.get(verdict.identifier)
        if row is None:
            verdict.license_status = "unknown"
            verdict.fail("license.unknown", f"the hub issued no e-license {verdict.identifier}")
            return
        expected = row.pdf_sha256 if verdict.kind == "pdf" else row.json_sha256
        if hashlib.sha256(document).hexdigest() != expected:
            verdict.fail(
                "hash.mismatch",
                f"the document differs from the {verdict.kind.upper()} the vault stored",
            )
        if signer_cert is not None and fingerprint(signer_cert) != row.seal_id:
            verdict.fail("seal.unknown", "the document was sealed with another seal")
        self._status(row, verdict)

    def _status(self, row: ElicenseRow, verdict: Verdict) -> None:
        today = self.today or date.today()
        when = row.revoked_at.date().isoformat() if row.revoked_at else "?"
        if row.status in (status.REVOKED, status.CANCELLED, status.EXPIRED):
            verdict.license_status = row.status
            verdict.fail(f"license.{row.status}", f"{row.status} on {when}: {row.revoked_reason}")
        elif row.status == status.SUPERSEDED:
            verdict.license_status = status.SUPERSEDED
            verdict.fail("license.superseded", f"superseded by {row.superseded_by}")
        elif row.valid_until is not None and row.valid_until < today:
            verdict.license_status = status.EXPIRED
            verdict.fail("license.expired", f"valid until {row.valid_until.isoformat()}")
        else:
            verdict.license_status = status.VALID
        record: dict[str, Any] | None = self.store.get("license", row.license_key)
        if record is None or verdict.license_status != status.VALID:
            return
        try:
            source = status.record_status(record, today)
        except RecordError as exc:
            verdict.license_status = "unknown"
            verdict.fail(exc.rule, exc.message)
            return
        if source != status.VALID:
            # The source changed after issuance and no run has caught up yet: it rules.
            verdict.license_status = source
            verdict.fail(
                f"license.{source}",
                f"the issuing system records license {row.license_key} as {record.get('status')!r}",
            )
