"""License vault: e-seals, the e-license documents they sealed and what happened to
each e-license (电子印章, 电子证照)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text

from tongban.store.schema._base import Timestamp, metadata, revocation_columns

seal = Table(
    "seal",
    metadata,
    Column("seal_id", String(64), primary_key=True, comment="SHA-256 of the certificate (DER)"),
    Column("kind", String(10), nullable=False, comment="root (hub CA) or seal (authority)"),
    Column("authority_code", String(18), nullable=False, comment="issuing authority credit code"),
    Column("authority_name", String(200), nullable=False),
    Column("serial", String(40), nullable=False, comment="certificate serial number, hex"),
    Column("certificate", Text, nullable=False, comment="X.509 certificate, PEM"),
    Column("encrypted_key", Text, nullable=False, comment="PKCS#8 PEM, encrypted with the KEK"),
    Column("image_key", String(120), comment="object key of the seal image (PNG)"),
    Column("not_before", Timestamp, nullable=False),
    Column("not_after", Timestamp, nullable=False),
    *revocation_columns(),
    Index("ix_seal_authority_status", "authority_code", "status"),
)

elicense = Table(
    "elicense",
    metadata,
    Column("identifier", String(120), primary_key=True, comment="GB/T 36904 证照标识"),
    Column("license_key", String(120), nullable=False, comment="links license.license_key"),
    Column("version", Integer, nullable=False),
    Column("serial", String(40), nullable=False),
    Column("license_type_code", String(40), nullable=False),
    Column("issuer_code", String(18), nullable=False),
    Column("holder_id", String(18)),
    Column("valid_until", Date),
    Column("status", String(12), nullable=False, comment="valid, superseded, revoked"),
    Column("pdf_key", String(120), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("json_key", String(120), nullable=False),
    Column("json_sha256", String(64), nullable=False),
    Column("seal_id", String(64), ForeignKey("seal.seal_id"), nullable=False),
    Column("issued_at", Timestamp, nullable=False),
    Column("superseded_by", String(120)),
    Column("revoked_at", Timestamp),
    Column("revoked_reason", Text),
    Column("record_sha256", String(64), nullable=False, comment="hash of the sealed license data"),
    Index("ix_elicense_license_key_version", "license_key", "version", unique=True),
    Index("ix_elicense_holder_id", "holder_id"),
)

# What happened to each e-license (status changes, refusals, failures).
elicense_event = Table(
    "elicense_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("license_key", String(120), nullable=False, comment="links license.license_key"),
    Column("identifier", String(120), comment="the e-license version, if one was concerned"),
    Column("action", String(20), nullable=False, comment="revoke, reinstate, source_status, ..."),
    Column("status_from", String(12)),
    Column("status_to", String(12)),
    Column("rule", String(60), comment="the named reason (license.revoked_final, ...)"),
    Column("reason", Text),
    Column("actor", String(100), comment="operator, or 'issuance' for the vault itself"),
    Column("at", Timestamp, nullable=False),
    Index("ix_elicense_event_license_key", "license_key"),
)
