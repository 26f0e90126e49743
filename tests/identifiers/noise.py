"""Hypothesis settings and the noise strategy shared by the identifier tests."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHITESPACE = st.sampled_from([" ", "\t", "\n", "\u3000", "  "])


@st.composite
def noisy_variants(draw: st.DrawFn, value: str) -> str:
    """``value`` with lower-case letters, full-width characters (U+FF10.. for digits)
    and white space sprinkled in, as department systems send them."""
    out: list[str] = []
    if draw(st.booleans()):
        out.append(draw(WHITESPACE))
    for c in value:
        if c.isalpha() and draw(st.booleans()):
            c = c.lower()
        if draw(st.booleans()):
            c = chr(ord(c) + 0xFEE0)
        out.append(c)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(WHITESPACE))
    if draw(st.booleans()):
        out.append(draw(WHITESPACE))
    return "".join(out)
