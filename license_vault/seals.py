"""The hub root CA and the e-seals of the issuing authorities, kept in the ``seal`` table.

    >>> registry = SealRegistry(store, storage, settings)
    >>> seal = registry.seal_for("11100000000013127D", "北京市市场监督管理局")
    >>> signer = registry.signer(seal)          # decrypts the key with the KEK, once
    >>> registry.revoke(seal.seal_id, reason="key compromise")

A seal's private key is stored encrypted with the key-encryption key (KEK); revoking a
seal marks its certificate revoked, and verification then fails with ``seal.revoked``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import insert, select, update

from license_vault.keys import (
    FileKeySigner,
    Signer,
    decrypt_private_key,
    encrypt_private_key,
    generate_key,
)
from license_vault.pki import (
    RevocationUrls,
    fingerprint,
    load_pem,
    make_root_certificate,
    make_seal_certificate,
    make_tsa_certificate,
    pem,
)
from license_vault.sealimage import draw_seal_png
from license_vault.settings import VaultSettings, key_encryption_key
from license_vault.storage import ObjectStorage
from license_vault.tsa import HubTsa
from tongban.errors import FatalError, RecordError
from tongban.store import Store, schema, utcnow

__all__ = ["Seal", "SealRegistry"]

ROOT_CODE = "hub"  # authority_code of the hub root CA's row
TSA_CODE = "hub-tsa"  # authority_code of the time-stamping authority's row (kind "tsa")


@dataclass(frozen=True, slots=True)
class Seal:
    seal_id: str
    kind: str
    authority_code: str
    authority_name: str
    serial: str
    certificate: x509.Certificate
    image_key: str | None
    not_before: datetime
    not_after: datetime
    status: str
    revoked_at: datetime | None
    revoked_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.status == "revoked"

    @classmethod
    def from_row(cls, row: Any) -> Seal:
        def aware(v: datetime | None) -> datetime | None:
            return v if v is None or v.tzinfo else v.replace(tzinfo=utcnow().tzinfo)

        return cls(
            seal_id=row.seal_id, kind=row.kind, authority_code=row.authority_code,
            authority_name=row.authority_name, serial=row.serial,
            certificate=load_pem(row.certificate), image_key=row.image_key,
            not_before=aware(row.not_before), not_after=aware(row.not_after),  # type: ignore[arg-type]
            status=row.status, revoked_at=aware(row.revoked_at),
            revoked_reason=row.revoked_reason,
        )  # fmt: skip


class SealRegistry:
    """Creates, finds, unlocks and revokes seals."""

    def __init__(
        self,
        store: Store,
        storage: ObjectStorage,
        settings: VaultSettings,
        *,
        kek: bytes | None = None,
    ):
        self.store = store
        self.storage = storage
        self.settings = settings
        self._kek = kek
        self._signers: dict[str, Signer] = {}
        self._root_keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._tsa: HubTsa | None = None

    @property
    def kek(self) -> bytes:
        if self._kek is None:
            self._kek = key_encryption_key(self.settings)
        return self._kek

    # -- reads ------------------------------------------------------------------------

    def _select(self, *where: Any) -> list[Seal]:
        t = schema.seal
        q = select(t).where(*where).order_by(t.c.created_at.desc(), t.c.seal_id)
        with self.store.engine.connect() as conn:
            return [Seal.from_row(r) for r in conn.execute(q)]

    def get(self, seal_id: str) -> Seal | None:
        found = self._select(schema.seal.c.seal_id == seal_id)
        return found[0] if found else None

    def all(self) -> list[Seal]:
        return self._select()

    def roots(self) -> list[x509.Certificate]:
        """Trust anchors: every root the hub has had (older documents chain to older ones)."""
        return [s.certificate for s in self._select(schema.seal.c.kind == "root")]

    # -- creation ---------------------------------------------------------------------

    def root(self) -> Seal:
        """The hub root CA, created on first use."""
        t = schema.seal
        found = self._select(t.c.kind == "root", t.c.status == "active")
        live = [s for s in found if s.not_after > utcnow()]
        if live:
            return live[0]
        key = generate_key()
        cert = make_root_certificate(key, self.settings.hub_name, self.settings.root_validity_days)
        return self._insert("root", ROOT_CODE, self.settings.hub_name, cert, key, None)

    def seal_for(self, authority_code: str, authority_name: str) -> Seal:
        """The authority's active e-seal, created (and signed by the root) on first use."""
        t = schema.seal
        for seal in self._select(
            t.c.kind == "seal", t.c.authority_code == authority_code, t.c.status == "active"
        ):
            if seal.not_after > utcnow():
                return seal
        root = self.root()
        key = generate_key()
        cert = make_seal_certificate(
            key, authority_name=authority_name, authority_code=authority_code,
            root=root.certificate, root_key=self.root_key(root),
            days=self.settings.seal_validity_days, urls=self.urls(root),
        )  # fmt: skip
        image = self.storage.put(draw_seal_png(authority_code), "png", "image/png")
        return self._insert("seal", authority_code, authority_name, cert, key, image.key)

    def tsa(self) -> Seal:
        """The hub's time-stamping authority (its key and certificate), created on first use."""
        t = schema.seal
        for seal in self._select(t.c.kind == "tsa", t.c.status == "active"):
            if seal.not_after > utcnow():
                return seal
        root = self.root()
        key = generate_key()
        cert = make_tsa_certificate(
            key, hub_name=self.settings.hub_name, root=root.certificate,
            root_key=self.root_key(root), days=self.settings.tsa_validity_days,
            urls=self.urls(root),
        )  # fmt: skip
        return self._insert("tsa", TSA_CODE, self.settings.hub_name, cert, key, None)

    def hub_tsa(self) -> HubTsa:
        """The time-stamping authority, ready to sign (its key decrypted once)."""
        seal = self.tsa()
        found = self._tsa
        if found is None or found.certificate != seal.certificate:
            found = self._tsa = HubTsa(self._unlock(seal.seal_id), seal.certificate)
        return found

    def urls(self, root: Seal) -> RevocationUrls:
        return RevocationUrls.under(self.settings.pki_base_url, root.certificate)

    def root_key(self, root: Seal) -> ec.EllipticCurvePrivateKey:
        """The root's private key (signs certificates, CRLs and OCSP answers)."""
        key = self._root_keys.get(root.seal_id)
        if key is None:
            key = self._root_keys[root.seal_id] = self._unlock(root.seal_id)
        return key

    def issued_by(self, root: Seal) -> list[Seal]:
        """Every certificate ``root`` signed (seals and TSA), revoked ones included."""
        ski = root.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        found = []
        for seal in self._select(schema.seal.c.kind != "root"):
            aki = seal.certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
            if aki.value.key_identifier == ski.value.digest:
                found.append(seal)
        return found

    def _insert(
        self,
        kind: str,
        code: str,
        name: str,
        cert: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        image: str | None,
    ) -> Seal:
        now = utcnow()
        row = {
            "seal_id": fingerprint(cert), "kind": kind, "authority_code": code,
            "authority_name": name, "serial": format(cert.serial_number, "x"),
            "certificate": pem(cert), "encrypted_key": encrypt_private_key(key, self.kek),
            "image_key": image, "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc, "status": "active", "created_at": now,
            "revoked_at": None, "revoked_reason": None,
        }  # fmt: skip
        with self.store.engine.begin() as conn:
            conn.execute(insert(schema.seal), row)
        seal = self.get(fingerprint(cert))
        assert seal is not None
        return seal

    # -- keys -------------------------------------------------------------------------

    def _encrypted_key(self, seal_id: str) -> str:
        t = schema.seal
        with self.store.engine.connect() as conn:
            return str(
                conn.execute(select(t.c.encrypted_key).where(t.c.seal_id == seal_id)).scalar_one()
            )

    def _unlock(self, seal_id: str) -> ec.EllipticCurvePrivateKey:
        return decrypt_private_key(self._encrypted_key(seal_id), self.kek)

    def chain(self, seal: Seal) -> list[x509.Certificate]:
        """The seal certificate and the root that issued it."""
        for root in self.roots():
            if root.subject != seal.certificate.issuer:
                continue
            try:
                seal.certificate.verify_directly_issued_by(root)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return [seal.certificate, root]
        raise FatalError(f"seal {seal.seal_id}: no hub root issued its certificate")

    def signer(self, seal: Seal) -> Signer:
        """A signer for the seal (decrypted once per registry); refused if revoked."""
        if seal.revoked:
            raise RecordError(
                "seal.revoked", f"seal {seal.seal_id} of {seal.authority_name} is revoked"
            )
        signer = self._signers.get(seal.seal_id)
        if signer is None:
            signer = FileKeySigner.from_encrypted_pem(
                self._encrypted_key(seal.seal_id), self.kek, self.chain(seal)
            )
            self._signers[seal.seal_id] = signer
        return signer

    # -- revocation -------------------------------------------------------------------

    def revoke(self, seal_id: str, *, reason: str) -> Seal:
        """Revoke a seal: documents it sealed no longer verify (``seal.revoked``)."""
        seal = self.get(seal_id)
        if seal is None:
            raise RecordError("seal.unknown", f"no seal {seal_id}", value=seal_id)
        if seal.kind == "root":
            raise RecordError("seal.root", "the hub root is not revoked through a seal")
        if seal.kind == "tsa":
            # A revoked TSA takes a new key and certificate on the next timestamp.
            self._signers.pop(seal_id, None)
        if not seal.revoked:
            t = schema.seal
            with self.store.engine.begin() as conn:
                conn.execute(
                    update(t)
                    .where(t.c.seal_id == seal_id, t.c.status == "active")
                    .values(status="revoked", revoked_at=utcnow(), revoked_reason=reason)
                )
            self._signers.pop(seal_id, None)
        revoked = self.get(seal_id)
        assert revoked is not None
        return revoked
