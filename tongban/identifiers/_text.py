"""Text clean-up shared by the identifier rules."""

from __future__ import annotations

# Full-width ASCII (U+FF01..U+FF5E) to half-width, ideographic space to space.
FULL_TO_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FULL_TO_HALF[0x3000] = 0x20


def clean_code(raw: object) -> str:
    """Strip, drop inner white space, fold full-width to half-width, upper-case."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if not text.isascii():
        text = text.translate(FULL_TO_HALF)
    if not text.isalnum():
        text = "".join(text.split())
    return text.upper()
