"""The ``elicense`` table: one row per issued e-license version (SQLAlchemy Core)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from tongban.errors import RecordError
from tongban.store import Store, schema

__all__ = ["ElicenseRow", "ElicenseTable"]


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
    status: str  # valid, superseded, revoked
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
        return self._rows(schema.elicense.c.holder_id == holder_id)

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
