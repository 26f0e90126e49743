"""The seal image (印章图像): a red ring, a five-pointed star and the authority's code.

The image is drawn with Pillow and kept as PNG in object storage. The authority's
Chinese name is set along the ring in the PDF itself (with the CID font the viewer
provides), so no CJK font file is needed here.

    >>> png = draw_seal_png("11100000000013127D")
    >>> png[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

__all__ = ["SEAL_RED", "draw_seal_png"]

SEAL_RED = (200, 16, 30)
_SIZE = 320
_G = 28  # box of one rotated character


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382  # the regular five-pointed star's inner radius
    points = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    return points


def draw_seal_png(authority_code: str) -> bytes:
    """A transparent PNG of the seal for the authority with this credit code."""
    image = Image.new("RGBA", (_SIZE, _SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    c = _SIZE / 2
    ring = _SIZE * 0.035
    draw.ellipse((ring, ring, _SIZE - ring, _SIZE - ring), outline=SEAL_RED, width=int(ring))
    draw.polygon(_star(c, c, _SIZE * 0.17), fill=SEAL_RED)
    font = ImageFont.load_default(size=int(_SIZE * 0.05))
    # The code runs along the lower arc, one character at a time, upright to the reader.
    radius = _SIZE * 0.36
    span = math.radians(110)
    n = len(authority_code)
    for i, ch in enumerate(authority_code):
        angle = math.pi / 2 + span / 2 - span * i / max(n - 1, 1)
        x = c + radius * math.cos(angle)
        y = c + radius * math.sin(angle)
        glyph = Image.new("RGBA", (_G, _G), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((_G // 2, _G // 2), ch, fill=SEAL_RED, font=font, anchor="mm")
        rotated = glyph.rotate(90 - math.degrees(angle), resample=Image.Resampling.BICUBIC)
        image.alpha_composite(rotated, (int(x - _G / 2), int(y - _G / 2)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
