"""Web console: its users and every change made through it (控制台用户, 操作记录)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from tongban.store.schema._base import Json, Timestamp, metadata

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
