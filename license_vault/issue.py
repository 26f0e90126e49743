"""Issuance: license records in the store become sealed e-licenses in object storage.

    >>> vault = Vault(store, settings)
    >>> issued = vault.issue("11100000000013127D001:91110105MA01ABCD2X")
    >>> issued.identifier
    '1.2.156.3005.2.11100000000013127D001.11100000000013127D.2026K3Q7ZP4.001.U'

Each issue renders the PDF, seals it (PAdES) and the JSON (JWS) with the issuing
authority's e-seal, stores both under content-addressed keys and records the
identifier, hashes and seal in the ``elicense`` table. Issuing an unchanged record again
returns the document already issued; a changed record, or ``reissue=True``, makes a new
version and marks the old one superseded (never deleted).

The source's status is the truth (:mod:`license_vault.status`): a record the issuing
system marks revoked (吊销), cancelled (注销) or expired is not sealed as valid. It is
withheld with a named reason (:class:`NotInForce`), counted apart in the report, and an
e-license already issued for it takes that status. Revocation and cancellation are
final: issuing such a license again is refused (``license.revoked_final``) until an
operator reinstates it with a reason (:meth:`Vault.reinstate`, logged in
``elicense_event``). A failure on one license in :meth:`Vault.issue_all` is logged with
its reason and the run goes on.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from license_vault import status
from license_vault.catalog import Catalog, LicenseType, load_catalog
from license_vault.document import LicenseData
from license_vault.identifier import ElicenseId, new_serial, parse_identifier
from license_vault.jws import JwsSealer
from license_vault.outcome import Issued, IssueReport, NotInForce, issued_from, one_line
from license_vault.pades import LtvMaterial, PdfSealer
from license_vault.records import ElicenseRow, ElicenseTable
from license_vault.render import Renderer
from license_vault.revocation import RevocationAuthority
from license_vault.seals import Seal, SealRegistry
from license_vault.settings import VaultSettings
from license_vault.storage import ObjectStorage, open_storage
from license_vault.verify import Verdict, Verifier
from tongban.errors import RecordError
from tongban.identifiers import check_credit_code
from tongban.store import Store, schema, utcnow

__all__ = ["IssueReport", "Issued", "NotInForce", "Vault", "issue_all", "one_line"]


class Vault:
    """Issues, finds and revokes e-licenses; owns the seal registry and object storage."""

    def __init__(
        self,
        store: Store,
        settings: VaultSettings,
        *,
        storage: ObjectStorage | None = None,
        catalog: Catalog | None = None,
        kek: bytes | None = None,
    ):
        self.store = store
        self.settings = settings
        self.storage = storage if storage is not None else open_storage(settings)
        self.catalog = catalog if catalog is not None else load_catalog()
        self.seals = SealRegistry(store, self.storage, settings, kek=kek)
        self.documents = ElicenseTable(store)
        self._renderer = Renderer(settings.font_file)
        self._sealers: dict[str, tuple[PdfSealer, JwsSealer]] = {}
        self.revocation = RevocationAuthority(self.seals)
        self._ltv: LtvMaterial | None = None
        self._ltv_until: datetime | None = None

    # -- issuance ---------------------------------------------------------------------

    def issue(self, license_key: str, *, reissue: bool = False) -> Issued:
        """Issue the license record ``license_key`` (``<type code>:<number>``).

        Raises :class:`NotInForce` when the source says the license is not in force, and
        :class:`RecordError` (``license.revoked_final``) for a revoked or cancelled one."""
        record = self.store.get("license", license_key)
        if record is None:
            raise RecordError(
                "license.missing", f"no license record {license_key} in the store",
                value=license_key,
            )  # fmt: skip
        license_type = self.catalog.get(record.get("license_type_code"), license_key=license_key)
        license_type.check_record(record)
        issuer_code = self._issuer_code(record)
        current = self.documents.current(license_key)
        now = utcnow()
        self._check_in_force(license_key, record, current, now)
        if current is None:
            ident = ElicenseId(
                license_type.code,
                issuer_code,
                new_serial(license_type.code, issuer_code, now.year),
                1,
            )
        else:
            ident = parse_identifier(current.identifier).next_version()
            if ident.type_code != license_type.code or ident.issuer_code != issuer_code:
                # The record moved to another type or issuer: that is a new license.
                ident = ElicenseId(
                    license_type.code, issuer_code,
                    new_serial(license_type.code, issuer_code, now.year), 1,
                )  # fmt: skip
        record = self._with_holder_fields(record, license_type)
        data = self._data(record, license_type, ident, now, current)
        if (
            current is not None
            and current.status == status.VALID
            and not reissue
            and current.record_sha256 == data.record_sha256()
        ):
            return issued_from(current, new=False)
        seal = self.seals.seal_for(issuer_code, record.get("issuer_name") or issuer_code)
        pdf_sealer, jws_sealer = self._sealers_for(seal)
        png = self.storage.get(seal.image_key) if seal.image_key else b""
        pdf = self._renderer.render(data, license_type, png, seal_name=seal.authority_name)
        sealed_pdf = pdf_sealer.seal(
            pdf, reason=f"{license_type.name}电子证照签发",
            location=record.get("jurisdiction_code"), name=seal.authority_name,
        )  # fmt: skip
        token = jws_sealer.seal_with_timestamp(data.to_json()).encode("ascii")
        pdf_ref = self.storage.put(sealed_pdf, "pdf", "application/pdf")
        json_ref = self.storage.put(token, "jws", "application/jose+json")
        row = ElicenseRow(
            identifier=str(ident), license_key=license_key, version=ident.version,
            serial=ident.serial, license_type_code=license_type.code, issuer_code=issuer_code,
            holder_id=record.get("holder_id"), valid_until=record.get("valid_until"),
            status=status.VALID, pdf_key=pdf_ref.key, pdf_sha256=pdf_ref.sha256,
            json_key=json_ref.key, json_sha256=json_ref.sha256, seal_id=seal.seal_id,
            issued_at=now, superseded_by=None, revoked_at=None, revoked_reason=None,
            record_sha256=data.record_sha256(),
        )  # fmt: skip
        self.documents.add(row, supersedes=current.identifier if current else None)
        return issued_from(row, new=True, supersedes=current.identifier if current else None)

    def _check_in_force(
        self,
        license_key: str,
        record: dict[str, Any],
        current: ElicenseRow | None,
        now: datetime,
    ) -> None:
        source = status.record_status(record, now.date())
        if current is not None and current.status in status.FINAL:
            when = current.revoked_at.date().isoformat() if current.revoked_at else "?"
            raise RecordError(
                "license.revoked_final",
                f"license {license_key}: e-license {current.identifier} is {current.status}"
                f" (since {when}: {current.revoked_reason}); it is not issued again unless an"
                " operator reinstates it (`tongban license reinstate`)",
                value=license_key,
            )
        if source == status.VALID:
            return
        word = record.get("status")
        why = (
            f"valid until {record.get('valid_until')}"
            if source == status.EXPIRED and status.source_status(word) == status.VALID
            else f"the issuing system records it as {word!r}"
        )
        if current is not None and current.status == status.VALID:
            # The e-license follows its source: a license revoked at the source is revoked.
            self.documents.set_status(
                current, source, action="source_status", reason=why, actor="issuance",
                rule=f"license.{source}",
            )  # fmt: skip
        raise NotInForce(
            source,
            f"license {license_key} is {source} ({status.label(source)}): {why};"
            " no valid e-license is sealed for it",
            value=license_key,
        )

    def _with_holder_fields(
        self, record: dict[str, Any], license_type: LicenseType
    ) -> dict[str, Any]:
        """The record with the type's fields it lacks filled from its holder in the store
        (a 营业执照 prints the enterprise's type, legal representative, capital, ...)."""
        if license_type.holder_type != "enterprise" or not record.get("holder_id"):
            return record
        enterprise = self.store.get("enterprise", record["holder_id"])
        if enterprise is None:
            return record
        fields = dict(record.get("fields") or {})
        for spec in license_type.fields:
            if fields.get(spec.name) not in (None, ""):
                continue
            value = enterprise.get(spec.name)
            if value in (None, ""):
                continue
            if spec.name == "registered_capital":
                value = f"{format(Decimal(value).normalize(), 'f')}万元"
            fields[spec.name] = value
        return {**record, "fields": fields}

    def issue_all(self, *, limit: int | None = None) -> IssueReport:
        """Issue every license record (oldest first). A record not in force is withheld,
        one that breaks a rule is refused, and any other failure is logged with its
        reason; the run goes on past each."""
        t = schema.license
        q = select(t.c.license_key).order_by(t.c.created_at, t.c.license_key)
        if limit is not None:
            q = q.limit(limit)
        with self.store.engine.connect() as conn:
            keys = list(conn.execute(q).scalars())
        report = IssueReport()
        for key in keys:
            try:
                report.issued.append(self.issue(key))
            except NotInForce as exc:
                report.not_in_force.append((key, exc))
            except RecordError as exc:
                report.refused.append((key, exc))
                self._log_failure(key, "refused", exc.rule, exc.message)
            except Exception as exc:  # one license's failure must not stop the run
                line = one_line(exc)
                report.failed.append((key, line))
                self._log_failure(key, "failed", getattr(exc, "rule", None), line)
        return report

    def _log_failure(self, key: str, action: str, rule: str | None, message: str) -> None:
        # The store failing too already shows in the run's own report.
        with contextlib.suppress(Exception):
            self.documents.log(key, action, rule=rule, reason=message)

    def _issuer_code(self, record: dict[str, Any]) -> str:
        code = record.get("issuer_code")
        try:
            return check_credit_code(code)
        except RecordError as exc:
            raise RecordError(
                "license.issuer_code",
                f"license {record.get('license_key')}: the issuing authority needs a valid"
                f" credit code to hold an e-seal; {exc.message}",
                value=code,
                field="issuer_code",
            ) from None

    def _data(
        self,
        record: dict[str, Any],
        license_type: LicenseType,
        ident: ElicenseId,
        now: datetime,
        current: ElicenseRow | None,
    ) -> LicenseData:
        url = f"{self.settings.verify_base_url}?id={quote(str(ident), safe='')}"
        return LicenseData.from_record(
            record, license_type, str(ident), ident.version, now, url,
            supersedes=current.identifier if current else None,
        )  # fmt: skip

    def _sealers_for(self, seal: Seal) -> tuple[PdfSealer, JwsSealer]:
        # Validation material is renewed well within a CRL's lifetime, and at once after
        # a revocation (revoke_seal forgets the sealers).
        if self._ltv_until is None or utcnow() >= self._ltv_until:
            self._sealers.clear()
        found = self._sealers.get(seal.seal_id)
        if found is None:
            signer = self.seals.signer(seal)
            tsa = self.seals.hub_tsa()
            found = self._sealers[seal.seal_id] = (
                PdfSealer(signer, ltv=self.ltv_material(), tsa=tsa),
                JwsSealer(signer, kid=seal.seal_id, tsa=tsa),
            )
        return found

    def ltv_material(self) -> LtvMaterial:
        """The hub roots and the current CRL of the issuing root, as embedded in PDFs."""
        if self._ltv is None or self._ltv_until is None or utcnow() >= self._ltv_until:
            self._ltv = LtvMaterial(self.seals.roots(), crls=[self.revocation.crl()])
            self._ltv_until = utcnow() + timedelta(hours=max(1, self.settings.crl_hours // 4))
        return self._ltv

    # -- lookups and revocation -------------------------------------------------------

    def show(self, identifier: str) -> ElicenseRow:
        row = self.documents.get(identifier)
        if row is None:
            raise RecordError("license.unknown", f"no e-license {identifier}", value=identifier)
        return row

    def list(self, *, holder_id: str) -> list[ElicenseRow]:
        return self.documents.for_holder(holder_id)

    def document(self, identifier: str, kind: str = "pdf") -> bytes:
        """The stored PDF (``pdf``) or JWS (``jws``), checked against its hash."""
        row = self.show(identifier)
        return self.storage.get(row.pdf_key if kind == "pdf" else row.json_key)

    def revoke(self, identifier: str, *, reason: str, by: str = "operator") -> ElicenseRow:
        """Revoke one e-license version; verification then fails with ``license.revoked``.
        Final: only :meth:`reinstate` undoes it."""
        row = self.show(identifier)
        if row.status != status.REVOKED:
            self.documents.set_status(
                row, status.REVOKED, action="revoke", reason=reason, actor=by,
                rule="license.revoked",
            )  # fmt: skip
        return self.show(identifier)

    def reinstate(self, identifier: str, *, by: str, reason: str) -> ElicenseRow:
        """Undo a revocation or cancellation (an operator's audited decision).

        Refused unless the version is revoked or cancelled, is the license's latest, and
        its source record is in force again."""
        if not by.strip() or not reason.strip():
            raise RecordError("license.reinstate_unexplained", "a reinstatement names who and why")
        row = self.show(identifier)
        if row.status not in status.FINAL:
            raise RecordError(
                "license.not_revoked", f"e-license {identifier} is {row.status}, not revoked",
                value=identifier,
            )  # fmt: skip
        latest = self.documents.current(row.license_key)
        if latest is not None and latest.identifier != identifier:
            raise RecordError(
                "license.superseded", f"e-license {identifier} was superseded by"
                f" {latest.identifier}", value=identifier,
            )  # fmt: skip
        record = self.store.get("license", row.license_key)
        if record is not None:
            source = status.record_status(record, utcnow().date())
            if source != status.VALID:
                raise NotInForce(
                    source, f"license {row.license_key} is still {source} at the source"
                    f" ({record.get('status')!r}); it cannot be reinstated",
                    value=row.license_key,
                )  # fmt: skip
        self.documents.set_status(
            row, status.VALID, action="reinstate", reason=reason, actor=by,
            rule="license.reinstated",
        )  # fmt: skip
        return self.show(identifier)

    def verifier(self) -> Verifier:
        return Verifier(self.store, self.seals, catalog=self.catalog)

    def verify(self, document: bytes) -> Verdict:
        """Verify a PDF or JWS the vault issued; see :mod:`license_vault.verify`."""
        return self.verifier().verify(document)

    def revoke_seal(self, seal_id: str, *, reason: str) -> Seal:
        """Revoke a seal (or the TSA) certificate: the CRL and OCSP answers list it."""
        self._sealers.clear()
        self._ltv = None
        return self.seals.revoke(seal_id, reason=reason)


def issue_all(store: Store, settings: VaultSettings, *, limit: int | None = None) -> IssueReport:
    """Issue e-licenses for every license record in the store (what ``tongban demo`` runs)."""
    return Vault(store, settings).issue_all(limit=limit)
