"""The audit log's verdict under the pinned hub root (审计链校验结论): the one check that
`tongban audit verify` prints and the console's audit page shows.

    >>> path = config.anchor_root_path(settings.data_dir)   # TONGBAN_EXCHANGE_ANCHOR_ROOT
    >>> verdict = audit_verdict(AuditLog(store), path)
    >>> verdict.state, str(verdict)
    ('intact', 'intact up to entry 9, anchored at 2026-12-05 07:40:02 UTC over entry 9 …')

The roots come from the file at ``path`` and nowhere else: roots read from the store
would come from whoever rewrote it. Without that file the chain is still walked (an entry
changed in place is caught), but a chain rewritten from the start with every hash
recomputed cannot be told apart, so the verdict is ``unpinned``, never ``intact``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from exchange.anchor import Anchor, load_anchors, load_roots
from tongban.errors import FatalError

if TYPE_CHECKING:
    from exchange.audit import AuditLog, Broken, ChainReport

__all__ = ["AuditVerdict", "PinnedRoot", "VerdictState", "audit_verdict"]

VerdictState = Literal["intact", "unanchored", "unpinned", "broken"]


@dataclass(frozen=True, slots=True)
class PinnedRoot:
    """A trusted hub root as an administrator compares it with their own copy."""

    subject: str
    sha256: str  # of the DER certificate, hex

    @classmethod
    def of(cls, cert: x509.Certificate) -> PinnedRoot:
        der = cert.public_bytes(serialization.Encoding.DER)
        return cls(cert.subject.rfc4514_string(), hashlib.sha256(der).hexdigest())

    def __str__(self) -> str:
        return f"{self.subject} (SHA-256 {self.sha256[:16]}…)"


@dataclass(frozen=True, slots=True)
class AuditVerdict:
    """One of four: ``broken`` (the first entry or anchor that fails, and the rule),
    ``unpinned`` (no usable pinned root: the anchors could not be checked), ``unanchored``
    (the chain holds and the root is pinned, but nothing is anchored yet) or ``intact``
    (the chain holds and every anchor holds under the pinned root)."""

    report: ChainReport
    root_path: Path
    roots: tuple[PinnedRoot, ...] = ()
    unpinned: str | None = None  # why no pinned root could be used
    stored_anchors: int = 0  # anchors in the store, checked or not

    @property
    def state(self) -> VerdictState:
        if self.report.broken is not None:
            return "broken"
        if self.unpinned is not None:
            return "unpinned"
        return "intact" if self.report.anchors else "unanchored"

    @property
    def entries(self) -> int:
        return self.report.entries

    @property
    def broken(self) -> Broken | None:
        return self.report.broken

    @property
    def last_anchor(self) -> Anchor | None:
        return self.report.anchors[-1] if self.report.anchors else None

    def __str__(self) -> str:
        state = self.state
        if self.broken is not None:
            return f"broken at {self.broken}"
        if state == "unpinned":
            return (
                f"not verified: the chain holds link by link up to entry {self.entries}, but"
                f" {self.unpinned}"
            )
        roots = ", ".join(str(r) for r in self.roots) + f" in {self.root_path}"
        if self.last_anchor is None:
            return (
                f"not anchored yet: the chain holds link by link up to entry {self.entries},"
                " but a chain rewritten from the start would pass too (`tongban audit anchor`"
                f" time-stamps the head); pinned root {roots}"
            )
        return (
            f"intact up to entry {self.entries}, anchored at"
            f" {self.last_anchor.at:%Y-%m-%d %H:%M:%S} UTC over entry {self.last_anchor.seq}"
            f" ({_held(len(self.report.anchors))}) under the pinned root {roots}"
        )


def _held(n: int) -> str:
    return "1 anchor holds" if n == 1 else f"{n} anchors hold"


def audit_verdict(log: AuditLog, path: Path) -> AuditVerdict:
    """The whole chain and every anchor checked under the hub roots pinned at ``path``."""
    stored = len(load_anchors(log.store))
    try:
        certs = load_roots(path)
    except FatalError as exc:
        why = str(exc)
        if stored:
            why += f"; {stored} anchors in the store cannot be checked"
        return AuditVerdict(log.verify(), path, (), why, stored)
    pinned = tuple(PinnedRoot.of(c) for c in certs)
    return AuditVerdict(log.verify(roots=certs), path, pinned, None, stored)
