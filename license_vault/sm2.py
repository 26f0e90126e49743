"""National-cryptography profile (国密): SM3 hashing and SM2 signatures, GB/T 32905 and
GB/T 32918, on the recommended 256-bit curve (GB/T 32918.5).

A signature covers ``e = SM3(Z_A || M)``, where ``Z_A`` binds the signer's identity (ID,
default ``1234567812345678``) and public key to the curve. Reproduces the standard's
signature example when the random value ``k`` is fixed (see the tests). Pure Python,
needing no C library, so it runs wherever the hub runs; signing takes a few
milliseconds. GB/T 38540 seal structures built on it are not implemented yet.

    >>> key = Sm2PrivateKey.generate()
    >>> r, s = key.sign(b"license data")
    >>> key.public_key().verify(b"license data", (r, s))
    True
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

__all__ = ["DEFAULT_ID", "Sm2PrivateKey", "Sm2PublicKey", "sm3"]

DEFAULT_ID = b"1234567812345678"

# -- SM3 (GB/T 32905) ------------------------------------------------------------------------

_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
       0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)  # fmt: skip
_M32 = 0xFFFFFFFF
_T = [(0x79CC4519 if j < 16 else 0x7A879D8A) for j in range(64)]


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _M32


_TJ = [_rotl(_T[j], j) for j in range(64)]


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


def sm3(message: bytes) -> bytes:
    """The SM3 digest (32 bytes) of ``message``."""
    length = len(message) * 8
    padded = message + b"\x80" + b"\x00" * ((55 - len(message)) % 64) + struct.pack(">Q", length)
    v = list(_IV)
    for offset in range(0, len(padded), 64):
        w = list(struct.unpack(">16I", padded[offset : offset + 64]))
        for j in range(16, 68):
            w.append(
                _p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6]
            )
        a, b, c, d, e, f, g, h = v
        for j in range(64):
            a12 = _rotl(a, 12)
            ss1 = _rotl((a12 + e + _TJ[j]) & _M32, 7)
            ss2 = ss1 ^ a12
            if j < 16:
                ff, gg = a ^ b ^ c, e ^ f ^ g
            else:
                ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
            tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & _M32
            tt2 = (gg + h + ss1 + w[j]) & _M32
            d, c, b, a = c, _rotl(b, 9), a, tt1
            h, g, f, e = g, _rotl(f, 19), e, _p0(tt2)
        v = [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True)]
    return struct.pack(">8I", *v)


# -- the curve (GB/T 32918.5) ----------------------------------------------------------------

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

Point = tuple[int, int] | None


def _add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k: int, point: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")


@dataclass(frozen=True)
class Sm2PublicKey:
    x: int
    y: int

    def z(self, user_id: bytes = DEFAULT_ID) -> bytes:
        """``Z_A``: the signer's identity and key bound to the curve."""
        head = struct.pack(">H", len(user_id) * 8) + user_id
        return sm3(head + b"".join(_b32(v) for v in (A, B, *G, self.x, self.y)))

    def verify(
        self, message: bytes, signature: tuple[int, int], *, user_id: bytes = DEFAULT_ID
    ) -> bool:
        r, s = signature
        if not (1 <= r < N and 1 <= s < N):
            return False
        t = (r + s) % N
        if t == 0:
            return False
        e = int.from_bytes(sm3(self.z(user_id) + message), "big")
        point = _add(_mul(s, G), _mul(t, (self.x, self.y)))
        return point is not None and (e + point[0]) % N == r


@dataclass(frozen=True)
class Sm2PrivateKey:
    d: int

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        return cls(secrets.randbelow(N - 2) + 1)

    def public_key(self) -> Sm2PublicKey:
        point = _mul(self.d, G)
        assert point is not None
        return Sm2PublicKey(*point)

    def sign(
        self, message: bytes, *, user_id: bytes = DEFAULT_ID, k: int | None = None
    ) -> tuple[int, int]:
        """``(r, s)`` over ``message``. ``k`` fixes the random value, for known-answer
        tests only: a repeated ``k`` reveals the private key."""
        e = int.from_bytes(sm3(self.public_key().z(user_id) + message), "big")
        while True:
            nonce = k if k is not None else secrets.randbelow(N - 1) + 1
            point = _mul(nonce, G)
            assert point is not None
            r = (e + point[0]) % N
            if r == 0 or r + nonce == N:
                if k is not None:
                    raise ValueError("this k gives no signature; choose another")
                continue
            s = pow(1 + self.d, -1, N) * (nonce - r * self.d) % N
            if s != 0:
                return r, s
            if k is not None:
                raise ValueError("this k gives no signature; choose another")
