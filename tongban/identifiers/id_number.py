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

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from tongban.errors import RecordError
from tongban.identifiers._text import clean_code
from tongban.identifiers.regions import PROVINCES, region_codes

__all__ = [
    "IdNumber",
    "check_id_number",
    "id_check_char",
    "parse_id_number",
    "upgrade_id_number",
]

RegionCheck = Literal["historical", "province"]

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


# Built once; a date after the day of import is checked against today on the slow path,
# so a long-running process never accepts a future birth date.
_IMPORT_DAY = date.today().strftime("%Y%m%d")
_REAL_DATES = _real_dates(date.today().year)
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


def check_id_number(raw: object, *, region_check: RegionCheck = "historical") -> str:
    """Normalize and validate; return the 18-character number or raise :class:`RecordError`.

    Valid text inputs are remembered (see :class:`_Recent`): a record's ID number is
    checked by the data-quality suite and again by normalization, and the second time is
    a look-up.
    """
    if type(raw) is str:
        recent = _RECENT.get(region_check)
        if recent is None:  # not a mode of its own: the check says what is wrong with it
            return _check_id_number(raw, region_check=region_check)
        hit = recent.newer.get(raw) or recent.older.get(raw)
        if hit is not None:
            return hit
        return recent.remember(raw, _check_id_number(raw, region_check=region_check))
    return _check_id_number(raw, region_check=region_check)


class _Recent:
    """The canonical forms of the valid numbers seen last (between ``size`` and twice as
    many). Two plain dicts, the older dropped whole when the newer fills: cheaper than an
    LRU's bookkeeping on every miss, which is the common case for a number seen once."""

    __slots__ = ("newer", "older", "size")

    def __init__(self, size: int = 1 << 16):
        self.size = size
        self.newer: dict[str, str] = {}
        self.older: dict[str, str] = {}

    def remember(self, raw: str, value: str) -> str:
        if len(self.newer) >= self.size:
            self.older, self.newer = self.newer, {}
        self.newer[raw] = value
        return value


_RECENT: dict[str, _Recent] = {"historical": _Recent(), "province": _Recent()}


def _check_id_number(raw: object, *, region_check: RegionCheck = "historical") -> str:
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
    if (born not in _REAL_DATES or born > _IMPORT_DAY) and (
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


def parse_id_number(raw: object, *, region_check: RegionCheck = "historical") -> IdNumber:
    """Validate ``raw`` and return an :class:`IdNumber`; raise :class:`RecordError`."""
    value = check_id_number(raw, region_check=region_check)
    cleaned = clean_code(raw)
    return IdNumber(value, cleaned if len(cleaned) == 15 else None)
