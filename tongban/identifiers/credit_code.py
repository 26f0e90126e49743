"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

Eighteen characters over the alphabet ``0-9 A-Z`` without I, O, S, V, Z:

====  =====================================================================
1     registration authority (登记管理部门代码), e.g. ``9`` market regulation
2     institution type (机构类别代码) within that authority, e.g. ``1`` enterprise
3-8   region code (GB/T 2260) of the registration authority
9-17  organization code (组织机构代码, GB 11714), its 9th character a MOD 11 check
18    MOD 31 check character over the first 17
====  =====================================================================

    >>> parse_credit_code("91350100M000100Y43").organization_code
    'M000100Y4'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tongban.errors import RecordError, by_value
from tongban.identifiers._text import ascii_matrix, clean_code, written_upper
from tongban.identifiers.regions import PROVINCES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "AUTHORITIES",
    "CreditCode",
    "check_credit_code",
    "check_credit_codes",
    "credit_check_char",
    "org_code_check_char",
    "parse_credit_code",
    "well_formed_credit_codes",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ALPHABET_SET = frozenset(ALPHABET)
# A byte table: each alphabet character to the base-36 digit of the same value, so that
# int(..., 34) reads a code as a number (34 is congruent to 3 mod 31, and the weights are
# 3**i); any other byte to "!".
_CREDIT_DIGITS = bytes(
    ord("0123456789ABCDEFGHIJKLMNOPQRSTU"[ALPHABET.index(chr(b))]) if chr(b) in ALPHABET else 33
    for b in range(256)
)

# Registration authorities and the institution types each may register (GB 32100, 附录).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体",
                      "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所",
                      "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构",
                  "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
                  "9": "其他"}),
    "Y": ("其他", {"1": ""}),
}  # fmt: skip


def credit_check_char(first17: str) -> str:
    """MOD 31 check character of the first 17 characters (weights 3**i mod 31)."""
    if len(first17) != 17 or not _ALPHABET_SET.issuperset(first17):
        raise ValueError(f"expected 17 characters of {ALPHABET}, got {first17!r}")
    return _credit_check(first17)


def _credit_check(first17: str) -> str:
    """The check character of 17 characters already known to be of the alphabet."""
    return ALPHABET[-int(first17.encode("ascii")[::-1].translate(_CREDIT_DIGITS), 34) % 31]


# GB 11714's weights 3, 7, 9, 10, 5, 8, 4, 2 are 3 * 6**k (mod 11), and 28 = 6 (mod 11):
# with each character replaced by its value mod 11 (a base-28 digit), the weighted sum is
# 3 * int(reversed body, 28) (mod 11), one call in C, as for the credit code's own check.
_ORG_DIGITS = bytes(
    ord("0123456789A"[int(chr(b), 36) % 11]) if chr(b).isalnum() and b < 128 else 33
    for b in range(256)
)


_ORG_CHECK = "0123456789X"  # index: 11 - (weighted sum mod 11), mod 11


def _org_check(body8: str) -> str:
    """The GB 11714 check character of 8 upper-case ASCII letters and digits."""
    return _ORG_CHECK[(-3 * int(body8.encode("ascii")[::-1].translate(_ORG_DIGITS), 28)) % 11]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organization code body."""
    if len(body8) != 8 or not body8.isalnum() or not body8.isascii():
        raise ValueError(f"expected 8 characters 0-9A-Z, got {body8!r}")
    return _org_check(body8.upper())


def check_credit_code(raw: object) -> str:
    """Normalize and validate; return the 18-character code or raise :class:`RecordError`.

    A whole column of codes is checked by :func:`check_credit_codes`, which judges the
    clean ones together (:func:`well_formed_credit_codes`, held to this definition by
    tests) and gives the others to this one."""
    return _check_credit_code(raw)


_AUTHORITY_TYPES = frozenset(a + t for a, (_, types) in AUTHORITIES.items() for t in types)
_PROVINCES_OR_CENTRAL = frozenset(PROVINCES) | {"10"}


def check_credit_codes(
    values: Sequence[object],
) -> tuple[list[str | None], dict[int, RecordError]]:
    """:func:`check_credit_code` of every value of a column: the codes (None where a value
    failed) and, by position, each failure. Values already clean are judged together
    (:func:`well_formed_credit_codes`); the rest, value by value."""
    import numpy as np

    ok = well_formed_credit_codes(values) & written_upper(values)
    out: list[str | None] = list(values)  # type: ignore[arg-type]
    return out, by_value(_check_credit_code, values, np.flatnonzero(~ok).tolist(), out)


def well_formed_credit_codes(values: Sequence[object]) -> npt.NDArray[np.bool_]:
    """For each value, whether it is a valid credit code exactly as written (upper or
    lower case): every rule of :func:`check_credit_code`, for a whole column in a few array
    operations. False says only "not as written": the value may still be a valid code
    after clean-up, which :func:`check_credit_code` tells, naming the rule otherwise."""
    import numpy as np

    up = ascii_matrix(values, 18)
    t = _tables()
    vals = t["alphabet"][up]  # 255 outside the alphabet
    ok = (vals != 255).all(axis=1)
    weighted = (vals[:, :17].astype(np.int64) @ t["weights17"]) % 31
    ok &= (31 - weighted) % 31 == vals[:, 17]
    ok &= t["authority_types"][up[:, 0].astype(np.int64) * 256 + up[:, 1]]
    region = up[:, 2:8].astype(np.int64) - 48
    ok &= ((region >= 0) & (region <= 9)).all(axis=1)
    ok &= t["provinces"][(region[:, 0] * 10 + region[:, 1]).clip(0, 99)]
    org = t["base36"][up[:, 8:16]]  # 255 where not 0-9A-Z
    ok &= (org != 255).all(axis=1)
    remainder = (org.astype(np.int64) @ t["weights8"]) % 11
    ok &= t["org_check"][(11 - remainder) % 11] == up[:, 16]
    return ok


@lru_cache(maxsize=1)
def _tables() -> dict[str, Any]:
    import numpy as np

    alphabet = np.full(256, 255, dtype=np.uint8)
    for value, char in enumerate(ALPHABET):
        alphabet[ord(char)] = value
    base36 = np.full(256, 255, dtype=np.uint8)
    for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        base36[ord(char)] = int(char, 36)
    pairs = np.zeros(65536, dtype=bool)
    for pair in _AUTHORITY_TYPES:
        pairs[ord(pair[0]) * 256 + ord(pair[1])] = True
    provinces = np.zeros(100, dtype=bool)
    provinces[[int(p) for p in _PROVINCES_OR_CENTRAL]] = True
    return {
        "alphabet": alphabet,
        "weights17": np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64),
        "authority_types": pairs,
        "provinces": provinces,
        "base36": base36,
        "weights8": np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64),
        "org_check": np.frombuffer(_ORG_CHECK.encode("ascii"), dtype=np.uint8),
    }


def _check_credit_code(raw: object) -> str:
    """The rules of GB 32100, one after the other, naming the first one ``raw`` breaks
    (a column of codes is judged together by :func:`check_credit_codes`)."""
    s = clean_code(raw)
    if len(s) != 18:
        if not s:
            raise RecordError("credit_code.missing", "credit code is empty", value=raw)
        raise RecordError(
            "credit_code.length", f"'{s}' has {len(s)} characters; expected 18", value=raw
        )
    if not _ALPHABET_SET.issuperset(s):
        bad = "".join(sorted({c for c in s if c not in _ALPHABET_SET}))
        raise RecordError(
            "credit_code.charset",
            f"'{s}' contains {bad!r}; allowed are 0-9 and A-Z without I, O, S, V, Z",
            value=raw,
        )
    expected = credit_check_char(s[:17])
    if s[17] != expected:
        raise RecordError(
            "credit_code.checksum",
            f"check character of '{s}' should be {expected}, not {s[17]}",
            value=raw,
        )
    authority = AUTHORITIES.get(s[0])
    if authority is None:
        raise RecordError(
            "credit_code.authority", f"'{s[0]}' is not a registration authority code", value=raw
        )
    if s[1] not in authority[1]:
        raise RecordError(
            "credit_code.authority",
            f"'{s[1]}' is not an institution type of authority {s[0]} ({authority[0]})",
            value=raw,
        )
    if not s[2:8].isdigit() or (s[2:4] not in PROVINCES and s[2:4] != "10"):
        raise RecordError(
            "credit_code.region", f"'{s[2:8]}' in '{s}' is not a region code", value=raw
        )
    if org_code_check_char(s[8:16]) != s[16]:
        raise RecordError(
            "credit_code.org_code_checksum",
            f"organization code {s[8:17]} in '{s}' should end in {org_code_check_char(s[8:16])}",
            value=raw,
        )
    return s


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A valid unified social credit code and its parts."""

    value: str

    @property
    def authority(self) -> str:
        return self.value[0]

    @property
    def institution_type(self) -> str:
        return self.value[1]

    @property
    def region_code(self) -> str:
        return self.value[2:8]

    @property
    def organization_code(self) -> str:
        return self.value[8:17]

    def __str__(self) -> str:
        return self.value


def parse_credit_code(raw: object) -> CreditCode:
    """Validate ``raw`` and return a :class:`CreditCode`; raise :class:`RecordError`."""
    return CreditCode(check_credit_code(raw))
