"""Citizen ID numbers (公民身份号码, GB 11643-1999).

Eighteen characters: a GB/T 2260 region code (6), the birth date ``YYYYMMDD`` (8), a
sequence (3, odd for men and even for women) and an ISO 7064 MOD 11-2 check character
(``X`` stands for 10). Legacy 15-digit numbers (``YYMMDD``, no check character) are
upgraded to 18.

    >>> parse_id_number(" １１０１０５１９４９１２３１００２ｘ ").value
    '11010519491231002X'
    >>> parse_id_number("110105491231002").value
    '11010519491231002X'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Literal

from tongban.errors import RecordError, by_value
from tongban.identifiers._text import ascii_matrix, clean_code, written_upper
from tongban.identifiers.regions import PROVINCES, region_codes

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "DEFAULT_REGION_CHECK",
    "IdNumber",
    "check_id_number",
    "check_id_numbers",
    "id_check_char",
    "parse_id_number",
    "upgrade_id_number",
    "well_formed_id_numbers",
]

RegionCheck = Literal["historical", "province"]
DEFAULT_REGION_CHECK: RegionCheck = "historical"
"""The region check of every ID number unless the hub is told otherwise: every code
GB/T 2260 has listed, since a number keeps the region in force when it was issued."""

_CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = date(1850, 1, 1)


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character of the first 17 digits.

    The weights of GB 11643 are 2**(17-i) mod 11, so the weighted sum is the digits read
    as a base-2 number; base 13 is congruent to 2 mod 11, and ``int(s, 13)`` does the
    whole sum in C.
    """
    if len(first17) != 17 or not (first17.isdigit() and first17.isascii()):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    return _CHECK_CHARS[(2 * int(first17, 13)) % 11]


def _real_dates(last_year: int) -> frozenset[str]:
    """Every calendar date from 1850 to the end of ``last_year`` as ``YYYYMMDD``."""
    days = (date(last_year, 12, 31) - EARLIEST_BIRTH).days + 1
    return frozenset((EARLIEST_BIRTH + timedelta(d)).strftime("%Y%m%d") for d in range(days))


# Built on first use (not at import: a command that checks no ID number pays nothing); a
# date after the day of import is checked against today on the slow path, so a
# long-running process never accepts a future birth date.
_IMPORT_DAY = date.today().strftime("%Y%m%d")
_REAL_DATES: frozenset[str] = frozenset()


def _load_real_dates() -> frozenset[str]:
    global _REAL_DATES
    _REAL_DATES = _real_dates(date.today().year)
    return _REAL_DATES


_PROVINCE_PREFIXES = frozenset(PROVINCES)
_DIGITS_X = frozenset("0123456789X")


def _birth_date_problem(digits: str) -> str | None:
    """Why ``digits`` is not an acceptable birth date, or None when it is."""
    try:
        born = datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        return f"birth date {digits} is not a real date"
    if born > date.today():
        return f"birth date {born.isoformat()} is in the future"
    if born < EARLIEST_BIRTH:
        return f"birth date {born.isoformat()} is before {EARLIEST_BIRTH.year}"
    return None


def upgrade_id_number(number15: str) -> str:
    """Upgrade a legacy 15-digit number: insert the century 19 and add the check character."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + id_check_char(first17)


def check_id_number(raw: object, *, region_check: RegionCheck = DEFAULT_REGION_CHECK) -> str:
    """Normalize and validate; return the 18-character number or raise :class:`RecordError`.

    A whole column of numbers is checked by :func:`check_id_numbers`, which judges
    the clean ones together (:func:`well_formed_id_numbers`, held to this definition by
    tests) and gives the others to this one.
    """
    return _check_id_number(raw, region_check=region_check)


def check_id_numbers(
    values: Sequence[object], *, region_check: RegionCheck = "historical"
) -> tuple[list[str | None], dict[int, RecordError]]:
    """:func:`check_id_number` of every value of a column: the numbers (None where a value
    failed) and, by position, each failure. Values already clean are judged together
    (:func:`well_formed_id_numbers`); the rest, value by value."""
    import numpy as np

    ok = well_formed_id_numbers(values, region_check=region_check) & written_upper(values)
    out: list[str | None] = list(values)  # type: ignore[arg-type]
    check = partial(_check_id_number, region_check=region_check)
    return out, by_value(check, values, np.flatnonzero(~ok).tolist(), out)


def well_formed_id_numbers(
    values: Sequence[object], *, region_check: RegionCheck = DEFAULT_REGION_CHECK
) -> npt.NDArray[np.bool_]:
    """For each value, whether it is a valid 18-character ID number exactly as written (a
    lower-case ``x`` included): every rule of :func:`check_id_number`, for a whole column
    in a few array operations. False says only "not as written": the value may still be
    valid after clean-up or as a legacy 15-digit number, which :func:`check_id_number`
    tells, naming the rule otherwise."""
    import numpy as np

    if region_check not in ("historical", "province"):
        raise ValueError(f"region_check must be 'historical' or 'province', not {region_check!r}")
    up = ascii_matrix(values, 18)
    t = _tables()
    digits = up[:, :17].astype(np.int64) - 48
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    digits[~ok] = 0  # rows already refused: keep the look-ups below in range
    ok &= t["check"][(digits @ t["weights"]) % 11] == up[:, 17]
    # Birth dates the table of real dates holds, up to the day the table was made (later
    # ones are decided against today, one by one).
    born = digits[:, 6:14] @ t["powers8"]
    # A look-up in a table of every YYYYMMDD from the first real date on (a sorted search
    # would cost a sort of the real dates at every call).
    since = born - t["first_date"]
    real = t["real_dates"]
    ok &= real[since.clip(0, len(real) - 1)] & (since >= 0) & (born <= t["import_day"])
    if region_check == "historical":
        ok &= t["regions"][digits[:, :6] @ t["powers6"]]
    else:
        ok &= t["provinces"][digits[:, 0] * 10 + digits[:, 1]]
    return ok


@lru_cache(maxsize=1)
def _tables() -> dict[str, Any]:
    import numpy as np

    regions = np.zeros(1_000_000, dtype=bool)
    regions[[int(code) for code in (_REGIONS or _load_regions())]] = True
    provinces = np.zeros(100, dtype=bool)
    provinces[[int(p) for p in _PROVINCE_PREFIXES]] = True
    dates = np.array(sorted(int(d) for d in (_REAL_DATES or _load_real_dates())), dtype=np.int64)
    first = int(dates[0])
    real_dates = np.zeros(int(dates[-1]) - first + 1, dtype=bool)
    real_dates[dates - first] = True
    return {
        "weights": np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64),
        "check": np.frombuffer(_CHECK_CHARS.encode("ascii"), dtype=np.uint8),
        "powers8": 10 ** np.arange(7, -1, -1, dtype=np.int64),
        "powers6": 10 ** np.arange(5, -1, -1, dtype=np.int64),
        "first_date": first,
        "real_dates": real_dates,
        "import_day": int(_IMPORT_DAY),
        "regions": regions,
        "provinces": provinces,
    }


def _check_id_number(raw: object, *, region_check: RegionCheck = DEFAULT_REGION_CHECK) -> str:
    """The check itself.

    This is the hot path of every load (see ``bench/identifiers.py``): for a clean
    number, a few string predicates, one ``int()`` call and two set look-ups.
    """
    if type(raw) is str and len(raw) == 18 and raw.isascii() and raw.isalnum():
        s = raw if raw[17] != "x" else raw.upper()
    else:
        s = clean_code(raw)
    if len(s) == 18:
        first17 = s[:17]
        if not (first17.isdigit() and first17.isascii()) or s[17] not in _DIGITS_X:
            raise RecordError(
                "id_number.charset",
                f"'{s}' must be 17 digits followed by a digit or X",
                value=raw,
            )
        if _CHECK_CHARS[(2 * int(first17, 13)) % 11] != s[17]:
            raise RecordError(
                "id_number.checksum",
                f"check character of '{s}' should be {id_check_char(first17)}, not {s[17]}",
                value=raw,
            )
    elif len(s) == 15:
        if not (s.isdigit() and s.isascii()):
            raise RecordError("id_number.charset", f"'{s}' must be 15 digits", value=raw)
        s = upgrade_id_number(s)
    elif not s:
        raise RecordError("id_number.missing", "ID number is empty", value=raw)
    else:
        raise RecordError(
            "id_number.length",
            f"'{s}' has {len(s)} characters; expected 18 (or legacy 15)",
            value=raw,
        )
    born = s[6:14]
    # Dates after the day of import are decided against today (a process may run for
    # years), and so are dates the table does not hold.
    if (born not in (_REAL_DATES or _load_real_dates()) or born > _IMPORT_DAY) and (
        problem := _birth_date_problem(born)
    ) is not None:
        raise RecordError("id_number.birth_date", problem, value=raw)
    if region_check == "historical":
        if s[:6] not in (_REGIONS or _load_regions()):
            raise RecordError(
                "id_number.region",
                f"region code {s[:6]} of '{s}' was never listed in GB/T 2260",
                value=raw,
            )
    elif region_check == "province":
        if s[:2] not in _PROVINCE_PREFIXES:
            raise RecordError(
                "id_number.region", f"'{s[:2]}' of '{s}' is not a province code", value=raw
            )
    else:
        raise ValueError(f"region_check must be 'historical' or 'province', not {region_check!r}")
    return s


_REGIONS: frozenset[str] = frozenset()


def _load_regions() -> frozenset[str]:
    global _REGIONS
    _REGIONS = region_codes()
    return _REGIONS


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A valid citizen ID number and what it tells."""

    value: str
    upgraded_from: str | None = None

    @property
    def region_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> date:
        v = self.value
        return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))

    @property
    def gender(self) -> str:
        """GB/T 2261.1 code: ``1`` male, ``2`` female (parity of the 17th digit)."""
        return "1" if int(self.value[16]) % 2 else "2"

    def __str__(self) -> str:
        return self.value


def parse_id_number(raw: object, *, region_check: RegionCheck = DEFAULT_REGION_CHECK) -> IdNumber:
    """Validate ``raw`` and return an :class:`IdNumber`; raise :class:`RecordError`."""
    value = check_id_number(raw, region_check=region_check)
    cleaned = clean_code(raw)
    return IdNumber(value, cleaned if len(cleaned) == 15 else None)
