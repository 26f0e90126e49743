"""Every holder of a license, a row each (``license_holder``), kept with the license's
current version so that a holder's ID number or credit code finds the licenses they
co-hold (共有). The holders' history and provenance are the license's own: ``holders``
is a field of its golden row and of each version it leaves behind.

    >>> licenses_held(conn, "110105194912310021")  # doctest: +SKIP
    ['111000000000135577001:浙(2024)杭州市不动产权第0000001号', ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tongban.store import schema

__all__ = ["holder_rows", "licenses_held", "refresh_holders"]

_CHUNK = 5000


def holder_rows(license_key: str, holders: Any) -> list[dict[str, Any]]:
    """The ``license_holder`` rows of one license's ``holders`` list."""
    rows = []
    for seq, holder in enumerate(holders or []):
        if not isinstance(holder, dict) or not holder.get("id") or not holder.get("id_type"):
            continue
        rows.append({
            "license_key": license_key, "seq": seq, "holder_id_type": holder["id_type"],
            "holder_id": holder["id"], "holder_name": holder.get("name"),
            "share": holder.get("share"), "ownership": holder.get("ownership"),
        })  # fmt: skip
    return rows


def refresh_holders(conn: Connection, keys: Sequence[str]) -> None:
    """Rewrite the holder rows of the licenses ``keys`` from their golden rows (in the
    transaction that wrote them)."""
    lic, held = schema.license, schema.license_holder
    for i in range(0, len(keys), _CHUNK):
        chunk = list(keys[i : i + _CHUNK])
        conn.execute(delete(held).where(held.c.license_key.in_(chunk)))
        found = conn.execute(
            select(lic.c.license_key, lic.c.holders).where(lic.c.license_key.in_(chunk))
        ).all()
        rows = [row for key, holders in found for row in holder_rows(key, holders)]
        if rows:
            conn.execute(insert(held), rows)


def licenses_held(conn: Connection, holder_id: str) -> list[str]:
    """The keys of the licenses ``holder_id`` holds, alone or with others."""
    held = schema.license_holder
    query = select(held.c.license_key).where(held.c.holder_id == holder_id).distinct()
    return sorted(conn.execute(query).scalars())
