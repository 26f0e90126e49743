"""The Chinese font the e-license PDF embeds (a subset: only the glyphs a page uses).

WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0 or GPLv3 with the font exception) from
Debian's ``fonts-wqy-microhei``, which ``scripts/install`` brings when it runs as root.
``TONGBAN_VAULT_FONT_FILE`` names another TrueType file (.ttf/.ttc, glyf outlines). With
no font file the page falls back to reportlab's ``STSong-Light``, which the reader must
supply (shown as boxes where it has no Chinese font): :func:`chinese_font` says which.

    >>> font = chinese_font()
    >>> font.name, font.embedded
    ('WenQuanYiMicroHei', True)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

__all__ = ["FONT_FILES", "ChineseFont", "chinese_font"]

log = logging.getLogger(__name__)

FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
_FALLBACK = "STSong-Light"


@dataclass(frozen=True, slots=True)
class ChineseFont:
    name: str  # the name reportlab draws with
    embedded: bool
    path: Path | None


@lru_cache(maxsize=4)
def chinese_font(font_file: Path | None = None) -> ChineseFont:
    """Register and return the font the renderer uses (once per process and file)."""
    candidates = [font_file] if font_file is not None else list(FONT_FILES)
    for path in candidates:
        if not path.is_file():
            continue
        name = "WenQuanYi" + "".join(p.capitalize() for p in path.stem.split("-")[1:])
        try:
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        except TTFError as exc:
            log.warning("font %s cannot be embedded: %s", path, exc)
            continue
        return ChineseFont(name, True, path)
    log.warning(
        "no Chinese TrueType font found (%s): e-license PDFs use %s, which is not embedded;"
        " install fonts-wqy-microhei",
        ", ".join(map(str, candidates)), _FALLBACK,
    )  # fmt: skip
    pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK))
    return ChineseFont(_FALLBACK, False, None)
