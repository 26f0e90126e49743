"""Anchors of the audit chain: its head, time-stamped by the hub's TSA (审计锚定).

    >>> made = anchor_head(store, seals.hub_tsa())        # the head now, RFC 3161 token
    >>> pin_root(root_path, seals.chain(seals.tsa())[1])  # written once, kept off the store
    >>> AuditLog(store).verify(roots=load_roots(root_path)).ok

The chain alone cannot catch whoever rewrites every entry from the start and the head
row with them: the hashes are recomputed as easily as they were made. An anchor is a
time-stamp token over ``(seq, entry_hash)`` signed by the TSA key, which the store does
not hold in the clear, so a rewritten chain no longer matches the hashes its anchors
name (as X-Road time-stamps its message log). The trusted hub root is read from a file
outside the store: replacing the ``seal`` rows does not help a forger either.

:func:`exchange.verdict.audit_verdict` is the check under the pinned root that
`tongban audit verify` and the console's audit page both run.

The API anchors at an interval (:class:`Anchorer`, one thread per process); several
processes may anchor the same head, and the second is dropped (``seq`` is the key).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tongban.errors import FatalError, RecordError
from tongban.store import Store, schema

if TYPE_CHECKING:
    from license_vault import HubTsa, SealRegistry

__all__ = [
    "Anchor",
    "Anchorer",
    "anchor_digest",
    "anchor_head",
    "anchor_now",
    "check_anchor",
    "load_anchors",
    "load_roots",
    "pin_root",
]

_ANCHOR = schema.audit_anchor
_HEAD = schema.audit_head
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    entry_hash: str
    token: bytes
    at: datetime

    def __str__(self) -> str:
        return f"the anchor of {self.at:%Y-%m-%d %H:%M:%S} UTC over entry {self.seq}"


def anchor_digest(seq: int, entry_hash: str) -> bytes:
    """What the token covers: the entry's place in the chain and its hash."""
    return hashlib.sha256(f"tongban-audit-anchor\n{seq}\n{entry_hash}".encode()).digest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def anchor_head(store: Store, tsa: HubTsa) -> Anchor | None:
    """Time-stamp the chain's head and keep the token; None while the chain is empty.

    A head anchored already (by another process, say) keeps its first anchor."""
    from license_vault import timestamp_digest

    with store.engine.connect() as conn:
        head = conn.execute(select(_HEAD.c.seq, _HEAD.c.entry_hash)).first()
    if head is None or head.seq == 0:
        return None
    seq, entry_hash = int(head.seq), str(head.entry_hash)
    found = load_anchors(store, seq=seq)
    if found:  # nothing new since the last anchor
        return found[0]
    token = timestamp_digest(tsa, anchor_digest(seq, entry_hash))
    info = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    at: datetime = info["gen_time"].native
    dialect = store.engine.dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(_ANCHOR)
    with store.engine.begin() as conn:
        conn.execute(
            ins.values(seq=seq, entry_hash=entry_hash, token=token, at=at).on_conflict_do_nothing()
        )
    found = load_anchors(store, seq=seq)
    return found[0] if found else None


def anchor_now(store: Store, seals: SealRegistry, root_path: Path) -> Anchor | None:
    """Pin the root of the hub's TSA at ``root_path`` (first time only), then anchor."""
    pin_root(root_path, seals.chain(seals.tsa())[1])
    return anchor_head(store, seals.hub_tsa())


def load_anchors(store: Store, *, seq: int | None = None) -> list[Anchor]:
    """Every anchor (or the one over entry ``seq``), oldest entry first."""
    q = select(_ANCHOR).order_by(_ANCHOR.c.seq)
    if seq is not None:
        q = q.where(_ANCHOR.c.seq == seq)
    with store.engine.connect() as conn:
        return [
            Anchor(int(r.seq), str(r.entry_hash), bytes(r.token), _aware(r.at))
            for r in conn.execute(q)
        ]


def _last_anchored(store: Store) -> datetime | None:
    with store.engine.connect() as conn:
        at = conn.execute(select(func.max(_ANCHOR.c.at))).scalar()
    return None if at is None else _aware(at)


def check_anchor(anchor: Anchor, roots: Sequence[x509.Certificate]) -> str | None:
    """Why the anchor's token does not prove its (seq, hash), or None when it does."""
    from license_vault import verify_token

    try:
        verify_token(anchor.token, anchor_digest(anchor.seq, anchor.entry_hash), roots)
    except RecordError as exc:
        return f"{exc.rule}: {exc.message}"
    return None


# -- the pinned hub root -----------------------------------------------------------------


def pin_root(path: Path, root: x509.Certificate) -> Path:
    """Write the hub root to ``path`` unless a file is there already (it is never
    replaced: a new root is added to the file by hand)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    try:
        os.link(tmp, path)  # atomic, and refuses to replace a root another process pinned
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path


def load_roots(path: Path) -> list[x509.Certificate]:
    """The trusted hub roots in a PEM file (one or more certificates)."""
    try:
        roots = x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        raise FatalError(
            f"no pinned hub root at {path}: the first anchor writes it; otherwise save the"
            " hub root certificate there, or point TONGBAN_EXCHANGE_ANCHOR_ROOT (or --root) at it"
        ) from None
    except ValueError as exc:
        raise FatalError(f"{path}: not a PEM certificate file ({exc})") from None
    return roots


# -- anchoring at an interval ----------------------------------------------------------


class Anchorer:
    """A daemon thread that anchors the head every ``interval_s`` seconds.

    Each round first asks the store when the last anchor was made, by any process: with
    several API processes one anchor per interval is the usual outcome, and a second
    over the same head is dropped."""

    def __init__(
        self,
        store: Store,
        anchor: Callable[[], Anchor | None],
        interval_s: float,
    ) -> None:
        self.store = store
        self._anchor = anchor
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.round()
            except Exception as exc:  # the next round tries again; the API goes on
                _log.warning("audit anchor failed: %s", exc)

    def round(self) -> Anchor | None:
        last = _last_anchored(self.store)
        if last is not None and datetime.now(UTC) - last < timedelta(seconds=self.interval_s):
            return None
        return self._anchor()
