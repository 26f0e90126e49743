"""Exchange API: approval-system clients, grants, rate windows, the hash-chained audit
log and its anchors (交换接口: 审批系统客户端, 共享授权, 访问审计, 审计锚定); and the peer hubs
of the federation with the exchanges made with them (省市县三级共享交换)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from tongban.store.schema._base import Timestamp, metadata, revocation_columns


def _used_once(name: str, sender: Column, jti: Column) -> Table:
    """The ids of the signed requests a sender made, each accepted once until it
    expires (a replayed request is refused)."""
    return Table(name, metadata, sender, jti, Column("expires_at", Timestamp, nullable=False))


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
    *revocation_columns(),
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
    *revocation_columns(),
    Index("ix_exchange_grant_client_resource", "client_id", "resource"),
)

exchange_rate = Table(
    "exchange_rate",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("window", Integer, primary_key=True, comment="start of the window, epoch seconds"),
    Column("hits", Integer, nullable=False),
)

exchange_assertion = _used_once(
    "exchange_assertion", Column("client_id", String(40), primary_key=True),
    Column("jti", String(100), primary_key=True, comment="a JWT assertion is used once"),
)  # fmt: skip

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

# The chain's head timestamped by the hub TSA.
audit_anchor = Table(
    "audit_anchor",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False, comment="the entry it covers"),
    Column("entry_hash", String(64), nullable=False, comment="the chain hash at that entry"),
    Column("token", LargeBinary, nullable=False, comment="RFC 3161 TimeStampToken (DER)"),
    Column("at", Timestamp, nullable=False, comment="the time the token proves"),
)

# -- federation: peer hubs (province, city, county) and the exchanges made with them ----

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
    *revocation_columns(),
)

federation_nonce = _used_once(
    "federation_nonce", Column("peer_id", String(16), primary_key=True),
    Column("jti", String(64), primary_key=True, comment="a signed peer request is used once"),
)  # fmt: skip

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
