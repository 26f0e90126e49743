from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from license_vault.keys import FileKeySigner, Signer, encrypt_private_key, generate_key
from license_vault.pki import make_root_certificate, make_seal_certificate
from license_vault.settings import VaultSettings, key_encryption_key
from tongban.errors import FatalError


def _chain():
    root_key, key = generate_key(), generate_key()
    root = make_root_certificate(root_key, "测试平台", 30)
    seal = make_seal_certificate(
        key, authority_name="测试局", authority_code="11100000000013127D", root=root,
        root_key=root_key, days=10,
    )  # fmt: skip
    return key, [seal, root]


def test_embedded_kek_is_generated_once_with_mode_0600(tmp_path):
    settings = VaultSettings(data_dir=tmp_path)
    kek = key_encryption_key(settings)
    assert len(kek) >= 32
    assert stat.S_IMODE(settings.kek_path().stat().st_mode) == 0o600
    assert key_encryption_key(settings) == kek


def test_a_kek_file_others_can_read_is_refused(tmp_path):
    settings = VaultSettings(data_dir=tmp_path)
    key_encryption_key(settings)
    settings.kek_path().chmod(0o644)
    with pytest.raises(FatalError, match="chmod 600"):
        key_encryption_key(settings)


def test_kek_from_settings_wins_and_must_be_strong_enough(tmp_path):
    strong = "correct horse battery staple, 2026"
    assert key_encryption_key(VaultSettings(data_dir=tmp_path, key_encryption_key=strong))
    assert not (tmp_path / "vault" / "kek").exists()
    for weak in ("short", "k" * 20, "a 16-char secret", "k" * 64):
        with pytest.raises(FatalError, match="at least 32 characters and 8 distinct"):
            key_encryption_key(VaultSettings(data_dir=tmp_path, key_encryption_key=weak))


def test_keys_at_rest_are_encrypted_and_need_the_kek():
    key, chain = _chain()
    pem = encrypt_private_key(key, b"the right key-encryption key")
    # scrypt-stretched KEK (cost 2**15), AES-256-GCM: the parameters travel with the key.
    assert pem.startswith("tongban-key-v2$scrypt$32768$8$1$")
    assert b"the right" not in pem.encode() and "PRIVATE KEY" not in pem
    signer = FileKeySigner.from_encrypted_pem(pem, b"the right key-encryption key", chain)
    assert isinstance(signer, Signer)
    signature = signer.sign(b"payload")
    chain[0].public_key().verify(signature, b"payload", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(FatalError, match="wrong key-encryption key"):
        FileKeySigner.from_encrypted_pem(pem, b"a wrong key-encryption key", chain)


def test_a_key_that_does_not_match_its_certificate_is_refused():
    _, chain = _chain()
    other = encrypt_private_key(generate_key(), b"kek-kek-kek-kek-kek")
    with pytest.raises(FatalError, match="does not belong"):
        FileKeySigner.from_encrypted_pem(other, b"kek-kek-kek-kek-kek", chain)


def test_seal_certificate_chains_to_the_root():
    _, (seal, root) = _chain()
    seal.verify_directly_issued_by(root)
    assert seal.issuer == root.subject


def test_keys_stored_before_the_scrypt_envelope_still_open():
    key, chain = _chain()
    legacy = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"the old key-encryption key"),
    ).decode("ascii")
    signer = FileKeySigner.from_encrypted_pem(legacy, b"the old key-encryption key", chain)
    chain[0].public_key().verify(signer.sign(b"x"), b"x", ec.ECDSA(hashes.SHA256()))
