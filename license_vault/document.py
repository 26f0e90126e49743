"""The content of an e-license: what the PDF prints and the JWS carries (GB/T 36903 metadata,
named in the payload through :mod:`license_vault.metadata`).

>>> data = LicenseData.from_record(record, license_type, identifier, issued_at, url)
>>> payload = data.to_json()          # canonical UTF-8 JSON, the JWS payload
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from license_vault import metadata
from license_vault.catalog import LicenseType

__all__ = ["HOLDER_ID_LABELS", "LicenseData", "canonical_json"]

HOLDER_ID_LABELS = {"001": "统一社会信用代码", "111": "公民身份号码"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same data always gives the same bytes."""
    return json.dumps(
        _plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def _several(holders: Any) -> list[dict[str, Any]]:
    """The holders of a license held by several (共有); none for one holder."""
    if not isinstance(holders, list) or len(holders) < 2:
        return []
    return [
        {str(k): _plain(v) for k, v in h.items() if v is not None}
        for h in holders
        if isinstance(h, dict)
    ]


@dataclass(frozen=True, slots=True)
class LicenseData:
    """Metadata of one e-license version (证照元数据) plus its type-specific fields."""

    identifier: str
    version: int
    license_type_code: str
    license_type_name: str
    license_number: str
    holder_name: str | None
    holder_id: str | None
    holder_id_type: str | None
    issuer_name: str | None
    issuer_code: str
    issue_date: str | None
    valid_from: str | None
    valid_until: str | None
    jurisdiction_code: str | None
    issued_at: str
    verify_url: str
    supersedes: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # Every holder (共有: name, id_type, id, share, ownership) when there are several; a
    # license of one holder has it in holder_* alone, as before.
    holders: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_record(
        cls,
        record: dict[str, Any],
        license_type: LicenseType,
        identifier: str,
        version: int,
        issued_at: datetime,
        verify_url: str,
        supersedes: str | None = None,
    ) -> LicenseData:
        def text(name: str) -> str | None:
            value = record.get(name)
            return None if value is None else str(_plain(value))

        return cls(
            identifier=identifier, version=version, license_type_code=license_type.code,
            license_type_name=license_type.name, license_number=str(record["license_number"]),
            holder_name=text("holder_name"), holder_id=text("holder_id"),
            holder_id_type=text("holder_id_type"), issuer_name=text("issuer_name"),
            issuer_code=str(record["issuer_code"]), issue_date=text("issue_date"),
            valid_from=text("valid_from"), valid_until=text("valid_until"),
            jurisdiction_code=text("jurisdiction_code"),
            issued_at=issued_at.isoformat(timespec="seconds"), verify_url=verify_url,
            supersedes=supersedes, fields=_plain(dict(record.get("fields") or {})),
            holders=_several(record.get("holders")),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.holders:  # one holder: the payload it always had
            del data["holders"]
        return data

    def to_json(self) -> bytes:
        """The JWS payload: our fields, and the same under GB/T 36903's element names."""
        data = self.to_dict()
        data[metadata.KEY] = metadata.gbt36903(data)
        return canonical_json(data)

    @classmethod
    def from_json(cls, payload: bytes) -> LicenseData:
        data = json.loads(payload)
        if not isinstance(data, dict):
            raise ValueError("the payload is not a JSON object")
        standard = data.pop(metadata.KEY, None)
        found = cls(**data)
        if standard is not None and standard != metadata.gbt36903(_plain(found.to_dict())):
            raise ValueError("the GB/T 36903 elements disagree with the license data")
        return found

    def record_sha256(self) -> str:
        """Hash of what the issuing record said (not of when or as what it was issued)."""
        content = {
            k: v
            for k, v in self.to_dict().items()
            if k not in ("identifier", "version", "issued_at", "verify_url", "supersedes")
        }
        return hashlib.sha256(canonical_json(content)).hexdigest()
