"""Text clean-up shared by the identifier rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Full-width ASCII (U+FF01..U+FF5E) to half-width, ideographic space to space.
FULL_TO_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FULL_TO_HALF[0x3000] = 0x20
# Invisible characters that spreadsheets and Windows tools leave behind (BOM, zero-width).
_INVISIBLE = {cp: None for cp in (0xFEFF, 0x200B, 0x200C, 0x200D, 0x2060)}
_CODE_TABLE = {**FULL_TO_HALF, **_INVISIBLE}


def clean_code(raw: object) -> str:
    """Strip, drop inner white space, fold full-width to half-width, upper-case."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if not text.isascii():
        text = text.translate(_CODE_TABLE)
    if not text.isalnum():
        text = "".join(text.split())
    return text.upper()


def ascii_matrix(values: Sequence[object], width: int) -> npt.NDArray[np.uint8]:
    """A column of codes as one upper-cased byte per cell, a row per value; a value that
    is not ASCII text of ``width`` characters becomes a row of ``!`` (never valid)."""
    import numpy as np

    text = _joined_codes(values, width)
    return np.frombuffer(text.upper().encode("ascii"), dtype=np.uint8).reshape(len(values), width)


def written_upper(values: Sequence[object]) -> npt.NDArray[np.bool_]:
    """For each value, whether it is text that upper-casing leaves as it is (a code that
    the checks hand back exactly as written)."""
    import numpy as np

    try:
        joined = "".join(values)  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        if joined == joined.upper():
            return np.ones(len(values), dtype=bool)
    return np.fromiter(
        (type(v) is str and v == v.upper() for v in values), dtype=bool, count=len(values)
    )


def _joined_codes(values: Sequence[object], width: int) -> str:
    """The values end to end, each not ASCII text of ``width`` characters as ``!`` * width
    (a column of well-formed codes is joined in C, without a look at each value)."""
    try:
        text = "".join(values)  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        if text.isascii() and (len(values) == 0 or set(map(len, values)) == {width}):  # type: ignore[arg-type]
            return text
    pad = "!" * width
    return "".join(
        [v if type(v) is str and len(v) == width and v.isascii() else pad for v in values]
    )
