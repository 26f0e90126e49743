"""National-cryptography profile (国密): SM3 hashing and SM2 signatures, GB/T 32905 and
GB/T 32918, on the recommended 256-bit curve (GB/T 32918.5).

A signature covers ``e = SM3(Z_A || M)``, where ``Z_A`` binds the signer's identity (ID,
default ``1234567812345678``) and public key to the curve. Reproduces the standard's
signature example when the random value ``k`` is fixed (see the tests). Pure Python,
needing no C library, so it runs wherever the hub runs; signing takes a few
milliseconds. Signatures travel in the DER form (GB/T 35276: SEQUENCE { r, s }) that
OpenSSL, gmssl and GB/T 38540 seals use; keys as PEM (PKCS#8 / SubjectPublicKeyInfo on
the curve ``1.2.156.10197.1.301``).

    >>> key = Sm2PrivateKey.generate()
    >>> der = key.sign_der(b"license data")
    >>> key.public_key().verify_der(b"license data", der)
    True
"""

from __future__ import annotations

import base64
import secrets
import struct
import textwrap
from dataclasses import dataclass

from asn1crypto import algos, keys

__all__ = [
    "DEFAULT_ID",
    "SM2_CURVE",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "decode_der",
    "encode_der",
    "sm3",
]

SM2_CURVE = "1.2.156.10197.1.301"  # sm2p256v1, GB/T 32918.5

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


def encode_der(signature: tuple[int, int]) -> bytes:
    """``(r, s)`` as DER: SEQUENCE { INTEGER r, INTEGER s }."""
    r, s = signature
    return bytes(algos.DSASignature({"r": r, "s": s}).dump())


def decode_der(der: bytes) -> tuple[int, int]:
    """``(r, s)`` from strict DER; ``ValueError`` for anything else."""
    try:
        value = algos.DSASignature.load(der, strict=True)
        r, s = int(value["r"].native), int(value["s"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"not a DER SM2 signature: {exc}") from None
    if encode_der((r, s)) != der:
        raise ValueError("not a DER SM2 signature: not in its one canonical encoding")
    return r, s


def _register_curve() -> None:
    if SM2_CURVE not in keys.NamedCurve._map:
        keys.NamedCurve.register("sm2p256v1", SM2_CURVE, 32)


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

    def verify_der(self, message: bytes, der: bytes, *, user_id: bytes = DEFAULT_ID) -> bool:
        try:
            return self.verify(message, decode_der(der), user_id=user_id)
        except ValueError:
            return False

    def point(self) -> bytes:
        """The uncompressed point ``04 || x || y``."""
        return b"\x04" + _b32(self.x) + _b32(self.y)

    def info(self) -> keys.PublicKeyInfo:
        _register_curve()
        return keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "ec", "parameters": ("named", "sm2p256v1")},
                "public_key": self.point(),
            }
        )

    def to_pem(self) -> bytes:
        return _pem("PUBLIC KEY", self.info().dump())

    @classmethod
    def from_point(cls, point: bytes) -> Sm2PublicKey:
        if len(point) != 65 or point[0] != 4:
            raise ValueError("an SM2 public key is an uncompressed point of 65 bytes")
        x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
        if (y * y - x * x * x - A * x - B) % P:
            raise ValueError("the point is not on the SM2 curve")
        return cls(x, y)

    @classmethod
    def from_pem(cls, pem: bytes) -> Sm2PublicKey:
        _register_curve()
        info = keys.PublicKeyInfo.load(_unpem(pem))
        if info["algorithm"]["parameters"].chosen.dotted != SM2_CURVE:
            raise ValueError("not an SM2 public key")
        return cls.from_point(bytes(info["public_key"].contents[1:]))


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

    def to_pem(self) -> bytes:
        """Unencrypted PKCS#8 (for handing a test key to OpenSSL; the vault keeps keys
        encrypted)."""
        _register_curve()
        public = self.public_key()
        ec_key = keys.ECPrivateKey(
            {"version": "ecPrivkeyVer1", "private_key": self.d, "public_key": public.point()}
        )
        info = keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": {
                    "algorithm": "ec", "parameters": ("named", "sm2p256v1"),
                },
                "private_key": ec_key,
            }
        )  # fmt: skip
        return _pem("PRIVATE KEY", info.dump())

    @classmethod
    def from_pem(cls, pem: bytes) -> Sm2PrivateKey:
        _register_curve()
        info = keys.PrivateKeyInfo.load(_unpem(pem))
        if info["private_key_algorithm"]["parameters"].chosen.dotted != SM2_CURVE:
            raise ValueError("not an SM2 private key")
        return cls(int(info["private_key"].parsed["private_key"].native))

    def sign_der(self, message: bytes, *, user_id: bytes = DEFAULT_ID) -> bytes:
        """The DER signature over ``message`` (what OpenSSL and gmssl exchange)."""
        return encode_der(self.sign(message, user_id=user_id))

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


def _pem(label: str, der: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode("ascii")


def _unpem(pem: bytes) -> bytes:
    lines = [ln for ln in pem.decode("ascii").splitlines() if ln and not ln.startswith("-----")]
    return base64.b64decode("".join(lines))
