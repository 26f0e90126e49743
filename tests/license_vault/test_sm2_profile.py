"""The national-cryptography profile against the standards' published examples."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from gmssl import func, sm2

from license_vault.sm2 import Sm2PrivateKey, Sm2PublicKey, decode_der, encode_der, sm3


def test_sm3_reproduces_the_standard_examples():
    # GB/T 32905-2016, Appendix A: "abc" and "abcd" x 16.
    assert sm3(b"abc").hex() == ("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    assert sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sm2_reproduces_the_published_signature_with_the_random_value_fixed():
    # The signature example on the recommended curve (GB/T 32918.5 / GM/T 0003.5):
    # private key d, random k, user ID 1234567812345678, message "message digest".
    key = Sm2PrivateKey(0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8)
    k = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
    r, s = key.sign(b"message digest", k=k)
    assert r == 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
    assert s == 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
    public = key.public_key()
    assert public.verify(b"message digest", (r, s))
    assert not public.verify(b"message digesT", (r, s))
    assert not public.verify(b"message digest", (r, s ^ 1))
    assert not public.verify(b"message digest", (r, s), user_id=b"ALICE123@YAHOO.COM")


def test_random_signatures_verify_only_with_their_key():
    key, other = Sm2PrivateKey.generate(), Sm2PrivateKey.generate()
    signature = key.sign(b"e-license")
    assert key.public_key().verify(b"e-license", signature)
    assert not other.public_key().verify(b"e-license", signature)


# -- DER signatures with OpenSSL 3 and gmssl, both ways --------------------------------------

OPENSSL = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl absent")
DISTID = "distid:1234567812345678"


def _openssl(*args: object, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *map(str, args)], input=stdin, capture_output=True)


@OPENSSL
def test_openssl_verifies_our_der_signatures_and_we_verify_its(tmp_path):
    key = Sm2PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(key.to_pem())
    (tmp_path / "pub.pem").write_bytes(key.public_key().to_pem())
    message = "电子证照 1.2.156.3005.2".encode()
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "ours.sig").write_bytes(key.sign_der(message))
    ok = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", tmp_path / "pub.pem", "-rawin",
                  "-digest", "sm3", "-pkeyopt", DISTID, "-in", tmp_path / "msg",
                  "-sigfile", tmp_path / "ours.sig")  # fmt: skip
    assert b"Signature Verified Successfully" in ok.stdout, ok.stderr
    (tmp_path / "msg2").write_bytes(message + b"!")
    bad = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", tmp_path / "pub.pem", "-rawin",
                   "-digest", "sm3", "-pkeyopt", DISTID, "-in", tmp_path / "msg2",
                   "-sigfile", tmp_path / "ours.sig")  # fmt: skip
    assert b"Signature Verified Successfully" not in bad.stdout
    signed = _openssl("pkeyutl", "-sign", "-inkey", tmp_path / "key.pem", "-rawin", "-digest",
                      "sm3", "-pkeyopt", DISTID, "-in", tmp_path / "msg")  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert key.public_key().verify_der(message, signed.stdout)
    assert not key.public_key().verify_der(message + b"!", signed.stdout)
    # A key OpenSSL made is read back and signs for OpenSSL.
    made = _openssl("genpkey", "-algorithm", "SM2")
    theirs = Sm2PrivateKey.from_pem(made.stdout)
    pub = _openssl("pkey", "-pubout", stdin=made.stdout).stdout
    assert Sm2PublicKey.from_pem(pub) == theirs.public_key()


def test_gmssl_verifies_our_der_signatures_and_we_verify_its():
    key = Sm2PrivateKey.generate()
    public = key.public_key()
    crypt = sm2.CryptSM2(
        private_key=f"{key.d:064x}", public_key=f"{public.x:064x}{public.y:064x}", asn1=True
    )
    message = "营业执照 91110105MA01ABCD2X".encode()
    assert crypt.verify_with_sm3(key.sign_der(message).hex(), message)
    theirs = bytes.fromhex(crypt.sign_with_sm3(message, func.random_hex(crypt.para_len)))
    assert public.verify_der(message, theirs)
    assert not public.verify_der(message + b".", theirs)


def test_der_is_strict():
    r, s = Sm2PrivateKey.generate().sign(b"x")
    der = encode_der((r, s))
    assert decode_der(der) == (r, s)
    with pytest.raises(ValueError):
        decode_der(der + b"\0")
    with pytest.raises(ValueError):
        decode_der(b"\x30\x06\x02\x01\x00\x02\x01")
