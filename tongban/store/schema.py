"""Tables of the shared store (SQLAlchemy Core; the migrations create the same).

Golden records (``person``, ``enterprise``, ``license``) hold the merged value of each
field plus ``provenance``: for every field, the source system, source record, run and
time it came from. Every state a golden record leaves behind is kept in ``record_version``
(transaction time: what the hub knew from ``valid_from`` until ``valid_to``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
Timestamp = DateTime(timezone=True)


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
    Column("registered_capital", Numeric(20, 4), comment="注册资本, 万元"),
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

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("entity", String(20), nullable=False),
    Column("source", String(60), nullable=False),
    Column("source_record", String(200)),
    Column("raw", Json, nullable=False),
    Column("rule", String(80), nullable=False),
    Column("expectation", String(120), comment="the Great Expectations expectation it failed"),
    Column("field", String(60)),
    Column("message", Text, nullable=False),
    Column("status", String(10), nullable=False, comment="open, fixed, rejected"),
    Column("corrections", Json, comment="list of {field, old, new, by, why, at}"),
    Column("resolution", Json, comment="{by, why, at, run}: who rejected it, or where it landed"),
    Column("run_id", String(36), ForeignKey("run_log.run_id")),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_quarantine_status_source", "status", "source"),
    Index("ix_quarantine_rule", "rule"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("source", String(60), primary_key=True),
    Column("cursor", Json),
    Column("run_id", String(36)),
    Column("updated_at", Timestamp, nullable=False),
)

run_log = Table(
    "run_log",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("source", String(60), nullable=False),
    Column("entity", String(20)),
    Column("kind", String(20), nullable=False, comment="load, sync, reprocess"),
    Column("status", String(20), nullable=False, comment="running, succeeded, failed, interrupted"),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("read", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("conflicts", Integer, nullable=False, default=0),
    Column("timings", Json, comment="seconds per step"),
    Column("message", Text),
    Index("ix_run_log_source_started", "source", "started_at"),
)

# -- data quality: validation results and batches held back at the gate ----------------

validation_result = Table(
    "validation_result",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("run_log.run_id"), nullable=False),
    Column("source", String(60), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("suite", String(60), nullable=False),
    Column("evaluated", Integer, nullable=False),
    Column("passed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("success_ratio", Float, nullable=False),
    Column("gate_passed", Boolean, nullable=False),
    Column("reason", Text),
    Column("result", JSON, nullable=False, comment="the Great Expectations validation result"),
    Column("validated_at", Timestamp, nullable=False),
    Index("ix_validation_result_source_at", "source", "validated_at"),
)

held_batch = Table(
    "held_batch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("run_log.run_id"), nullable=False),
    Column("source", String(60), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("records", JSON, nullable=False, comment="[[source record id, raw record], ...]"),
    Column("cursor_before", Json, comment="the source's cursor when the batch was read"),
    Column("cursor_after", Json, comment="the cursor the batch would have moved to"),
    Column("status", String(12), nullable=False, comment="held, released, discarded"),
    Column("created_at", Timestamp, nullable=False),
)

# -- license vault: e-seals and the e-license documents they sealed (电子印章, 电子证照) --

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
    Column("status", String(10), nullable=False, comment="active or revoked"),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
    Column("revoked_reason", Text),
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

# -- exchange API: approval-system clients, grants, rate windows and the audit log ------
# (交换接口: 审批系统客户端, 共享授权, 访问审计)

exchange_client = Table(
    "exchange_client",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, comment="the approval system (审批系统)"),
    Column("department", String(200)),
    Column("auth_kind", String(10), nullable=False, comment="api_key or jwt"),
    Column("key_hash", String(64), unique=True, comment="SHA-256 of the API key; never the key"),
    Column("key_hint", String(12), comment="first characters of the key, to tell keys apart"),
    Column("public_key", Text, comment="PEM key that verifies the client's JWT assertions"),
    Column("rate_limit", Integer, nullable=False, comment="requests per rate window"),
    Column("status", String(10), nullable=False, comment="active or revoked"),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
    Column("revoked_reason", Text),
)

exchange_grant = Table(
    "exchange_grant",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(40), ForeignKey("exchange_client.client_id"), nullable=False),
    Column("resource", String(40), nullable=False),
    Column("service_items", JSON, nullable=False, comment="事项编码 the grant covers"),
    Column("fields", JSON, nullable=False, comment="conditional fields it opens"),
    Column("unmasked", JSON, nullable=False, comment="fields returned without masking"),
    Column("expires_at", Timestamp, nullable=False),
    Column("approved_by", String(100), nullable=False),
    Column("basis", Text, comment="the approved application (申请批复)"),
    Column("status", String(10), nullable=False, comment="active or revoked"),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
    Column("revoked_reason", Text),
    Index("ix_exchange_grant_client_resource", "client_id", "resource"),
)

exchange_rate = Table(
    "exchange_rate",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("window", Integer, primary_key=True, comment="start of the window, epoch seconds"),
    Column("hits", Integer, nullable=False),
)

exchange_assertion = Table(
    "exchange_assertion",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("jti", String(100), primary_key=True, comment="a JWT assertion is used once"),
    Column("expires_at", Timestamp, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False, comment="place in the chain"),
    Column("at", Timestamp, nullable=False),
    Column("request_id", String(36), nullable=False),
    Column("client_id", String(40)),
    Column("operator", String(100), comment="经办人"),
    Column("service_item", String(40), comment="事项编码"),
    Column("case_no", String(64), comment="办件编号"),
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("subject", String(120), comment="whose data: ID number, credit code or identifier"),
    Column("resource", String(40)),
    Column("fields", JSON, nullable=False, comment="fields or materials returned"),
    Column("outcome", String(10), nullable=False, comment="allowed or refused"),
    Column("status", Integer, nullable=False),
    Column("reason", String(120), comment="the rule a refusal named"),
    Column("answer_sha256", String(64), comment="digest of the signed answer body"),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Index("ix_audit_log_subject", "subject", "seq"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False, comment="the last entry's seq"),
    Column("entry_hash", String(64), nullable=False),
)

# The match endpoint finds a person by name (and birth date, part of the number).
Index("ix_person_name", person.c.name)

# -- cases: intake from approval systems, the outbox to the province and e-supervision,
# -- supervision cards (办件, 推送, 电子监察) ------------------------------------------------

service_case = Table(
    "service_case",
    metadata,
    Column("case_no", String(64), primary_key=True, comment="办件编号"),
    Column("item_code", String(40), nullable=False, comment="事项编码"),
    Column("department", String(100), nullable=False, comment="the item's department"),
    Column("applicant_id", String(18), nullable=False, comment="ID number or credit code"),
    Column("applicant_type", String(3), nullable=False, comment="111 citizen ID, 001 credit code"),
    Column("channel", String(10), nullable=False, comment="online or counter"),
    Column("client_id", String(60), nullable=False, comment="the approval system reporting it"),
    Column("stage", String(12), nullable=False, comment="received, accepted, reviewed, concluded"),
    Column("received_at", Timestamp, nullable=False),
    Column("accepted_at", Timestamp),
    Column("reviewed_at", Timestamp),
    Column("concluded_at", Timestamp),
    Column("result", String(20)),
    Column("suspended_at", Timestamp, comment="set while the clock is paused"),
    Column("suspensions", Json, nullable=False, comment="[[from, to], ...] closed pauses"),
    Column("forwarded_at", Timestamp, comment="转报: sent to a higher level"),
    Column("forwarded_to", String(100)),
    Column("forward_answered_at", Timestamp),
    Column("forward_answer", String(20)),
    Column("rating", Integer, comment="好差评, 1-5"),
    Column("rated_at", Timestamp),
    Column("last_event_at", Timestamp, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("card_count", Integer, nullable=False, comment="cards sent to e-supervision"),
    Index("ix_service_case_applicant_item", "applicant_id", "item_code"),
    Index("ix_service_case_stage", "stage"),
)

case_event = Table(
    "case_event",
    metadata,
    Column("case_no", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True, comment="the event's place in its case"),
    Column("client_id", String(60), nullable=False),
    Column("event_id", String(80), nullable=False, comment="the client's own id of the event"),
    Column("kind", String(20), nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    Column("data", Json, nullable=False),
    Column("digest", String(64), nullable=False, comment="SHA-256 of the event as first sent"),
    Column("recorded_at", Timestamp, nullable=False),
    Index("ix_case_event_client_event", "client_id", "event_id", unique=True),
)

case_card = Table(
    "case_card",
    metadata,
    Column("case_no", String(64), primary_key=True),
    Column("kind", String(20), primary_key=True, comment="yellow, red, extra_material, repeated"),
    Column("raised_at", Timestamp, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Json),
    Index("ix_case_card_raised_at", "raised_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("target", String(20), primary_key=True, comment="province or supervision"),
    Column("case_no", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True, comment="order of the case's messages to target"),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("payload", Json, nullable=False),
    Column("status", String(10), nullable=False, comment="pending or dead"),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", Timestamp, nullable=False),
)

outbox_lane = Table(
    "outbox_lane",
    metadata,
    Column("target", String(20), primary_key=True),
    Column("case_no", String(64), primary_key=True),
    Column("pending", Integer, nullable=False, comment="outbox rows of this case and target"),
    Column("status", String(10), nullable=False, comment="ready, or dead behind a dead row"),
    Column("next_attempt_at", Timestamp, nullable=False),
    Column("lease_until", Timestamp, comment="a dispatcher holds the lane until then"),
    Column("claimed_by", String(80)),
    Index("ix_outbox_lane_due", "status", "next_attempt_at"),
    Index("ix_outbox_lane_claimed_by", "claimed_by"),
)


# -- license vault: what happened to each e-license (status changes, refusals, failures) --

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


# -- federation: peer hubs (province, city, county) and the exchanges made with them ----
# (省市县三级共享交换: 对等平台, 跨级交换记录)

federation_peer = Table(
    "federation_peer",
    metadata,
    Column("peer_id", String(16), primary_key=True, comment="the peer hub's id, e.g. province"),
    Column("name", String(200), nullable=False, comment="e.g. 福建省数据共享交换平台"),
    Column("level", String(10), nullable=False, comment="parent, child or sibling"),
    Column("url", String(300), nullable=False, comment="base URL of the peer's exchange API"),
    Column("root_certificate", Text, nullable=False, comment="PEM of the peer's hub root"),
    Column("root_fingerprint", String(64), nullable=False, comment="SHA-256 of its DER"),
    Column("regions", JSON, nullable=False, comment="GB/T 2260 code prefixes it covers"),
    Column("offers", JSON, nullable=False, comment="resources its published catalog offers"),
    Column("catalog_at", Timestamp, comment="when its catalog was last fetched"),
    Column("status", String(10), nullable=False, comment="active or revoked"),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
    Column("revoked_reason", Text),
)

federation_nonce = Table(
    "federation_nonce",
    metadata,
    Column("peer_id", String(16), primary_key=True),
    Column("jti", String(64), primary_key=True, comment="a signed peer request is used once"),
    Column("expires_at", Timestamp, nullable=False),
)

federation_exchange = Table(
    "federation_exchange",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    Column("request_id", String(36), nullable=False, comment="our request (and audit entry)"),
    Column("peer_id", String(16), nullable=False, comment="the peer that answered"),
    Column("client_id", String(40), comment="our client, on whose behalf we asked"),
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("subject", String(120)),
    Column("resource", String(40)),
    Column("status", Integer, nullable=False, comment="what the peer answered, 503 if nothing"),
    Column("peer_request_id", String(36), comment="the request id the peer's audit log holds"),
    Column("peer_audit_seq", Integer, comment="the peer's audit entry for this exchange"),
    Column("answer_sha256", String(64)),
    Column("elapsed_ms", Integer, nullable=False),
    Index("ix_federation_exchange_request", "request_id"),
)


# -- web console: its users and every change made through it (控制台用户, 操作记录) ---------

console_user = Table(
    "console_user",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False, comment="Argon2id (argon2-cffi)"),
    Column("roles", String(200), nullable=False, comment="comma-separated: engineer, ..."),
    Column("status", String(10), nullable=False, comment="active or disabled"),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

console_event = Table(
    "console_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    Column("actor", String(60), nullable=False, comment="username, or cli:<os user>"),
    Column("action", String(60), nullable=False, comment="e.g. quarantine.fix, user.disable"),
    Column("target", String(200), comment="what it acted on: a record id, a source, a user"),
    Column("detail", Json, comment="the change: fields, values, reasons, outcome"),
    Index("ix_console_event_at", "at"),
    Index("ix_console_event_actor_at", "actor", "at"),
)

# The quarantine list pages by source, rule and id (keyset) without sorting.
Index(
    "ix_quarantine_status_source_rule_id",
    quarantine.c.status,
    quarantine.c.source,
    quarantine.c.rule,
    quarantine.c.id,
)


# -- exchange audit anchors: the chain's head timestamped by the hub TSA (审计锚定) ------

audit_anchor = Table(
    "audit_anchor",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False, comment="the entry it covers"),
    Column("entry_hash", String(64), nullable=False, comment="the chain hash at that entry"),
    Column("token", LargeBinary, nullable=False, comment="RFC 3161 TimeStampToken (DER)"),
    Column("at", Timestamp, nullable=False, comment="the time the token proves"),
)
