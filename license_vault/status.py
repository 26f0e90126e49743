"""One vocabulary for the status of an e-license, in the store, the API and ``verify``.

``valid``, ``revoked`` (吊销, 撤销), ``cancelled`` (注销), ``expired`` and ``superseded``.
The issuing system's own words are read through :func:`source_status`; a word the
vault does not know is not taken for ``valid``.

    >>> source_status("吊销"), source_status("有效"), source_status(None)
    ('revoked', 'valid', 'valid')
    >>> source_status("冻结")
    Traceback (most recent call last):
    tongban.errors.RecordError: license.status_unknown: ...
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from tongban.errors import RecordError

__all__ = [
    "CANCELLED",
    "EXPIRED",
    "FINAL",
    "REVOKED",
    "STATUSES",
    "SUPERSEDED",
    "VALID",
    "record_status",
    "source_status",
]

VALID: Final = "valid"
REVOKED: Final = "revoked"
CANCELLED: Final = "cancelled"
EXPIRED: Final = "expired"
SUPERSEDED: Final = "superseded"
STATUSES: Final = (VALID, REVOKED, CANCELLED, EXPIRED, SUPERSEDED)
FINAL: Final = frozenset({REVOKED, CANCELLED})
"""Statuses no issuance undoes: only an operator's audited reinstatement does."""

_LABELS = {VALID: "有效", REVOKED: "吊销", CANCELLED: "注销", EXPIRED: "过期", SUPERSEDED: "已更新"}

# The words department systems use, by status.
_SOURCE_WORDS = {
    VALID: ("", "valid", "active", "有效", "正常", "存续", "在业", "开业", "在营"),
    REVOKED: ("revoked", "吊销", "已吊销", "撤销", "已撤销", "撤回"),
    CANCELLED: ("cancelled", "canceled", "注销", "已注销", "作废", "迁出"),
    EXPIRED: ("expired", "过期", "已过期", "失效", "到期"),
}
_BY_WORD = {word: status for status, words in _SOURCE_WORDS.items() for word in words}


def label(status: str) -> str:
    """The Chinese word a person reads for ``status``."""
    return _LABELS.get(status, status)


def source_status(value: Any, *, license_key: str | None = None) -> str:
    """The vault's status for the issuing system's ``status`` value."""
    word = "" if value is None else str(value).strip().lower()
    try:
        return _BY_WORD[word]
    except KeyError:
        where = f"license {license_key}: " if license_key else ""
        raise RecordError(
            "license.status_unknown",
            f"{where}the issuing system's status {value!r} is not one the vault knows"
            f" (known: {', '.join(sorted(w for w in _BY_WORD if w))}); it is not issued as valid",
            value=value,
            field="status",
        ) from None


def record_status(record: dict[str, Any], today: date) -> str:
    """The status a license record stands in today: the source's word, then its dates."""
    status = source_status(record.get("status"), license_key=record.get("license_key"))
    valid_until = record.get("valid_until")
    if status == VALID and isinstance(valid_until, date) and valid_until < today:
        return EXPIRED
    return status
