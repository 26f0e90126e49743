"""The e-license identifier (电子证照标识, GB/T 36904).

Structure, six dot-separated parts after the e-license root OID::

    1.2.156.3005.2 . 11100000000013127D001 . 91110105MA01ABCD2X . 2026K3Q7ZP4 . 001 . U
    root (根代码)     type code (21)          issuer code (18)     serial         version check

* root: ``1.2.156.3005.2``, the OID arc of Chinese e-licenses;
* type code (证照类型代码): the catalog code, a defining authority's credit code (GB 32100)
  plus a three-digit sequence number;
* issuer code (证照颁发机构代码): the issuing authority's unified social credit code;
* serial (流水号): 1 to 32 characters ``0-9A-Z`` chosen by the issuer;
* version (版本号): three digits, ``001`` for the first issue, +1 for each reissue;
* check character (校验位): ISO/IEC 7064 MOD 37,36 (hybrid system) over the type code,
  issuer code, serial and version written together, with ``0-9`` worth 0-9 and ``A-Z``
  worth 10-35; the check character is the one whose value ``a`` makes
  ``(P + a) mod 36 == 1`` for the final product ``P``.

    >>> check_char("11100000000013338W011" "11430000006122244L" "20230000403" "002")
    'S'

What is caught. The hybrid check catches every single-character substitution but lets 1
in 36 swaps of neighbouring values (``12`` for ``21``) through, so the other parts help:
a swap inside the type code gives a code not in the catalog (when ``type_codes`` is
given) and one inside the issuer code breaks its GB 32100 check character, except a swap
of its last two characters, which only the identifier's check character catches (35 in
36). Serials the vault issues (:func:`new_serial`: six random characters, the issue year
and a guard character) are chosen so that no swap in the serial or the version, of any
version 001-999, passes: the guard brings the check computation after the serial to a
state from which every swap inside the version shows, and the candidate is tested
against every swap from the serial on before it is used.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Container
from dataclasses import dataclass
from functools import cache

from tongban.errors import RecordError
from tongban.identifiers import check_credit_code

__all__ = ["ROOT_OID", "ElicenseId", "check_char", "new_serial", "parse_identifier"]

ROOT_OID = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_M = 36
_PARTS = re.compile(r"^([0-9A-Z]{21})\.([0-9A-Z]{18})\.([0-9A-Z]{1,32})\.(\d{3})\.([0-9A-Z])$")
_SERIAL_ATTEMPTS = 200


def _step(product: int, char: str) -> int:
    s = (product + _VALUE[char]) % _M or _M
    return (s * 2) % (_M + 1)


def _run(product: int, text: str) -> int:
    for char in text:
        product = _step(product, char)
    return product


def check_char(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character of ``body`` (characters ``0-9A-Z``)."""
    if not body or any(c not in _VALUE for c in body):
        raise ValueError(f"{body!r} is not made of the characters 0-9 and A-Z")
    return ALPHABET[(1 - _run(_M, body)) % _M]


@dataclass(frozen=True, slots=True, order=True)
class ElicenseId:
    """A parsed, well-formed identifier; ``str()`` gives it back."""

    type_code: str
    issuer_code: str
    serial: str
    version: int

    @property
    def check(self) -> str:
        return check_char(self._body())

    def _body(self) -> str:
        return f"{self.type_code}{self.issuer_code}{self.serial}{self.version:03d}"

    def __str__(self) -> str:
        return (
            f"{ROOT_OID}.{self.type_code}.{self.issuer_code}.{self.serial}"
            f".{self.version:03d}.{self.check}"
        )

    def next_version(self) -> ElicenseId:
        """The identifier of the reissue that supersedes this one (same serial)."""
        if self.version >= 999:
            raise RecordError("identifier.version", f"{self} has no version after 999")
        return ElicenseId(self.type_code, self.issuer_code, self.serial, self.version + 1)


def _bad(rule: str, text: str, why: str) -> RecordError:
    return RecordError(f"identifier.{rule}", f"{text!r}: {why}", value=text, field="identifier")


def parse_identifier(text: str, *, type_codes: Container[str] | None = None) -> ElicenseId:
    """Parse and check an identifier; a malformed or altered one raises ``RecordError``.

    With ``type_codes`` (the catalog), a type code outside it is refused too.

    >>> parse_identifier("1.2.156.3005.2.11100000000013338W011.11430000006122244L"
    ...                  ".20230000403.002.S").version
    2
    """
    if not isinstance(text, str):
        raise _bad("malformed", str(text), "an identifier is text")
    if not text.startswith(ROOT_OID + "."):
        raise _bad("root", text, f"does not start with the e-license root {ROOT_OID}")
    m = _PARTS.match(text[len(ROOT_OID) + 1 :])
    if m is None:
        raise _bad(
            "malformed",
            text,
            "expected <type code: 21>.<issuer code: 18>.<serial: 1-32>.<version: 3 digits>"
            ".<check character>, with digits and capital letters only",
        )
    type_code, issuer_code, serial, version, check = m.groups()
    for part, name in ((type_code[:18], "type_code"), (issuer_code, "issuer_code")):
        try:
            check_credit_code(part)
        except RecordError as exc:
            raise _bad(name, text, f"{name.replace('_', ' ')}: {exc.message}") from None
    if not type_code[18:].isdigit():
        raise _bad("type_code", text, "a type code ends in a three-digit sequence number")
    if type_codes is not None and type_code not in type_codes:
        raise _bad("type_code", text, f"type code {type_code} is not in the license catalog")
    if version == "000":
        raise _bad("version", text, "versions start at 001")
    expected = check_char(type_code + issuer_code + serial + version)
    if check != expected:
        raise _bad("checksum", text, "the check character does not match: altered or mistyped")
    return ElicenseId(type_code, issuer_code, serial, int(version))


@cache
def _safe_states() -> frozenset[int]:
    """Products after the serial from which every transposition in a version is caught."""
    safe = set()
    for product in range(1, _M + 1):
        caught = True
        for v in range(1, 1000):
            d = f"{v:03d}"
            for i in (0, 1):
                if d[i] != d[i + 1]:
                    swapped = d[:i] + d[i + 1] + d[i] + d[i + 2 :]
                    if _run(product, d) == _run(product, swapped):
                        caught = False
        if caught:
            safe.add(product)
    return frozenset(safe)


def _transpositions_caught(text: str, start: int) -> bool:
    """No swap of neighbours from ``start`` on gives another well-formed identifier."""
    for i in range(start, len(text) - 1):
        if text[i] == text[i + 1]:
            continue
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        try:
            parse_identifier(swapped)
        except RecordError:
            continue
        return False
    return True


def new_serial(type_code: str, issuer_code: str, year: int) -> str:
    """A fresh random serial for a first issue: 6 random characters + ``YYYY`` + guard.

    The random characters come first: whether a swap of two year digits shows in the
    check character depends on the computation's state before them, which a fixed
    prefix (type and issuer) would leave to chance; random ones let the search find a
    state where every swap shows."""
    safe = _safe_states()
    for _ in range(_SERIAL_ATTEMPTS):
        stem = "".join(secrets.choice(ALPHABET) for _ in range(6)) + f"{year:04d}"
        product = _run(_M, type_code + issuer_code + stem)
        for guard in ALPHABET:
            if _step(product, guard) not in safe:
                continue
            serial = stem + guard
            text = str(ElicenseId(type_code, issuer_code, serial, 1))
            if _transpositions_caught(text, len(text) - len(serial) - 8):
                return serial
    raise RecordError(
        "identifier.serial",
        f"no serial for type {type_code} and issuer {issuer_code} catches every"
        " transposition; check that both are well-formed codes",
    )
