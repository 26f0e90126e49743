"""GB/T 38540 seals: SM2 certificates under an SM2 hub root (checked by OpenSSL), a seal
and a signature made for a license, verified, and refused when altered."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from vault_records import MARRIAGE_KEY, load_licenses, marriage_record

from license_vault import Vault
from license_vault.sealimage import draw_seal_png
from license_vault.ses import Sm2Authority, make_seal, sign_document, verify_document
from license_vault.sm2 import Sm2PrivateKey
from tongban.errors import RecordError
from tongban.store import Store

OFFICE, CODE = "北京市朝阳区民政局", "11110105MB0123457J"


@pytest.fixture(scope="module")
def pki():
    root = Sm2Authority.root(Sm2PrivateKey.generate(), "通办数据共享交换平台")
    office = root.issue(Sm2PrivateKey.generate(), OFFICE, CODE)
    seal = make_seal(
        root, office.certificate, name=f"{OFFICE}电子印章", es_id=f"{CODE}-0001",
        picture_png=draw_seal_png(CODE),
    )  # fmt: skip
    return root, office, seal


LICENSE = "%PDF-1.7 结婚证 J110105-2024-000123".encode()


def test_an_issued_license_gets_a_gbt38540_signature(pki, tmp_path, vault_settings):
    root, office, _ = pki
    store = Store(f"sqlite:///{tmp_path / 'ses.db'}")
    store.migrate()
    load_licenses(store, [marriage_record()])
    vault = Vault(store, vault_settings)
    issued = vault.issue(MARRIAGE_KEY)
    pdf = vault.document(issued.identifier)
    picture = vault.storage.get(vault.seals.get(issued.seal_id).image_key)
    seal = make_seal(root, office.certificate, name=f"{OFFICE}电子印章",
                     es_id=issued.identifier[:60], picture_png=picture)  # fmt: skip
    signature = sign_document(office, seal, pdf, property_info=issued.identifier)
    assert verify_document(signature, pdf, [root.certificate]).es_id == issued.identifier[:60]
    with pytest.raises(RecordError, match=r"ses\.data_hash"):
        verify_document(signature, pdf.replace(b"/Subject", b"/Subjekt", 1), [root.certificate])
    store.dispose()


def test_a_seal_and_a_signature_round_trip(pki):
    root, office, seal = pki
    signature = sign_document(office, seal, LICENSE)
    verdict = verify_document(signature, LICENSE, [root.certificate])
    assert verdict.seal_name == f"{OFFICE}电子印章" and verdict.es_id == f"{CODE}-0001"
    assert OFFICE in verdict.signer
    assert abs(verdict.signed_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_altered_documents_seals_and_signatures_are_refused(pki):
    root, office, seal = pki
    signature = sign_document(office, seal, LICENSE)
    with pytest.raises(RecordError) as err:
        verify_document(signature, LICENSE + b" ", [root.certificate])
    assert err.value.rule == "ses.data_hash"
    # The seal's name changed inside the signature: the seal maker's signature breaks
    # first (the signer's too, but the seal is checked as its maker signed it).
    renamed = signature.replace(f"{OFFICE}电子印章".encode(), f"{OFFICE}公章印章".encode())
    with pytest.raises(RecordError) as err:
        verify_document(renamed, LICENSE, [root.certificate])
    assert err.value.rule in ("ses.signature", "ses.seal_signature")
    flipped = bytearray(signature)
    flipped[-5] ^= 0x01
    with pytest.raises(RecordError) as err:
        verify_document(bytes(flipped), LICENSE, [root.certificate])
    assert err.value.rule in ("ses.signature", "ses.malformed")
    with pytest.raises(RecordError) as err:
        verify_document(b"\x30\x03\x02\x01\x04", LICENSE, [root.certificate])
    assert err.value.rule == "ses.malformed"


def test_a_seal_of_another_root_or_a_signer_it_does_not_name_is_refused(pki):
    root, office, seal = pki
    other_root = Sm2Authority.root(Sm2PrivateKey.generate(), "另一平台")
    with pytest.raises(RecordError, match=r"ses\.untrusted"):
        verify_document(sign_document(office, seal, LICENSE), LICENSE, [other_root.certificate])
    stranger = root.issue(Sm2PrivateKey.generate(), "某区市场监督管理局", "11110105MB0123458E")
    with pytest.raises(RecordError, match=r"ses\.not_the_holder"):
        verify_document(sign_document(stranger, seal, LICENSE), LICENSE, [root.certificate])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl absent")
def test_openssl_verifies_the_sm2_certificate_chain(pki, tmp_path):
    root, office, _ = pki
    (tmp_path / "root.der").write_bytes(root.certificate.dump())
    (tmp_path / "office.der").write_bytes(office.certificate.dump())
    for name in ("root", "office"):
        subprocess.run(["openssl", "x509", "-inform", "DER", "-in", tmp_path / f"{name}.der",
                        "-out", tmp_path / f"{name}.pem"], check=True)  # fmt: skip
    out = subprocess.run(
        ["openssl", "verify", "-vfyopt", "distid:1234567812345678", "-CAfile",
         tmp_path / "root.pem", tmp_path / "office.pem"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.stdout.strip().endswith(": OK"), out.stdout + out.stderr
    text = subprocess.run(["openssl", "x509", "-in", tmp_path / "office.pem", "-noout", "-text"],
                          capture_output=True, text=True).stdout  # fmt: skip
    assert "SM2-with-SM3" in text or "1.2.156.10197.1.501" in text
