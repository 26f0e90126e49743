"""Value cleaners shared by the loader and the source mappings.

Each cleaner takes what a department system sends and returns the canonical value, or
raises :class:`~tongban.errors.RecordError` naming the rule. Empty strings become None.

    >>> parse_date("1990年1月1日"), parse_date("19900101"), parse_date("1990-1-1")
    (datetime.date(1990, 1, 1), datetime.date(1990, 1, 1), datetime.date(1990, 1, 1))
    >>> gender_code("男"), gender_code("F")
    ('1', '2')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from tongban.errors import RecordError
from tongban.identifiers import FULL_TO_HALF

__all__ = [
    "ETHNICITIES",
    "clean_text",
    "clean_text_column",
    "clean_texts",
    "compact_date_column",
    "date_column",
    "decimal_column",
    "ethnicity_code",
    "gender_code",
    "iso_date_column",
    "parse_date",
    "parse_decimal",
]

# Parts of one or two digits need separators: 1990111 could be 1990-11-1 or 1990-1-11.
_DATE_PARTS = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})\D?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SPACES = re.compile(r"\s+")
# Text with no white space and no full-width ASCII forms (U+FF01-FF5E) is already clean.
_DIRTY = re.compile(r"[\s\uff01-\uff5e]")


def clean_texts(record: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``clean_text`` of each named field of ``record`` (the hot path of normalization:
    clean text is recognised without a call per field)."""
    out: dict[str, Any] = {}  # a record to be filled in further
    dirty = _DIRTY.search
    get = record.get
    for name in names:
        value = get(name)
        out[name] = (
            value if value.__class__ is str and value and not dirty(value) else clean_text(value)
        )
    return out


def clean_text(value: object) -> str | None:
    """Trim, fold full-width ASCII and ideographic spaces, collapse inner runs of space."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if not _DIRTY.search(text):  # the common case: nothing to fold, trim or collapse
        return text or None
    cleaned = _FOLDED.get(text, _UNSEEN)
    if cleaned is _UNSEEN:
        cleaned = _fold(text)
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        _FOLDED[text] = cleaned
    return cleaned  # type: ignore[return-value]


# Text that needs folding is mostly a handful of values repeated on every record (types
# and scopes written with full-width parentheses and semicolons, 有限责任公司（…）): their
# clean form is remembered, up to this many at a time.
_FOLDED: dict[str, str | None] = {}
_FOLDED_MAX = 1 << 16
_UNSEEN = object()


def _fold(text: str) -> str | None:
    if not text.isascii():
        text = text.translate(FULL_TO_HALF)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def parse_date(value: object, *, field: str = "date") -> date | None:
    """Parse the date spellings departments use: 19900101, 1990-1-1, 1990/01/01, 1990年1月1日,
    1990.1.1, and ISO date-times (the time is dropped)."""
    if value.__class__ is str and len(value) == 10 and value[4] == "-" == value[7]:
        try:  # the common spelling, 1990-01-01, parsed in C
            return date.fromisoformat(value)
        except ValueError:
            pass  # the general path names the problem
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = clean_text(value)
    if text is None:
        return None
    head = text.split("T")[0].split(" ")[0]
    match = _COMPACT.match(head) or _DATE_PARTS.match(head)
    if match is None:
        raise RecordError(f"{field}.format", f"{text!r} is not a date", value=value, field=field)
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise RecordError(
            f"{field}.format", f"{text!r} is not a real date", value=value, field=field
        ) from None


_GENDERS = {
    "1": "1", "男": "1", "男性": "1", "M": "1", "MALE": "1",
    "2": "2", "女": "2", "女性": "2", "F": "2", "FEMALE": "2",
    "0": "0", "未知": "0", "9": "9", "未说明": "9",
}  # fmt: skip


def gender_code(value: object, *, field: str = "gender") -> str | None:
    """GB/T 2261.1 gender code: 0 unknown, 1 male, 2 female, 9 not stated."""
    text = clean_text(value)
    if text is None:
        return None
    code = _GENDERS.get(text.upper())
    if code is None:
        raise RecordError(
            f"{field}.value", f"{text!r} is not a GB/T 2261.1 gender", value=value, field=field
        )
    return code


def parse_decimal(value: object, *, field: str) -> Decimal | None:
    text = clean_text(value)
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise RecordError(
            f"{field}.format", f"{text!r} is not a number", value=value, field=field
        ) from None


def _ethnicities() -> dict[str, str]:
    with resources.files("tongban.data").joinpath("gb3304.csv").open(encoding="utf-8") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


ETHNICITIES: dict[str, str] = _ethnicities()
"""GB 3304 ethnicity codes (民族代码) and names: ``{"01": "汉族", ...}``."""
_ETHNICITY_BY_NAME = {
    **{name: code for code, name in ETHNICITIES.items()},
    **{name.removesuffix("族"): code for code, name in ETHNICITIES.items() if name.endswith("族")},
    **{code.lstrip("0"): code for code in ETHNICITIES},
    **{code: code for code in ETHNICITIES},
}


def ethnicity_code(value: object, *, field: str = "ethnicity") -> str | None:
    """GB 3304 code from a code (``"1"``, ``"01"``) or a name (``"汉族"``, ``"维吾尔"``)."""
    text = clean_text(value)
    if text is None:
        return None
    code = _ETHNICITY_BY_NAME.get(text)
    if code is None:
        raise RecordError(
            f"{field}.value", f"{text!r} is not a GB 3304 ethnicity", value=value, field=field
        )
    return code


# -- whole columns (the fast lane) -----------------------------------------------------
# Each takes a column of values as mapped and gives what the cleaner above gives for
# every value, judging a clean column in a few C calls; a value it cannot decide that
# way it leaves to the caller (``slow``), who runs the record through the cleaners.

_ISO_DATES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\x00[0-9]{4}-[0-9]{2}-[0-9]{2})*")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PLAIN_DECIMALS = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:\x00-?[0-9]+(?:\.[0-9]+)?)*")
_NONE_TYPE = type(None)


def clean_text_column(values: list[Any]) -> list[Any]:
    """``clean_text`` of every value: the column itself when nothing in it needs it."""
    try:
        joined = "".join(values)
    except TypeError:  # None or a non-text value somewhere: value by value
        return clean_texts_each(values)
    if _clean_whole(joined) and "" not in values:
        return values
    # A column that needs folding mostly repeats a few values (types and scopes written
    # with full-width punctuation on every record): each distinct one is cleaned once.
    distinct = set(values)
    if len(distinct) * _FEW_DISTINCT > len(values):
        return clean_texts_each(values)
    table = {v: clean_text(v) for v in distinct}
    return list(map(table.__getitem__, values))


_FEW_DISTINCT = 4  # at most a quarter of the values distinct


def _clean_whole(text: str) -> bool:
    """``not _DIRTY.search(text)``, faster on long text: white space other than the
    ASCII space is never printable, so printable text without a space needs only a scan
    for full-width forms, done on its code points (a regex search costs several times
    more a character)."""
    if " " in text or not text.isprintable():
        return _DIRTY.search(text) is None
    if text.isascii():
        return True
    import numpy as np

    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    # U+FF01-FF5E, as one unsigned comparison (code points below wrap round, above)
    return not bool(((points - np.uint32(0xFF01)) <= np.uint32(0x5D)).any())


def clean_texts_each(values: list[Any]) -> list[Any]:
    dirty = _DIRTY.search
    return [v if v.__class__ is str and v and not dirty(v) else clean_text(v) for v in values]


def iso_date_column(values: list[Any]) -> list[date] | None:
    """Every value parsed, when all are ``YYYY-MM-DD`` text of real dates; else None."""
    try:
        joined = "\x00".join(values)
    except TypeError:
        return None
    if _ISO_DATES.fullmatch(joined) is None or joined.count("\x00") != len(values) - 1:
        return None
    try:
        return list(map(date.fromisoformat, values))
    except ValueError:  # 2026-02-30
        return None


_COMPACT_DATES = re.compile(r"[0-9]{8}(?:\x00[0-9]{8})*")


def compact_date_column(values: list[Any]) -> list[date] | None:
    """Every value parsed, when all are ``YYYYMMDD`` text of real dates (the spelling many
    department systems use); else None."""
    try:
        joined = "\x00".join(values)
    except TypeError:
        return None
    if _COMPACT_DATES.fullmatch(joined) is None or joined.count("\x00") != len(values) - 1:
        return None
    try:
        return list(map(date.fromisoformat, values))  # ISO 8601 basic form, in C
    except ValueError:  # 20260230
        return None


def date_column(values: list[Any], slow: set[int]) -> list[Any]:
    """``parse_date`` of every value; a value it cannot parse in C goes to ``slow``."""
    parsed = iso_date_column(values)
    if parsed is not None:
        return parsed
    if set(map(type, values)) <= {date, _NONE_TYPE}:
        return values
    out: list[Any] = []
    for i, v in enumerate(values):
        if v is None or type(v) is date:
            out.append(v)
            continue
        out.append(None)
        slow.add(i)
    return out


def decimal_column(values: list[Any], slow: set[int]) -> list[Any]:
    """``parse_decimal`` of every value; anything but plain digits goes to ``slow``."""
    try:
        joined = "\x00".join(values)
    except TypeError:
        pass
    else:
        if (
            _PLAIN_DECIMALS.fullmatch(joined) is not None
            and joined.count("\x00") == len(values) - 1  # no NUL inside a value
        ):
            return list(map(Decimal, values))
    plain = _PLAIN_DECIMAL.fullmatch
    out: list[Any] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
        elif v.__class__ is str and plain(v) is not None:
            out.append(Decimal(v))
        else:
            out.append(None)
            slow.add(i)
    return out
