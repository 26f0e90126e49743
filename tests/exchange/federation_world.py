"""What the three-hub tests share: each hub's store, its approval system's requests, its
hub root, its audit entries and grants (``sandbox.levels`` runs the hubs)."""

from __future__ import annotations

import httpx
from cryptography import x509
from sqlalchemy import select

from exchange import GrantRegistry
from exchange.catalog import load_share_catalog
from sandbox.levels import ITEM, Levels
from tongban.store import Store, schema

__all__ = ["audit_of", "get", "grant", "root_of", "store_of"]


def store_of(levels: Levels, hub: str) -> Store:
    return Store(levels[hub].database_url)


def get(levels: Levels, hub: str, path: str, **kw: str) -> httpx.Response:
    h = levels[hub]
    return httpx.get(h.url + path, headers=h.headers(**kw), timeout=60)


def root_of(levels: Levels, hub: str) -> x509.Certificate:
    store = store_of(levels, hub)
    with store.engine.connect() as conn:
        pem = conn.execute(
            select(schema.seal.c.certificate).where(schema.seal.c.kind == "root")
        ).scalar_one()
    store.dispose()
    return x509.load_pem_x509_certificate(pem.encode())


def audit_of(levels: Levels, hub: str, **where: object) -> list[dict[str, object]]:
    store = store_of(levels, hub)
    t = schema.audit_log
    q = select(t).where(*(t.c[k] == v for k, v in where.items())).order_by(t.c.seq)
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    store.dispose()
    return rows


def grant(
    levels: Levels,
    hub: str,
    client_id: str,
    resource: str,
    fields: list[str],
    items: list[str] | None = None,
) -> None:
    store = store_of(levels, hub)
    GrantRegistry(store, load_share_catalog()).add(
        client_id, resource, service_items=items or [ITEM], fields=fields, days=30,
        approved_by="省大数据局",
    )  # fmt: skip
    store.dispose()
