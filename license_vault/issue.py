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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update

from license_vault.catalog import Catalog, LicenseType, load_catalog
from license_vault.document import LicenseData
from license_vault.identifier import ElicenseId, new_serial, parse_identifier
from license_vault.jws import JwsSealer
from license_vault.pades import PdfSealer
from license_vault.records import ElicenseRow, ElicenseTable
from license_vault.render import Renderer
from license_vault.seals import Seal, SealRegistry
from license_vault.settings import VaultSettings
from license_vault.storage import ObjectStorage, open_storage
from license_vault.verify import Verdict, Verifier
from tongban.errors import RecordError
from tongban.identifiers import check_credit_code
from tongban.store import Store, schema
from tongban.store.store import utcnow

__all__ = ["IssueReport", "Issued", "Vault", "issue_all"]


@dataclass(frozen=True, slots=True)
class Issued:
    """One issued e-license version and where its documents are."""

    identifier: str
    license_key: str
    version: int
    pdf_key: str
    json_key: str
    seal_id: str
    issued_at: datetime
    supersedes: str | None
    new: bool  # False when an unchanged record returned the version already issued


@dataclass
class IssueReport:
    issued: list[Issued] = field(default_factory=list)
    refused: list[tuple[str, RecordError]] = field(default_factory=list)


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
        self._renderer = Renderer()
        self._sealers: dict[str, tuple[PdfSealer, JwsSealer]] = {}

    # -- issuance ---------------------------------------------------------------------

    def issue(self, license_key: str, *, reissue: bool = False) -> Issued:
        """Issue the license record ``license_key`` (``<type code>:<number>``)."""
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
        data = self._data(record, license_type, ident, now, current)
        if current is not None and not reissue and current.record_sha256 == data.record_sha256():
            return _issued(current, new=False)
        seal = self.seals.seal_for(issuer_code, record.get("issuer_name") or issuer_code)
        pdf_sealer, jws_sealer = self._sealers_for(seal)
        png = self.storage.get(seal.image_key) if seal.image_key else b""
        pdf = self._renderer.render(data, license_type, png, seal_name=seal.authority_name)
        sealed_pdf = pdf_sealer.seal(
            pdf, reason=f"{license_type.name}电子证照签发",
            location=record.get("jurisdiction_code"), name=seal.authority_name,
        )  # fmt: skip
        token = jws_sealer.seal(data.to_json()).encode("ascii")
        pdf_ref = self.storage.put(sealed_pdf, "pdf", "application/pdf")
        json_ref = self.storage.put(token, "jws", "application/jose")
        row = ElicenseRow(
            identifier=str(ident), license_key=license_key, version=ident.version,
            serial=ident.serial, license_type_code=license_type.code, issuer_code=issuer_code,
            holder_id=record.get("holder_id"), valid_until=record.get("valid_until"),
            status="valid", pdf_key=pdf_ref.key, pdf_sha256=pdf_ref.sha256,
            json_key=json_ref.key, json_sha256=json_ref.sha256, seal_id=seal.seal_id,
            issued_at=now, superseded_by=None, revoked_at=None, revoked_reason=None,
            record_sha256=data.record_sha256(),
        )  # fmt: skip
        self.documents.add(row, supersedes=current.identifier if current else None)
        return _issued(row, new=True, supersedes=current.identifier if current else None)

    def issue_all(self, *, limit: int | None = None) -> IssueReport:
        """Issue every license record (oldest first); refused records are reported."""
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
            except RecordError as exc:
                report.refused.append((key, exc))
        return report

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
        found = self._sealers.get(seal.seal_id)
        if found is None:
            signer = self.seals.signer(seal)
            found = self._sealers[seal.seal_id] = (
                PdfSealer(signer),
                JwsSealer(signer, kid=seal.seal_id),
            )
        return found

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

    def revoke(self, identifier: str, *, reason: str) -> ElicenseRow:
        """Revoke one e-license version; verification then fails with ``license.revoked``."""
        self.show(identifier)
        t = schema.elicense
        with self.store.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.identifier == identifier, t.c.status != "revoked")
                .values(status="revoked", revoked_at=utcnow(), revoked_reason=reason)
            )
        return self.show(identifier)

    def verifier(self) -> Verifier:
        return Verifier(self.store, self.seals, catalog=self.catalog)

    def verify(self, document: bytes) -> Verdict:
        """Verify a PDF or JWS the vault issued; see :mod:`license_vault.verify`."""
        return self.verifier().verify(document)

    def revoke_seal(self, seal_id: str, *, reason: str) -> Seal:
        self._sealers.pop(seal_id, None)
        return self.seals.revoke(seal_id, reason=reason)


def _issued(row: ElicenseRow, *, new: bool, supersedes: str | None = None) -> Issued:
    return Issued(
        identifier=row.identifier, license_key=row.license_key, version=row.version,
        pdf_key=row.pdf_key, json_key=row.json_key, seal_id=row.seal_id,
        issued_at=row.issued_at, supersedes=supersedes, new=new,
    )  # fmt: skip


def issue_all(store: Store, settings: VaultSettings, *, limit: int | None = None) -> IssueReport:
    """Issue e-licenses for every license record in the store (what ``tongban demo`` runs)."""
    return Vault(store, settings).issue_all(limit=limit)
