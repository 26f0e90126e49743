"""Verification, checked by independent verifiers too: pdfsig, pyHanko, jwcrypto."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk, jws
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from vault_records import MARRIAGE_KEY, load_licenses, marriage_record

from license_vault import Vault, VaultSettings, Verifier
from license_vault.jws import parse_compact
from license_vault.pades import to_asn1
from tongban.store import Store


@pytest.fixture
def issued(vault: Vault):
    return vault.issue(MARRIAGE_KEY)


@pytest.mark.skipif(
    shutil.which("pdfsig") is None,
    reason="pdfsig is absent: install poppler-utils (apt-get install poppler-utils)",
)
def test_pdfsig_finds_the_signature_valid(vault: Vault, issued, tmp_path):
    path = tmp_path / "license.pdf"
    path.write_bytes(vault.document(issued.identifier))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    seal, archive = out.split("Signature #2:")
    assert "Signature is Valid" in seal and "电子印章" in seal
    # B-LTA: the validation material and the document timestamp come after the seal.
    assert "Signature Field Name: ElicenseArchiveTimestamp" in archive
    assert "时间戳服务" in archive


def test_pyhanko_validates_the_pdf_against_the_hub_root(vault: Vault, issued):
    reader = PdfFileReader(io.BytesIO(vault.document(issued.identifier)))
    (signature,) = reader.embedded_regular_signatures
    context = ValidationContext(trust_roots=to_asn1(vault.seals.roots()))
    status = validate_pdf_signature(signature, context, ts_validation_context=context)
    assert status.bottom_line
    assert status.trusted and status.intact and status.valid


def test_jwcrypto_verifies_the_jws_with_the_seal_certificate_key_alone(vault: Vault, issued):
    token = vault.document(issued.identifier, "jws").decode("ascii")
    seal_cert = vault.seals.get(issued.seal_id).certificate
    public_pem = seal_cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verifier = jws.JWS()
    verifier.deserialize(token)
    verifier.verify(jwk.JWK.from_pem(public_pem), alg="ES256")
    header = verifier.jose_header
    assert header["alg"] == "ES256" and header["kid"] == issued.seal_id and len(header["x5c"]) == 2
    assert issued.identifier in verifier.payload.decode("utf-8")


@pytest.mark.parametrize("kind", ["pdf", "jws"])
def test_issued_documents_verify(vault: Vault, issued, kind):
    verdict = vault.verify(vault.document(issued.identifier, kind))
    assert verdict.ok, verdict.reasons
    assert (verdict.kind, verdict.identifier) == (kind, issued.identifier)
    assert verdict.license_status == "valid" and verdict.authority == "北京市朝阳区民政局"


def _flips(document: bytes, kind: str) -> list[int]:
    n = len(document)
    if kind == "jws":  # the JSON's start, the whole signature, the time-stamp token, the end
        sig_start = document.index(b'"signature":')
        sig_end = document.index(b'"header":')
        tst_start = document.index(b'"tst":')
        return sorted({
            *range(0, 120), *range(sig_start, sig_end + 8), *range(tst_start, n, 23),
            *range(0, n, 37), *range(n - 12, n),
        })  # fmt: skip
    contents = re.search(rb"/Contents <([0-9a-fA-F]+)>", document)
    assert contents is not None
    start, end = contents.span(1)
    # The CMS blob, its zero padding, the page content, the trailer, the last byte.
    return sorted({0, 9, n // 3, n // 2, start, start + 200, end - 5, end - 1, n - 20, n - 1})


@pytest.mark.parametrize("kind", ["pdf", "jws"])
def test_a_flipped_byte_anywhere_fails_with_a_reason(vault: Vault, issued, kind):
    document = vault.document(issued.identifier, kind)
    verifier = vault.verifier()
    for position in _flips(document, kind):
        altered = bytearray(document)
        altered[position] ^= 0x01
        verdict = verifier.verify(bytes(altered))
        assert not verdict.ok, f"flip at {position} went unnoticed"
        assert verdict.reasons, position


def test_revoking_the_license_fails_verification(vault: Vault, issued):
    vault.revoke(issued.identifier, reason="婚姻登记撤销")
    for kind in ("pdf", "jws"):
        verdict = vault.verify(vault.document(issued.identifier, kind))
        assert verdict.codes == ["license.revoked"]
        assert verdict.license_status == "revoked" and "婚姻登记撤销" in verdict.reasons[0].message


def test_revoking_the_seal_fails_verification_of_its_documents_only(vault: Vault, issued):
    business = vault.issue_all().issued
    other = next(i for i in business if i.seal_id != issued.seal_id)
    vault.revoke_seal(issued.seal_id, reason="key compromise")
    for kind in ("pdf", "jws"):
        assert vault.verify(vault.document(issued.identifier, kind)).codes == ["seal.revoked"]
        assert vault.verify(vault.document(other.identifier, kind)).ok
    # The authority gets a new seal; its reissue verifies, the old document stays revoked.
    reissued = vault.issue(MARRIAGE_KEY, reissue=True)
    assert reissued.seal_id != issued.seal_id
    assert vault.verify(vault.document(reissued.identifier)).ok


def test_superseded_and_expired(vault: Vault, issued):
    newer = vault.issue(MARRIAGE_KEY, reissue=True)
    verdict = vault.verify(vault.document(issued.identifier))
    assert verdict.codes == ["license.superseded"] and newer.identifier in str(verdict.reasons[0])
    load_licenses(vault.store, [marriage_record(license_number="J-2", valid_until="2030-01-01")])
    dated = vault.issue("11100000000013514R001:J-2")
    later = Verifier(vault.store, vault.seals, today=date(2031, 1, 1))
    verdict = later.verify(vault.document(dated.identifier, "jws"))
    assert verdict.codes == ["license.expired"] and verdict.license_status == "expired"


def test_the_issuing_system_status_counts(vault: Vault, issued):
    load_licenses(vault.store, [marriage_record(status="revoked")])
    assert "license.revoked" in vault.verify(vault.document(issued.identifier)).codes


def test_documents_of_another_hub_are_untrusted(vault: Vault, issued, tmp_path):
    other_store = Store(f"sqlite:///{tmp_path / 'other.db'}")
    other_store.migrate()
    load_licenses(other_store, [marriage_record()])
    other_kek = "another hub's key-encryption key"
    other = Vault(
        other_store, VaultSettings(data_dir=tmp_path / "other", key_encryption_key=other_kek)
    )
    foreign = other.issue(MARRIAGE_KEY)
    for kind in ("pdf", "jws"):
        codes = vault.verify(other.document(foreign.identifier, kind)).codes
        assert "chain.untrusted" in codes and "license.unknown" in codes
    other_store.dispose()


def test_garbage_is_malformed(vault: Vault):
    assert vault.verify(b"hello").codes == ["document.malformed"]
    assert "document.malformed" in vault.verify(b"%PDF-1.7 broken").codes
    assert "document.malformed" in vault.verify(b"eyJ.x.y").codes


def test_a_jws_signature_segment_must_be_canonical(vault: Vault, issued):
    token = vault.document(issued.identifier, "jws")
    document = json.loads(token)
    sig = document["signature"].encode("ascii")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1:])
    # The last character of 86 carries 2 unused bits; a twin decodes to the same bytes.
    twin = alphabet[last ^ 0x01 : (last ^ 0x01) + 1]
    document["signature"] = (sig[:-1] + twin).decode("ascii")
    altered = json.dumps(document, separators=(",", ":")).encode("ascii")
    assert parse_compact(token).signature  # the original parses
    assert not vault.verify(altered).ok
    compact = parse_compact(token).compact()  # the compact form verifies on its own
    assert vault.verifier().verify(compact).codes == ["hash.mismatch"]
