"""Peer hubs this hub knows: where they are, the hub root they sign under, what they offer.

    >>> peers = PeerRegistry(store)
    >>> peers.add("province", "福建省数据共享交换平台", url="http://10.0.0.1:8000",
    ...           root_pem=open("province-root.pem").read(), level="parent", regions=["35"])
    >>> peers.revoke("province", reason="根证书泄露")   # its signed requests are refused

A peer's hub root is its trust anchor here: a request it signs, and an answer it seals,
must chain to that root. A revoked peer is refused at once, in every API process (each
request reads the peer's row).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.federation.settings import HUB_ID
from tongban.errors import RecordError
from tongban.store import Store, schema, utcnow

__all__ = ["LEVELS", "Peer", "PeerRegistry", "load_root"]

_T = schema.federation_peer
LEVELS = ("parent", "child", "sibling")
_REGION = re.compile(r"\d{2}(\d{2}){0,2}")


def load_root(pem: str, *, where: str) -> x509.Certificate:
    """A hub root certificate from PEM, or a record error naming ``where``."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise RecordError("peer.root", f"{where}: not a PEM certificate: {exc}") from None
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = False
    if not ca or cert.subject != cert.issuer:
        raise RecordError("peer.root", f"{where}: not a hub root (a self-signed CA certificate)")
    return cert


def _aware(v: datetime | None) -> datetime | None:
    return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v


@dataclass(frozen=True, slots=True)
class Peer:
    """A peer hub: its id, name, level relative to us, address, trust anchor and offer."""

    peer_id: str
    name: str
    level: str
    url: str
    root: x509.Certificate
    root_fingerprint: str
    regions: tuple[str, ...]
    offers: tuple[str, ...]
    catalog_at: datetime | None
    status: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def label(self) -> str:
        return f"{self.peer_id} ({self.name})"

    def covers(self, region: str) -> bool:
        """Whether a GB/T 2260 region code falls within the regions the peer serves."""
        return any(region.startswith(r) for r in self.regions)

    @classmethod
    def from_row(cls, row: Any) -> Peer:
        return cls(
            peer_id=row.peer_id,
            name=row.name,
            level=row.level,
            url=row.url,
            root=x509.load_pem_x509_certificate(row.root_certificate.encode("ascii")),
            root_fingerprint=row.root_fingerprint,
            regions=tuple(row.regions or ()),
            offers=tuple(row.offers or ()),
            catalog_at=_aware(row.catalog_at),
            status=row.status,
            created_at=_aware(row.created_at),  # type: ignore[arg-type]
            revoked_at=_aware(row.revoked_at),
            revoked_reason=row.revoked_reason,
        )


class PeerRegistry:
    """Adds, lists, revokes and removes peers; keeps their published catalogs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        peer_id: str,
        name: str,
        *,
        url: str,
        root_pem: str,
        level: str,
        regions: Sequence[str] = (),
        offers: Sequence[str] = (),
    ) -> Peer:
        from license_vault.pki import fingerprint

        if not re.fullmatch(HUB_ID, peer_id):
            raise RecordError(
                "peer.id", f"peer id {peer_id!r}: 2-16 of a-z, 0-9 and '-', starting with a letter"
            )
        if level not in LEVELS:
            raise RecordError("peer.level", f"level {level!r} is not one of {LEVELS}")
        if not url.startswith(("http://", "https://")):
            raise RecordError("peer.url", f"peer {peer_id}: {url!r} is not an http(s) URL")
        bad = [r for r in regions if not _REGION.fullmatch(r)]
        if bad:
            raise RecordError("peer.regions", f"not GB/T 2260 code prefixes: {', '.join(bad)}")
        root = load_root(root_pem, where=f"peer {peer_id}")
        row = {
            "peer_id": peer_id,
            "name": name,
            "level": level,
            "url": url.rstrip("/"),
            "root_certificate": root_pem.strip() + "\n",
            "root_fingerprint": fingerprint(root),
            "regions": list(regions),
            "offers": list(offers),
            "catalog_at": None,
            "status": "active",
            "created_at": utcnow(),
        }
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(_T), row)
        except IntegrityError:
            raise RecordError("peer.exists", f"peer {peer_id} is already known") from None
        return self.require(peer_id)

    def get(self, peer_id: str) -> Peer | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(_T).where(_T.c.peer_id == peer_id)).first()
        return Peer.from_row(row) if row is not None else None

    def require(self, peer_id: str) -> Peer:
        peer = self.get(peer_id)
        if peer is None:
            raise RecordError("peer.unknown", f"no peer {peer_id}", value=peer_id)
        return peer

    def list(self) -> builtins.list[Peer]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(_T).order_by(_T.c.level, _T.c.peer_id))
            return [Peer.from_row(r) for r in rows]

    def set_offers(self, peer_id: str, offers: Sequence[str]) -> Peer:
        """Keep the catalog the peer published (``GET /federation/v1/catalog``)."""
        with self.store.engine.begin() as conn:
            conn.execute(
                update(_T)
                .where(_T.c.peer_id == peer_id)
                .values(offers=list(offers), catalog_at=utcnow())
            )
        return self.require(peer_id)

    def revoke(self, peer_id: str, *, reason: str) -> Peer:
        """Refuse the peer's root from now on: its requests and its answers alike."""
        self.require(peer_id)
        with self.store.engine.begin() as conn:
            conn.execute(
                update(_T)
                .where(_T.c.peer_id == peer_id, _T.c.status == "active")
                .values(status="revoked", revoked_at=utcnow(), revoked_reason=reason)
            )
        return self.require(peer_id)

    def remove(self, peer_id: str) -> None:
        """Forget the peer (its past exchanges stay in the audit log and the exchange log)."""
        self.require(peer_id)
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.federation_nonce).where(
                schema.federation_nonce.c.peer_id == peer_id))  # fmt: skip
            conn.execute(delete(_T).where(_T.c.peer_id == peer_id))
