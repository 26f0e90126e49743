"""What a run leaves beside the records: its log, each source's cursor, the records
quarantined, the validation results and the batches held back at the gate."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from tongban.store.schema._base import Json, Timestamp, metadata

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


def _batch_columns() -> list[Column]:
    """The first columns of what the gate keeps of a batch: its id, run, source, entity."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", String(36), ForeignKey("run_log.run_id"), nullable=False),
        Column("source", String(60), nullable=False),
        Column("entity", String(20), nullable=False),
    ]


validation_result = Table(
    "validation_result",
    metadata,
    *_batch_columns(),
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
    *_batch_columns(),
    Column("reason", Text, nullable=False),
    Column("records", JSON, nullable=False, comment="[[source record id, raw record], ...]"),
    Column("cursor_before", Json, comment="the source's cursor when the batch was read"),
    Column("cursor_after", Json, comment="the cursor the batch would have moved to"),
    Column("status", String(12), nullable=False, comment="held, released, discarded"),
    Column("created_at", Timestamp, nullable=False),
)

# The quarantine list pages by source, rule and id (keyset) without sorting.
Index(
    "ix_quarantine_status_source_rule_id",
    quarantine.c.status,
    quarantine.c.source,
    quarantine.c.rule,
    quarantine.c.id,
)
