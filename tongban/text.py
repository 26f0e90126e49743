"""Text as it enters the hub: characters no store can hold, and values that would act as
spreadsheet formulas once exported.

Every record from every transport (and every row ``tongban load`` reads) is scanned here
before it is mapped. A record is refused, and quarantined, when a text value in it

- holds a character neither store can keep faithfully: NUL and the other C0 control
  characters except tab, line feed and carriage return, or a lone UTF-16 surrogate
  (``text.control_character``);
- starts, after white space, with ``=``, ``+``, ``-`` or ``@`` (or their full-width
  forms) and is not a number (``text.formula``): ``=1+1``, ``=cmd|' /C calc'!A0``,
  ``@SUM(A1)`` and ``-2+3`` would be evaluated by the spreadsheet an operator exports
  to; ``-12.5``, ``+86 138 0013 8000`` and a lone ``-`` are kept as written.

A record a connector could not read whole (a truncated line, a row with too few or too
many cells) arrives as a :class:`RefusedRecord` carrying its rule.

What is kept of a refused record (its raw form in quarantine, a run's message) passes
through :func:`storable`, which writes each such character as ``\\uXXXX`` so that
SQLite and PostgreSQL both store it.

    >>> entry_error({"xm": "王\\x00五"}).rule
    'text.control_character'
    >>> entry_error({"xm": "=1+1"}).rule, entry_error({"dh": "-12.5"})
    ('text.formula', None)
    >>> storable({"xm": "王\\x00五"})
    {'xm': '王\\\\u0000五'}
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from tongban.errors import EntryError, FatalError

__all__ = [
    "CONTROL_RULE",
    "FORMULA_RULE",
    "RefusedRecord",
    "entry_error",
    "file_encoding",
    "is_formula",
    "scan_records",
    "storable",
]

CONTROL_RULE = "text.control_character"
FORMULA_RULE = "text.formula"

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_LEADS = "=+-@\uff1d\uff0b\uff0d\uff20"
# What may follow a leading + or - in a value that is a number or a phone number, not a
# formula: digits, white space and the punctuation numbers are written with.
_NUMBER_LIKE = re.compile(r"[+\-\uff0b\uff0d]?[\d\s().,:/\-\uff10-\uff19]*")
# Fast scan of many values at once: a bad character anywhere, or a value that starts
# with a formula lead (values are joined with line feeds).
# The leads escaped: unescaped, "+-@" is the range from "+" to "@", digits included, and
# every page with a value starting with a digit went record by record.
_LEADING = re.compile("\n[\\s" + re.escape(_LEADS) + "]")  # starts with space or a lead


class RefusedRecord(dict[str, Any]):
    """A record a connector could not read whole: the cells it got, and why it is
    refused. The load path quarantines it under ``error.rule``."""

    def __init__(self, cells: Mapping[str, Any], error: EntryError) -> None:
        super().__init__(cells)
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:
        return (RefusedRecord, (dict(self), self.error))


def is_formula(text: str) -> bool:
    """Whether ``text`` would be evaluated as a formula by a spreadsheet."""
    stripped = text.lstrip()
    if len(stripped) < 2 or stripped[0] not in _LEADS:
        return False
    if stripped[0] in "=@\uff1d\uff20":
        return True
    return _NUMBER_LIKE.fullmatch(stripped) is None


def _shown(text: str, limit: int = 40) -> str:
    short = text if len(text) <= limit else text[:limit] + "…"
    return escape(short)


def _check_text(text: str, where: str) -> EntryError | None:
    bad = _BAD.search(text)
    if bad is not None:
        char = bad.group()
        what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        return EntryError(
            CONTROL_RULE,
            f"{where} holds U+{ord(char):04X} ({what}) at character {bad.start() + 1}:"
            f" {_shown(text)}",
            value=escape(text),
            field=where,
        )
    if is_formula(text):
        return EntryError(
            FORMULA_RULE,
            f"{where} would act as a formula when exported: {_shown(text)}",
            value=text,
            field=where,
        )
    return None


def _check(value: Any, where: str) -> EntryError | None:
    if value.__class__ is str:
        if value and (not value.isprintable() or (value.lstrip()[:1] or "x") in _LEADS):
            return _check_text(value, where)
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = key if isinstance(key, str) else str(key)
            if _BAD.search(name):
                return _check_text(name, f"{where}.{name}" if where else "a field name")
            found = _check(item, f"{where}.{name}" if where else name)
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _check(item, f"{where}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, str):  # a str subclass
        return _check(str(value), where)
    return None


def entry_error(raw: Mapping[str, Any]) -> EntryError | None:
    """The first reason to refuse ``raw`` where it entered, or None."""
    if isinstance(raw, RefusedRecord):
        return raw.error
    return _check(raw, "")


def scan_records(records: Sequence[tuple[Any, Mapping[str, Any]]]) -> dict[int, EntryError]:
    """By position, the records of a page to refuse where they entered.

    A page of flat records (text, numbers, None) is checked with one pass over its text
    joined (the common case); a page with nested values, or with something to refuse,
    record by record."""
    values: list[Any] = []
    extend = values.extend
    for _, raw in records:
        if raw.__class__ is not dict:
            return _each(records)
        extend(raw)
        extend(raw.values())
    try:  # every key and value text (the common case): joined in C, no look at each
        joined = "\n".join(values)
    except TypeError:
        texts = [v for v in values if v.__class__ is str]
        if any(v.__class__ not in _SCALARS for v in values if v.__class__ is not str):
            return _each(records)
        joined = "\n".join(texts)
    if _clean_text_run(joined) and _LEADING.search("\n" + joined) is None:
        return {}
    return _each(records)


_SCALARS = frozenset({int, float, bool, type(None), Decimal, date, datetime, time})


def _each(records: Sequence[tuple[Any, Mapping[str, Any]]]) -> dict[int, EntryError]:
    found: dict[int, EntryError] = {}
    for i, (_, raw) in enumerate(records):
        error = entry_error(raw)
        if error is not None:
            found[i] = error
    return found


_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))


def _clean_text_run(text: str) -> bool:
    """No bad character in ``text``: as bytes, with no lone surrogate to encode and no
    control byte to delete (several times faster than a regex search over the text)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(data.translate(None, _CONTROL_BYTES)) == len(data)


def escape(text: str) -> str:
    """``text`` with each character no store keeps written as ``\\uXXXX``."""
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def storable(value: Any) -> Any:
    """``value`` (text, or mappings and lists of it) with :func:`escape` applied to
    every text, keys included; other values as they are."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Mapping):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


# -- files ------------------------------------------------------------------------------

_BLOCK = 1 << 20
_UTF8 = ("utf-8", "utf-8-sig")


def _undecodable(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """Where ``path`` stops decoding as ``encoding``: (byte offset, line, reason), or None
    when it decodes whole."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, lines = 0, 1
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            held = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                at = offset - held + exc.start
                within = max(0, at - offset)
                return at, lines + block[:within].count(b"\n"), exc.reason
            offset += len(block)
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset - len(exc.object) + exc.start, lines, exc.reason
    return None


def _is_ascii(path: Path) -> bool:
    with path.open("rb") as fh:
        return all(block.isascii() for block in iter(lambda: fh.read(_BLOCK), b""))


def file_encoding(path: Path, encodings: Sequence[str], *, who: str) -> str:
    """The declared encoding that reads ``path`` faithfully, or :class:`FatalError`
    (its message starts with ``who``: the source and the file).

    Encodings are tried in the order declared, each strictly (never with replacement
    characters). A file that starts with a UTF-8 byte-order mark is UTF-8. A file with
    non-ASCII text that is valid UTF-8 is never read as another encoding: GBK, say,
    would decode it too, into other characters (张伟 as 寮犱紵)."""
    with path.open("rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8 and _undecodable(path, "utf-8") is None:
            return "utf-8-sig"
    failures = []
    for encoding in encodings:
        bad = _undecodable(path, encoding)
        if bad is not None:
            at, line, reason = bad
            failures.append(f"valid {encoding} at byte {at} (line {line}): {reason}")
            continue
        mojibake = codecs.lookup(encoding).name not in _UTF8 and not _is_ascii(path)
        if mojibake and _undecodable(path, "utf-8") is None:
            if any(codecs.lookup(e).name in _UTF8 for e in encodings):
                return "utf-8"
            raise FatalError(
                f"{who} is UTF-8 text, not {encoding} as declared (read as"
                f" {encoding} it would turn into other characters); refused whole. Declare"
                " utf-8, or list it among the encodings, to read it"
            )
        return encoding
    utf8_declared = any(codecs.lookup(e).name in _UTF8 for e in encodings)
    if not utf8_declared and _undecodable(path, "utf-8") is None:
        raise FatalError(
            f"{who} is UTF-8 text, not {' or '.join(encodings)} as declared (not {failures[0]});"
            " refused whole, nothing of it stored. Declare utf-8, or list it among the"
            " encodings, to read it"
        )
    raise FatalError(f"{who} is not {', nor '.join(failures)}; refused whole, nothing of it stored")
