"""The e-license as a PDF page: Chinese text, the type's fields, the seal, a QR code.

Chinese text uses an embedded subset of a freely licensed TrueType font
(:mod:`license_vault.fonts`), so the page reads the same on any machine. The QR code
carries the verification URL with the identifier; the identifier is also the PDF's
Subject, where verification reads it.

    >>> renderer = Renderer()
    >>> pdf = renderer.render(data, license_type, seal_png, seal_name="北京市市场监督管理局")
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

import qrcode
from reportlab import rl_config
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from license_vault.catalog import LicenseType
from license_vault.document import HOLDER_ID_LABELS, LicenseData
from license_vault.fonts import chinese_font
from license_vault.sealimage import SEAL_RED

__all__ = ["Renderer"]

_RED = Color(SEAL_RED[0] / 255, SEAL_RED[1] / 255, SEAL_RED[2] / 255)
_LABEL_W = 42 * mm
_LEFT = 25 * mm
_RIGHT = A4[0] - 25 * mm


@lru_cache(maxsize=64)
def _seal_reader(png: bytes) -> ImageReader:
    # Decoding the PNG once per seal, not once per document.
    return ImageReader(io.BytesIO(png))


def _wrap(text: str, size: float, width: float, font: str) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (CJK text breaks anywhere)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if pdfmetrics.stringWidth(line + ch, font, size) > width and line:
                lines.append(line)
                line = ch
            else:
                line += ch
        lines.append(line)
    return lines


def _qr_runs(text: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code's size in modules and its dark runs as (row, first column, length)."""
    # A fixed mask pattern skips the search for the best of eight, most of qrcode's time;
    # every mask gives a valid code.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    runs = []
    for r, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((r, start, col - start))
                start = None
    return len(matrix), runs


# Streams are Flate-compressed binary; ASCII85 on top (reportlab's default) only makes
# them larger and, in pure Python, costs a third of the rendering time.
rl_config.useA85 = 0


class Renderer:
    """Renders :class:`LicenseData` to a one-page PDF (reuses the font and seal images)."""

    def __init__(self, font_file: Path | None = None) -> None:
        self.font = chinese_font(font_file)
        self._f = self.font.name

    def render(
        self, data: LicenseData, license_type: LicenseType, seal_png: bytes, *, seal_name: str
    ) -> bytes:
        out = io.BytesIO()
        c = Canvas(out, pagesize=A4, pageCompression=1, initialFontName=self._f)
        c.setTitle(f"{data.license_type_name} {data.license_number}")
        c.setSubject(data.identifier)
        c.setAuthor(data.issuer_name or data.issuer_code)
        c.setKeywords(f"电子证照 {data.license_type_code} {data.identifier}")
        c.setCreator("tongban license vault")
        self._frame(c, data)
        y = self._rows(c, data, license_type, A4[1] - 62 * mm)
        self._seal(c, data, seal_png, seal_name, max(y - 10 * mm, 95 * mm))
        self._qr(c, data)
        c.showPage()
        c.save()
        return out.getvalue()

    def _frame(self, c: Canvas, data: LicenseData) -> None:
        w, h = A4
        c.setStrokeColor(_RED)
        c.setLineWidth(2)
        c.rect(12 * mm, 12 * mm, w - 24 * mm, h - 24 * mm)
        c.setLineWidth(0.6)
        c.rect(15 * mm, 15 * mm, w - 30 * mm, h - 30 * mm)
        c.setFillColor(black)
        c.setFont(self._f, 30)
        c.drawCentredString(w / 2, h - 40 * mm, data.license_type_name)
        c.setFont(self._f, 11)
        c.drawCentredString(w / 2, h - 48 * mm, f"电子证照  第 {data.version} 版")

    def _rows(self, c: Canvas, data: LicenseData, license_type: LicenseType, y: float) -> float:
        holder_label = HOLDER_ID_LABELS.get(data.holder_id_type or "", "持证主体代码")
        validity = f"{data.valid_from or '—'} 至 {data.valid_until or '长期'}"
        rows: list[tuple[str, str]] = [("证照编号", data.license_number)]
        if data.holders:  # 共有: every holder, with the kind of ID and the share
            for n, holder in enumerate(data.holders, 1):
                label = HOLDER_ID_LABELS.get(str(holder.get("id_type")), "持证主体代码")
                share = f" 份额 {holder['share']}" if holder.get("share") else ""
                text = f"{holder.get('name') or '—'}（{label} {holder.get('id') or '—'}）{share}"
                rows.append((f"持证主体 {n}", text))
        else:
            rows += [("持证主体", data.holder_name or "—"), (holder_label, data.holder_id or "—")]
        named = set()
        for spec in license_type.fields:
            named.add(spec.name)
            value = data.fields.get(spec.name)
            rows.append((spec.label, "—" if value in (None, "") else str(value)))
        rows += [(k, str(v)) for k, v in sorted(data.fields.items()) if k not in named]
        rows += [
            ("有效期限", validity),
            ("发证机关", data.issuer_name or data.issuer_code),
            ("发证日期", data.issue_date or "—"),
        ]
        size, leading = 12.0, 7.2 * mm
        for label, value in rows:
            c.setFont(self._f, size)
            c.drawString(_LEFT, y, label)
            lines = _wrap(value, size, _RIGHT - _LEFT - _LABEL_W, self._f)
            for line in lines[:6]:
                c.drawString(_LEFT + _LABEL_W, y, line)
                y -= leading
        return y

    def _seal(self, c: Canvas, data: LicenseData, png: bytes, name: str, y: float) -> None:
        d = 42 * mm
        cx, cy = _RIGHT - d / 2 - 5 * mm, y - d / 2
        c.drawImage(_seal_reader(png), cx - d / 2, cy - d / 2, d, d, mask="auto")
        # The authority's name along the upper arc, each character facing the centre.
        c.setFillColor(_RED)
        size = min(11.0, 200.0 / max(len(name), 1))
        span = math.radians(min(240.0, 18.0 * len(name)))
        radius = d / 2 * 0.74
        for i, ch in enumerate(name):
            angle = math.pi / 2 + span / 2 - span * (i + 0.5) / len(name)
            c.saveState()
            c.translate(cx + radius * math.cos(angle), cy + radius * math.sin(angle))
            c.rotate(math.degrees(angle) - 90)
            c.setFont(self._f, size)
            c.drawCentredString(0, -size / 2, ch)
            c.restoreState()
        c.setFillColor(black)
        c.setFont(self._f, 10)
        c.drawRightString(_RIGHT, cy - d / 2 - 6 * mm, f"签发时间 {data.issued_at}")

    def _qr(self, c: Canvas, data: LicenseData) -> None:
        n, runs = _qr_runs(data.verify_url)
        size = 32 * mm
        cell = size / n
        x0, y0 = _LEFT, 30 * mm
        c.setFillColor(black)
        path = c.beginPath()
        for r, col, length in runs:
            path.rect(x0 + col * cell, y0 + size - (r + 1) * cell, length * cell, cell)
        c.drawPath(path, stroke=0, fill=1)
        c.setFont(self._f, 8)
        c.drawString(x0, y0 - 5 * mm, "扫码核验")
        c.drawString(x0, 21 * mm, f"证照标识 {data.identifier}")
