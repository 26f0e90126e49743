"""What issuance gives back: the issued versions, and what was withheld, refused or failed.

>>> report = vault.issue_all()
>>> report.withheld_by_status()
{'cancelled': 3, 'revoked': 10}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from license_vault.records import ElicenseRow
from tongban.errors import RecordError, TongbanError

__all__ = ["IssueReport", "Issued", "NotInForce", "issued_from", "one_line"]


@dataclass(frozen=True, slots=True)
class Issued:
    """One issued e-license version and where its documents are."""

    identifier: str
    license_key: str
    version: int
    pdf_key: str
    json_key: str
    seal_id: str
    issued_at: datetime
    supersedes: str | None
    new: bool  # False when an unchanged record returned the version already issued


class NotInForce(RecordError):
    """The source says the license is not in force (revoked, cancelled, expired)."""

    def __init__(self, status: str, message: str, *, value: object = None):
        super().__init__(f"license.{status}", message, value=value, field="status")
        self.status = status


@dataclass
class IssueReport:
    """What one run did: issued (new or unchanged), withheld, refused, failed."""

    issued: list[Issued] = field(default_factory=list)
    not_in_force: list[tuple[str, NotInForce]] = field(default_factory=list)
    refused: list[tuple[str, RecordError]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (license key, one line)

    def withheld_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, exc in self.not_in_force:
            counts[exc.status] = counts.get(exc.status, 0) + 1
        return counts


def one_line(exc: BaseException) -> str:
    """An error as the one line a user reads: its rule if it has one, never a traceback."""
    rule = getattr(exc, "rule", None)
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, RecordError):
        return f"{exc.rule}: {' '.join(exc.message.split())}"
    if rule and not text.startswith(f"{rule}:"):
        return f"{rule}: {text}"
    if isinstance(exc, TongbanError):
        return text
    return f"{type(exc).__name__}: {text}"


def issued_from(row: ElicenseRow, *, new: bool, supersedes: str | None = None) -> Issued:
    return Issued(
        identifier=row.identifier, license_key=row.license_key, version=row.version,
        pdf_key=row.pdf_key, json_key=row.json_key, seal_id=row.seal_id,
        issued_at=row.issued_at, supersedes=supersedes, new=new,
    )  # fmt: skip
