"""Dirt: the ways department systems send broken or odd values, and what must happen.

Each dirty record gets exactly one kind, decided from ``(seed, source, record index)``.
The expectation of a kind comes from its definition here, never from running the hub's
validators on the record, so that tests of the validators can fail.

    >>> DirtRates().total() > 0.1, DirtRates.none().total()
    (True, 0.0)
    >>> KINDS["id_bad_check"].expect, KINDS["id_bad_check"].rule
    ('quarantined', 'id_number.checksum')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Literal

from sandbox._draw import Draws
from tongban.identifiers import id_check_char, region_codes

__all__ = ["KINDS", "DirtKind", "DirtRates", "Expect"]

Expect = Literal["normalized", "quarantined", "conflict"]


@dataclass(frozen=True, slots=True)
class DirtKind:
    name: str
    expect: Expect
    rule: str | None = None  # for quarantined kinds; "{field}" is the canonical field


KINDS: dict[str, DirtKind] = {
    k.name: k
    for k in (
        DirtKind("id_15", "normalized"),
        DirtKind("id_lower_x", "normalized"),
        DirtKind("id_fullwidth", "normalized"),
        DirtKind("id_spaces", "normalized"),
        DirtKind("id_bad_check", "quarantined", "id_number.checksum"),
        DirtKind("id_unknown_region", "quarantined", "id_number.region"),
        DirtKind("id_impossible_date", "quarantined", "id_number.birth_date"),
        DirtKind("date_format", "normalized"),
        DirtKind("date_impossible", "quarantined", "{field}.format"),
        DirtKind("gender_variant", "normalized"),
        DirtKind("name_missing", "quarantined", "{entity}.name.missing"),
        DirtKind("credit_bad_check", "quarantined", "credit_code.checksum"),
        DirtKind("legal_rep_bad_id", "quarantined", "enterprise.legal_rep.id_number.checksum"),
        DirtKind("conflict", "conflict"),
    )
}


@dataclass(frozen=True)
class DirtRates:
    """Probability that a record of a source gets each kind (only kinds the source can
    show count; a kind that does not fit a record, e.g. ``id_lower_x`` on an ID without
    X, leaves it clean). Defaults make roughly 10-15 % of records dirty.

        >>> DirtRates.none().total(), DirtRates.only("id_15", 0.5).id_15
        (0.0, 0.5)
    """

    id_15: float = 0.012
    id_lower_x: float = 0.03
    id_fullwidth: float = 0.01
    id_spaces: float = 0.012
    id_bad_check: float = 0.012
    id_unknown_region: float = 0.008
    id_impossible_date: float = 0.008
    date_format: float = 0.015
    date_impossible: float = 0.008
    gender_variant: float = 0.015
    name_missing: float = 0.008
    credit_bad_check: float = 0.02
    legal_rep_bad_id: float = 0.015
    conflict: float = 0.03

    def __post_init__(self) -> None:
        for f in fields(self):
            rate = getattr(self, f.name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"dirt rate {f.name}={rate} must be between 0 and 1")

    @classmethod
    def none(cls) -> DirtRates:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def only(cls, kind: str, rate: float = 1.0) -> DirtRates:
        """Clean data except ``kind`` at ``rate`` (for tests of one kind)."""
        if kind not in KINDS:
            raise ValueError(f"unknown dirt kind {kind!r}; expected one of {sorted(KINDS)}")
        return cls(**{**asdict(cls.none()), kind: rate})

    def total(self) -> float:
        return float(sum(asdict(self).values()))

    def pick(self, seed: int, source: str, index: int, kinds: tuple[str, ...]) -> str | None:
        """The kind record ``index`` of ``source`` gets among ``kinds``, or None (clean)."""
        x = Draws(seed, f"dirt:{source}", index).unit()
        edge = 0.0
        for kind in kinds:
            edge += getattr(self, kind)
            if x < edge:
                return kind
        return None


# -- value transforms, each deterministic in the record's draws --------------------------

_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_CHECKS = "0123456789X"


def id_15(number: str) -> str | None:
    """Legacy 15-digit form (century and check character dropped); None outside 1900s."""
    if number[6:8] != "19":
        return None
    return number[:6] + number[8:17]


def id_lower_x(number: str) -> str | None:
    return number[:17] + "x" if number.endswith("X") else None


def id_fullwidth(number: str) -> str:
    return number.translate(_FULLWIDTH)


def id_spaces(number: str, d: Draws) -> str:
    pad, inner, tail = (
        d.pick((" ", "\u3000", "  ", "\t")),
        d.pick((" ", "\u3000")),
        d.pick(("", " ")),
    )
    cut = d.between(4, 14)
    return pad + number[:cut] + inner + number[cut:] + tail


def id_bad_check(number: str, d: Draws) -> str:
    good = number[17]
    wrong = _CHECKS[(_CHECKS.index(good) + d.between(1, 10)) % 11]
    return number[:17] + wrong


def id_unknown_region(number: str, d: Draws) -> str:
    """Same province, a region never listed in GB/T 2260, checksum recomputed."""
    known = region_codes()
    while True:
        code = number[:2] + f"{d.between(9000, 9999)}"
        if code not in known:
            break
    first17 = code + number[6:17]
    return first17 + id_check_char(first17)


def impossible_day(year: int, d: Draws) -> tuple[int, int, int]:
    month, day = d.pick(((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)))
    return year, month, day


def id_impossible_date(number: str, d: Draws) -> str:
    year, month, day = impossible_day(int(number[6:10]), d)
    first17 = f"{number[:6]}{year:04d}{month:02d}{day:02d}{number[14:17]}"
    return first17 + id_check_char(first17)


def date_variant(value: date, d: Draws) -> str:
    """The same date in a spelling other than ISO: 19900101, 1990-1-1, 1990年1月1日, 1990/01/01."""
    y, m, dd = value.year, value.month, value.day
    spellings = (
        f"{y}{m:02d}{dd:02d}",
        f"{y}-{m}-{dd}",
        f"{y}年{m}月{dd}日",
        f"{y}/{m:02d}/{dd:02d}",
    )
    return d.pick([s for s in spellings if s != value.isoformat()])


def impossible_date(value: date, d: Draws, *, separator: str = "-") -> str:
    y, m, dd = impossible_day(value.year, d)
    return f"{y:04d}{separator}{m:02d}{separator}{dd:02d}"


def conflicting_name(name: str, d: Draws, given_chars: str) -> str:
    """The same person's name with one given-name character changed (a typo or old name)."""
    while True:
        other = name[:-1] + d.pick(given_chars)
        if other != name:
            return other
