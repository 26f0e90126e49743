"""What the audit chain is and how it is checked: the text an entry's hash commits to, and
the walk that names the first entry breaking the chain (访问审计的哈希链).

Each entry commits to the one before it: ``entry_hash = SHA-256(prev_hash, entry)``, with
its place in the chain (``seq``) inside the hashed text; the first entry follows
:data:`GENESIS`. :func:`verify_chain` finds a changed, removed, inserted or reordered
entry; the head row also catches entries cut off the end, and the anchors (the head
time-stamped by the hub's TSA) a chain rewritten from some entry on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from exchange.anchor import Anchor, check_anchor, load_anchors
from tongban.store import Store, schema

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["GENESIS", "Broken", "ChainReport", "entry_hash", "verify_chain"]

GENESIS = "0" * 64
_LOG = schema.audit_log
_HEAD = schema.audit_head

_HASHED = (
    "seq",
    "at",
    "request_id",
    "client_id",
    "operator",
    "service_item",
    "case_no",
    "method",
    "path",
    "subject",
    "resource",
    "fields",
    "outcome",
    "status",
    "reason",
    "answer_sha256",
)


def _stamp(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The hash an entry must carry: SHA-256 over the previous hash and the entry's text."""
    values = [
        _stamp(row["at"])
        if name == "at"
        else list(row["fields"])
        if name == "fields"
        else row[name]
        for name in _HASHED
    ]
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Broken:
    """The first entry that breaks the chain, and how."""

    seq: int
    rule: str  # audit.missing, audit.hash, audit.link, audit.head, audit.anchor
    message: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.rule}: {self.message}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    broken: Broken | None
    anchors: tuple[Anchor, ...] = ()  # the anchors checked and found holding

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_chain(store: Store, roots: Sequence[x509.Certificate] | None = None) -> ChainReport:
    """Walk the chain from the start; name the first entry that breaks it.

    With the trusted hub ``roots``, every anchor is checked as well: its token must
    prove its (seq, hash) under a root, and the entry it names must carry that hash.
    """
    anchors = {a.seq: a for a in load_anchors(store)} if roots is not None else {}
    held: list[Anchor] = []
    prev, expected = GENESIS, 1
    with store.engine.connect() as conn:
        head = conn.execute(select(_HEAD.c.seq, _HEAD.c.entry_hash)).first()
        rows = conn.execution_options(yield_per=5000).execute(select(_LOG).order_by(_LOG.c.seq))
        for r in rows.mappings():
            broken = _check(dict(r), expected, prev)
            anchor = anchors.pop(r["seq"], None)
            if broken is None and anchor is not None:
                assert roots is not None
                broken = _check_anchor(anchor, r["entry_hash"], roots)
                if broken is None:
                    held.append(anchor)
            if broken is not None:
                return ChainReport(expected - 1, broken, tuple(held))
            prev, expected = r["entry_hash"], expected + 1
    last = expected - 1
    report = ChainReport(last, None, tuple(held))
    if anchors:  # anchors over entries past the end: the log was cut short
        first = min(anchors.values(), key=lambda a: a.seq)
        return ChainReport(
            last,
            Broken(
                first.seq,
                "audit.anchor",
                f"{first} no longer holds: the log ends at entry {last}, entries were cut off",
            ),
            report.anchors,
        )
    if head is None:
        if last == 0:
            return report
        return ChainReport(last, Broken(last, "audit.head", "the chain head is missing"))
    if head.seq != last or head.entry_hash != prev:
        return ChainReport(
            last,
            Broken(
                last + 1,
                "audit.head",
                f"the chain head names entry {head.seq} but the log ends at entry {last}"
                if head.seq != last
                else f"the chain head's hash does not match entry {last}",
            ),
            report.anchors,
        )
    return report


def _check_anchor(
    anchor: Anchor, entry_hash: str, roots: Sequence[x509.Certificate]
) -> Broken | None:
    why = check_anchor(anchor, roots)
    if why is not None:
        return Broken(anchor.seq, "audit.anchor", f"{anchor} no longer holds: {why}")
    if anchor.entry_hash != entry_hash:
        return Broken(
            anchor.seq,
            "audit.anchor",
            f"{anchor} no longer holds: the entry's hash is not the one time-stamped,"
            " the chain was rewritten",
        )
    return None


def _check(row: dict[str, Any], expected: int, prev: str) -> Broken | None:
    seq = row["seq"]
    if seq != expected:
        return Broken(
            expected,
            "audit.missing",
            f"entry {expected} is missing (the next one is {seq}): entries were removed",
        )
    if row["prev_hash"] != prev:
        return Broken(
            seq,
            "audit.link",
            f"does not follow entry {seq - 1}: an entry was removed, inserted or reordered",
        )
    if entry_hash(prev, row) != row["entry_hash"]:
        return Broken(seq, "audit.hash", "its content does not match its hash: it was changed")
    return None
