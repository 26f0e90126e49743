"""What the audit-chain tests share: entries appended through the real log, the hub's
seals over a vault directory, and what a database administrator can do to the chain
(rewrite it from entry 1 with every hash recomputed; anchor it again with a TSA and a
root of their own)."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from sqlalchemy import select, text, update

from exchange import AuditEntry, AuditLog
from exchange.anchor import anchor_now
from exchange.audit import GENESIS, entry_hash
from license_vault import SealRegistry, VaultSettings, open_storage
from tongban.store import Store
from tongban.store.schema import audit_head, audit_log


def append_entries(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(
            AuditEntry(
                request_id=str(uuid.uuid4()), method="GET", path=f"/v1/people/{i}",
                outcome="allowed", status=200, client_id="zwfw", service_item="11110000RS0201",
                case_no=f"C-{i}", subject=f"S{i}", resource="person", fields=("name",),
            )
        )  # fmt: skip


def hub_seals(store: Store, data: Path) -> SealRegistry:
    vs = VaultSettings(data_dir=data, key_encryption_key=secrets.token_urlsafe(32))
    return SealRegistry(store, open_storage(vs), vs)


def rewrite_from_the_start(store: Store) -> None:
    """What a database administrator can do: edit entry 1 and recompute every hash after
    it and the head row, so that the chain alone holds again."""
    with store.engine.begin() as conn:
        rows = [
            dict(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()
        ]
        prev = GENESIS
        for row in rows:
            if row["seq"] == 1:
                row["case_no"] = "C-forged"
            row["prev_hash"] = prev
            row["entry_hash"] = prev = entry_hash(prev, row)
            conn.execute(
                update(audit_log)
                .where(audit_log.c.seq == row["seq"])
                .values(case_no=row["case_no"], prev_hash=row["prev_hash"], entry_hash=prev)
            )
        conn.execute(update(audit_head).values(seq=rows[-1]["seq"], entry_hash=prev))


def forge_anchors(store: Store, pinned: Path, forger_dir: Path) -> SealRegistry:
    """Rewrite the chain, replace the hub's seals and anchors with a root and TSA of the
    forger's own, and anchor the rewritten head with them (the pinned file, which
    ``anchor_now`` never replaces, keeps the real root)."""
    rewrite_from_the_start(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_anchor"))
        conn.execute(text("DELETE FROM seal"))
    forger = hub_seals(store, forger_dir)
    assert anchor_now(store, forger, pinned) is not None
    return forger
