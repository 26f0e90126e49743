"""Golden records (``person``, ``enterprise``, ``license`` and a license's holders),
their history (``record_version``) and the conflicts merging them met."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from tongban.store.dialect import ExactNumeric
from tongban.store.schema._base import Json, Timestamp, metadata


def _golden_columns() -> list[Column]:
    return [
        Column("version", Integer, nullable=False),
        Column("provenance", Json, nullable=False),
        Column("created_at", Timestamp, nullable=False),
        Column("updated_at", Timestamp, nullable=False),
    ]


BOOKKEEPING = frozenset(c.name for c in _golden_columns())
"""Columns every golden table has besides its key and its fields."""


def golden_fields(table: Table) -> tuple[str, ...]:
    """A golden table's fields: its columns but the key and the bookkeeping."""
    return tuple(c.name for c in table.columns if not c.primary_key and c.name not in BOOKKEEPING)


person = Table(
    "person",
    metadata,
    Column("id_number", String(18), primary_key=True, comment="公民身份号码 (GB 11643)"),
    Column("name", String(100)),
    Column("gender", String(1), comment="GB/T 2261.1"),
    Column("birth_date", Date),
    Column("ethnicity", String(2), comment="GB 3304"),
    Column("marital_status", String(2), comment="GB/T 2261.2"),
    Column("address", String(300)),
    Column("phone", String(30)),
    *_golden_columns(),
)

enterprise = Table(
    "enterprise",
    metadata,
    Column("credit_code", String(18), primary_key=True, comment="统一社会信用代码 (GB 32100)"),
    Column("name", String(200)),
    Column("enterprise_type", String(100)),
    Column("legal_rep_id_number", String(18), comment="法定代表人; links person.id_number"),
    Column("legal_rep_name", String(100)),
    # Exact on SQLite too, where NUMERIC is a float (see ExactNumeric).
    Column("registered_capital", ExactNumeric(20, 4), comment="注册资本, 万元"),
    Column("established_on", Date),
    Column("region_code", String(6)),
    Column("address", String(300)),
    Column("business_scope", Text),
    Column("status", String(20)),
    Column("registration_authority", String(200)),
    *_golden_columns(),
    Index("ix_enterprise_legal_rep_id_number", "legal_rep_id_number"),
)

license = Table(
    "license",
    metadata,
    Column("license_key", String(120), primary_key=True, comment="type code + ':' + number"),
    Column("license_type_code", String(40), nullable=False, comment="GB/T 36902 证照类型代码"),
    Column("license_type_name", String(100)),
    Column("license_number", String(80), nullable=False, comment="证照编号"),
    Column("holder_name", String(200)),
    Column("holder_id", String(18)),
    Column("holder_id_type", String(3), comment="111 citizen ID, 001 credit code"),
    Column("issuer_name", String(200)),
    Column("issuer_code", String(18)),
    Column("issue_date", Date),
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("jurisdiction_code", String(6)),
    Column("status", String(20)),
    Column("fields", Json, comment="type-specific fields"),
    Column("holders", Json, comment="every holder (共有): name, id_type, id, share, ownership"),
    *_golden_columns(),
    Index("ix_license_holder_id", "holder_id"),
)

# Every holder of a license, a row each, kept with the license's current version (its
# history and provenance are the license's: ``holders`` in its golden row and versions),
# so that a holder's ID number or credit code finds the licenses they co-hold.
license_holder = Table(
    "license_holder",
    metadata,
    Column(
        "license_key",
        String(120),
        ForeignKey("license.license_key", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False, comment="0: the first holder"),
    Column("holder_id_type", String(3), nullable=False, comment="111 citizen ID, 001 credit code"),
    Column("holder_id", String(18), nullable=False),
    Column("holder_name", String(200)),
    Column("share", String(40), comment="份额, of a holder in shares (按份共有)"),
    Column("ownership", String(40), comment="共有方式"),
    Index("ix_license_holder_holder_id", "holder_id"),
)

record_version = Table(
    "record_version",
    metadata,
    Column("entity", String(20), primary_key=True),
    Column("entity_key", String(120), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("valid_from", Timestamp, nullable=False),
    Column("valid_to", Timestamp),
    # Plain JSON, not JSONB, on PostgreSQL: history is written far more than it is
    # searched, and json keeps the text as sent, at about twice the load speed.
    Column("data", JSON, nullable=False),
    Column("provenance", JSON, nullable=False),
    Column("run_id", String(36), ForeignKey("run_log.run_id")),
)

merge_conflict = Table(
    "merge_conflict",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("entity", String(20), nullable=False),
    Column("entity_key", String(120), nullable=False),
    Column("field", String(60), nullable=False),
    Column("kept_value", Text),
    Column("kept_source", String(60)),
    Column("offered_value", Text),
    Column("offered_source", String(60), nullable=False),
    Column("offered_record", String(200)),
    Column("resolution", String(20), nullable=False, comment="kept or replaced"),
    Column("run_id", String(36), ForeignKey("run_log.run_id")),
    Column("detected_at", Timestamp, nullable=False),
    Index("ix_merge_conflict_entity_key", "entity", "entity_key"),
)

# The match endpoint finds a person by name (and birth date, part of the number).
Index("ix_person_name", person.c.name)
