"""What every table of the store shares: the metadata and its naming convention, the
JSON and timestamp types, and the columns of a thing that can be revoked."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Text
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


def revocation_columns() -> list[Column]:
    """The last columns of a seal, a client, a grant or a peer: active until revoked,
    and when and why it was."""
    return [
        Column("status", String(10), nullable=False, comment="active or revoked"),
        Column("created_at", Timestamp, nullable=False),
        Column("revoked_at", Timestamp),
        Column("revoked_reason", Text),
    ]
