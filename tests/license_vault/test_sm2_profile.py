"""The national-cryptography profile against the standards' published examples."""

from __future__ import annotations

from license_vault.sm2 import Sm2PrivateKey, sm3


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
