"""Grants: approved applications that open conditional resources to one client.

    >>> grants = GrantRegistry(store, load_share_catalog())
    >>> g = grants.add("zwfw-bj", "marriage", service_items=["11110000RS0201"],
    ...                fields=["name", "marital_status"], days=365, approved_by="市大数据局")
    >>> grants.revoke(g.grant_id, reason="项目结束")

A grant names the client, the resource, the service items (事项编码) it is for, the
conditional fields it opens, the fields it lets through unmasked, and when it expires.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update

from exchange.catalog import ShareCatalog
from tongban.errors import RecordError
from tongban.store import Store, schema, utcnow

__all__ = ["Grant", "GrantRegistry"]

_T = schema.exchange_grant


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: int
    client_id: str
    resource: str
    service_items: tuple[str, ...]
    fields: tuple[str, ...]
    unmasked: tuple[str, ...]
    expires_at: datetime
    approved_by: str
    basis: str | None
    status: str
    created_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def covers(self, service_item: str) -> bool:
        return service_item in self.service_items

    @classmethod
    def from_row(cls, r: Row[Any]) -> Grant:
        def aware(v: datetime) -> datetime:
            return v.replace(tzinfo=UTC) if v.tzinfo is None else v

        return cls(
            r.id,
            r.client_id,
            r.resource,
            tuple(r.service_items),
            tuple(r.fields),
            tuple(r.unmasked),
            aware(r.expires_at),
            r.approved_by,
            r.basis,
            r.status,
            aware(r.created_at),
        )


class GrantRegistry:
    def __init__(self, store: Store, share: ShareCatalog) -> None:
        self.store = store
        self.share = share

    def add(
        self,
        client_id: str,
        resource: str,
        *,
        service_items: Sequence[str],
        fields: Sequence[str],
        approved_by: str,
        unmasked: Sequence[str] = (),
        days: float | None = None,
        expires_at: datetime | None = None,
        basis: str | None = None,
    ) -> Grant:
        """Record an approved grant; refused when it names what cannot be shared."""
        spec = self.share.resources.get(resource)
        if spec is None:
            raise RecordError("grant.resource", f"no resource {resource!r} in the share catalog")
        if spec.share == "not_shared":
            raise RecordError("share.not_shared", f"resource {resource} is not shared")
        for f in (*fields, *unmasked):
            rule = spec.fields.get(f)
            if rule is None:
                raise RecordError("grant.field", f"{resource} has no field {f!r}", value=f)
            if rule.share == "not_shared":
                raise RecordError("share.not_shared", f"{resource}.{f} is not shared", value=f)
        if not service_items:
            raise RecordError("grant.service_items", "a grant names the service items it is for")
        if expires_at is None:
            if days is None:
                raise RecordError("grant.expiry", "a grant needs an expiry (days or a date)")
            expires_at = utcnow() + timedelta(days=days)
        with self.store.engine.connect() as conn:
            c = schema.exchange_client
            if (
                conn.execute(select(c.c.client_id).where(c.c.client_id == client_id)).first()
                is None
            ):
                raise RecordError("client.unknown", f"no client {client_id}", value=client_id)
        row = {
            "client_id": client_id,
            "resource": resource,
            "service_items": list(service_items),
            "fields": list(fields),
            "unmasked": list(unmasked),
            "expires_at": expires_at,
            "approved_by": approved_by,
            "basis": basis,
            "status": "active",
            "created_at": utcnow(),
        }
        with self.store.engine.begin() as conn:
            grant_id = conn.execute(insert(_T).returning(_T.c.id), row).scalar_one()
        return self.get(grant_id)

    def get(self, grant_id: int) -> Grant:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(_T).where(_T.c.id == grant_id)).first()
        if row is None:
            raise RecordError("grant.unknown", f"no grant {grant_id}", value=grant_id)
        return Grant.from_row(row)

    def list(self, *, client_id: str | None = None) -> list[Grant]:
        q = select(_T).order_by(_T.c.id)
        if client_id is not None:
            q = q.where(_T.c.client_id == client_id)
        with self.store.engine.connect() as conn:
            return [Grant.from_row(r) for r in conn.execute(q)]

    def active_for(self, client_id: str, resource: str) -> builtins.list[Grant]:
        """The client's unrevoked grants on a resource, expired ones included (to say so)."""
        q = select(_T).where(
            _T.c.client_id == client_id, _T.c.resource == resource, _T.c.status == "active"
        )
        with self.store.reads.connect() as conn:
            return [Grant.from_row(r) for r in conn.execute(q)]

    def revoke(self, grant_id: int, *, reason: str) -> Grant:
        self.get(grant_id)
        with self.store.engine.begin() as conn:
            conn.execute(
                update(_T)
                .where(_T.c.id == grant_id, _T.c.status == "active")
                .values(status="revoked", revoked_at=utcnow(), revoked_reason=reason)
            )
        return self.get(grant_id)
