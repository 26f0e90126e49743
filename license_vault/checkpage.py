"""What the verify endpoint tells a person or a program about a document or identifier.

The answer never shows a holder whole: the name keeps its first and last characters,
the ID number its first six and last four.

    >>> mask_name("王伟强"), mask_id("110105199001011234")
    ('王*强', '110105********1234')
    >>> summary = VerifySummary.of(verdict, license_data)
    >>> summary.as_json()["verdict"]
    'valid'
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

from license_vault.document import LicenseData
from license_vault.status import label
from license_vault.verify import Verdict

__all__ = ["VerifySummary", "mask_id", "mask_name", "render_form", "render_page"]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


@dataclass(frozen=True)
class VerifySummary:
    verdict: str  # valid, or not_valid
    kind: str
    identifier: str | None
    license_status: str | None
    status_label: str | None
    license_type: str | None
    holder_name: str | None  # masked
    holder_id: str | None  # masked
    issuer: str | None
    issued_at: str | None
    valid_until: str | None
    reasons: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, verdict: Verdict, data: LicenseData | None) -> VerifySummary:
        status = verdict.license_status
        return cls(
            verdict="valid" if verdict.ok else "not_valid", kind=verdict.kind,
            identifier=verdict.identifier, license_status=status,
            status_label=label(status) if status else None,
            license_type=data.license_type_name if data else None,
            holder_name=mask_name(data.holder_name) if data else None,
            holder_id=mask_id(data.holder_id) if data else None,
            issuer=(data.issuer_name if data else None) or verdict.authority,
            issued_at=data.issued_at if data else None,
            valid_until=(data.valid_until or "长期") if data else None,
            reasons=[{"code": r.code, "message": r.message} for r in verdict.reasons],
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_STYLE = """body{font-family:sans-serif;margin:0;padding:1rem;max-width:36rem;margin:auto;
color:#222}h1{font-size:1.4rem}.ok{background:#e6f4ea;border-left:6px solid #1e8e3e}
.bad{background:#fce8e6;border-left:6px solid #d93025}.box{padding:.8rem 1rem;
margin:1rem 0}dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}
dt{color:#555}dd{margin:0;word-break:break-all}li{margin:.3rem 0}"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def render_page(summary: VerifySummary) -> str:
    """The readable answer for a phone that scanned the QR code."""
    e = html.escape
    ok = summary.verdict == "valid"
    head = "核验通过：证照有效" if ok else "核验未通过"
    rows = [
        ("证照类型", summary.license_type), ("证照状态", summary.status_label),
        ("持证主体", summary.holder_name), ("证件号码", summary.holder_id),
        ("发证机关", summary.issuer), ("有效期至", summary.valid_until),
        ("签发时间", summary.issued_at), ("证照标识", summary.identifier),
    ]  # fmt: skip
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(v or '—')}</dd>" for k, v in rows)
    reasons = "".join(
        f"<li><code>{e(r['code'])}</code> {e(r['message'])}</li>" for r in summary.reasons
    )
    body = (
        f'<h1>电子证照核验</h1><div class="box {"ok" if ok else "bad"}"><strong>{head}</strong>'
        f"</div><dl>{items}</dl>" + (f"<h2>原因</h2><ul>{reasons}</ul>" if reasons else "")
    )
    return _page(head, body)


def render_form(message: str | None = None) -> str:
    """The page to upload a PDF or JWS, or type an identifier."""
    note = f'<div class="box bad">{html.escape(message)}</div>' if message else ""
    body = (
        f"<h1>电子证照核验</h1>{note}"
        '<form method="post" enctype="multipart/form-data">'
        '<p><label>证照文件（PDF 或 JWS）<br><input type="file" name="file"></label></p>'
        '<p><label>或证照标识<br><input name="id" size="40"></label></p>'
        '<p><button type="submit">核验</button></p></form>'
    )
    return _page("电子证照核验", body)
