"""The ``elicense`` table: one row per issued e-license version (SQLAlchemy Core)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tongban.errors import RecordError
from tongban.store import Store, schema

__all__ = ["ElicenseEvent", "ElicenseRow", "ElicenseTable"]


@dataclass(frozen=True, slots=True)
class ElicenseRow:
    identifier: str
    license_key: str
    version: int
    serial: str
    license_type_code: str
    issuer_code: str
    holder_id: str | None
    valid_until: date | None
    status: str  # valid, revoked, cancelled, expired, superseded (license_vault.status)
    pdf_key: str
    pdf_sha256: str
    json_key: str
    json_sha256: str
    seal_id: str
    issued_at: datetime
    superseded_by: str | None
    revoked_at: datetime | None
    revoked_reason: str | None
    record_sha256: str

    @classmethod
    def from_row(cls, row: Any) -> ElicenseRow:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        for name in ("issued_at", "revoked_at"):
            v = values[name]
            if v is not None and v.tzinfo is None:  # SQLite hands back naive UTC
                values[name] = v.replace(tzinfo=UTC)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ElicenseEvent:
    """One line of the ``elicense_event`` log: a status change, a refusal or a failure."""

    license_key: str
    identifier: str | None
    action: str  # revoke, reinstate, source_status, refused, failed
    status_from: str | None
    status_to: str | None
    rule: str | None
    reason: str | None
    actor: str | None
    at: datetime


class ElicenseTable:
    def __init__(self, store: Store):
        self.store = store

    def _rows(self, *where: Any) -> list[ElicenseRow]:
        t = schema.elicense
        q = select(t).where(*where).order_by(t.c.license_key, t.c.version)
        with self.store.engine.connect() as conn:
            return [ElicenseRow.from_row(r) for r in conn.execute(q)]

    def get(self, identifier: str) -> ElicenseRow | None:
        rows = self._rows(schema.elicense.c.identifier == identifier)
        return rows[0] if rows else None

    def current(self, license_key: str) -> ElicenseRow | None:
        """The latest version of a license, whatever its status."""
        rows = self._rows(schema.elicense.c.license_key == license_key)
        return rows[-1] if rows else None

    def versions(self, license_key: str) -> list[ElicenseRow]:
        return self._rows(schema.elicense.c.license_key == license_key)

    def for_holder(self, holder_id: str) -> list[ElicenseRow]:
        """The e-licenses ``holder_id`` holds, alone or with others (共有)."""
        t, held = schema.elicense, schema.license_holder
        co_held = select(held.c.license_key).where(held.c.holder_id == holder_id)
        return self._rows(or_(t.c.holder_id == holder_id, t.c.license_key.in_(co_held)))

    def add(self, row: ElicenseRow, *, supersedes: str | None) -> None:
        """Insert a new version and supersede the previous one, in one transaction."""
        t = schema.elicense
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(t), row.as_dict())
                if supersedes is not None:
                    conn.execute(
                        update(t)
                        .where(t.c.identifier == supersedes, t.c.status == "valid")
                        .values(status="superseded", superseded_by=row.identifier)
                    )
        except IntegrityError:
            raise RecordError(
                "license.concurrent_issue",
                f"license {row.license_key} version {row.version} was issued by another"
                " process at the same time; issue again to get the latest",
                value=row.license_key,
            ) from None

    def set_status(
        self,
        row: ElicenseRow,
        status: str,
        *,
        action: str,
        reason: str,
        actor: str,
        rule: str | None = None,
    ) -> bool:
        """Move one version from its current status to ``status`` and log it, atomically.

        False when another process changed the status first (nothing is written then)."""
        t = schema.elicense
        now = datetime.now(UTC)
        changed_at = None if status == "valid" else now
        with self.store.engine.begin() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.identifier == row.identifier, t.c.status == row.status)
                .values(status=status, revoked_at=changed_at,
                        revoked_reason=None if status == "valid" else reason)
            ).rowcount  # fmt: skip
            if done:
                conn.execute(
                    insert(schema.elicense_event),
                    {"license_key": row.license_key, "identifier": row.identifier,
                     "action": action, "status_from": row.status, "status_to": status,
                     "rule": rule, "reason": reason, "actor": actor, "at": now},
                )  # fmt: skip
        return bool(done)

    def log(
        self, license_key: str, action: str, *, rule: str | None, reason: str,
        identifier: str | None = None, actor: str = "issuance",
    ) -> None:  # fmt: skip
        """Record a refusal or a failure of issuance (the run goes on)."""
        with self.store.engine.begin() as conn:
            conn.execute(
                insert(schema.elicense_event),
                {"license_key": license_key, "identifier": identifier, "action": action,
                 "status_from": None, "status_to": None, "rule": rule, "reason": reason[:4000],
                 "actor": actor, "at": datetime.now(UTC)},
            )  # fmt: skip

    def events(self, license_key: str) -> list[ElicenseEvent]:
        t = schema.elicense_event
        q = select(t).where(t.c.license_key == license_key).order_by(t.c.id)
        with self.store.engine.connect() as conn:
            out = []
            for r in conn.execute(q):
                at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
                out.append(ElicenseEvent(
                    r.license_key, r.identifier, r.action, r.status_from, r.status_to, r.rule,
                    r.reason, r.actor, at,
                ))  # fmt: skip
            return out
