"""Cases: intake from approval systems, the outbox to the province and e-supervision,
supervision cards (办件, 推送, 电子监察)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from tongban.store.schema._base import Json, Timestamp, metadata

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
