"""Long-term validation (PAdES B-LTA), the hub's TSA, CRL and OCSP, checked by pyHanko,
pdfsig and OpenSSL against the vault's router served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hub_server import free_port, serve
from jwcrypto import jwk, jws
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from vault_records import MARRIAGE_KEY, load_licenses, marriage_record

from license_vault import Vault, VaultSettings
from license_vault.jws import parse_compact
from license_vault.pades import to_asn1
from license_vault.tsa import timestamp_digest, verify_token
from tongban.errors import RecordError
from tongban.store import Store

KEK = "long-term validation tests' key-encryption key"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[Vault, str]]:
    """A vault whose certificates name the CRL and OCSP URLs of a server really running;
    its seal certificates last one day. (Signatures do not depend on the store's engine:
    SQLite only.)"""
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    load_licenses(store, [marriage_record()])
    port = free_port()
    settings = VaultSettings(
        data_dir=tmp_path / "hub", key_encryption_key=KEK, seal_validity_days=1,
        pki_base_url=f"http://127.0.0.1:{port}/licenses/pki",
        verify_base_url=f"http://127.0.0.1:{port}/licenses/verify",
    )  # fmt: skip
    vault = Vault(store, settings)
    with serve(vault, port) as base:
        yield vault, base
    store.dispose()


def _signature(pdf: bytes):
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_regular_signatures
    (archive,) = reader.embedded_timestamp_signatures
    return signature, archive


def test_a_license_verifies_after_its_seal_certificate_expired(hub):
    vault, _ = hub
    issued = vault.issue(MARRIAGE_KEY)
    signature, archive = _signature(vault.document(issued.identifier))
    unsigned = [a["type"].native for a in signature.signer_info["unsigned_attrs"]]
    assert unsigned == ["signature_time_stamp_token"]
    assert archive.field_name == "ElicenseArchiveTimestamp"
    seal = vault.seals.get(issued.seal_id)
    assert seal.not_after - seal.not_before < timedelta(days=2)
    roots = to_asn1(vault.seals.roots())
    strict = RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=roots),
                revinfo_policy=CertRevTrustPolicy(strict),
            )
        )
    )
    years_later = seal.not_after + timedelta(days=3 * 365)
    result = asyncio.run(
        simulate_future_ades_lta_validation(signature, spec, future_validation_time=years_later)
    )
    assert result.ades_subindic.status.name == "PASSED", result.ades_subindic
    assert result.best_signature_time < seal.not_after
    # Without the timestamp's proof the same signature at that time is out of bounds.
    late = ValidationContext(trust_roots=roots, moment=years_later, allow_fetching=False)
    assert not validate_pdf_signature(signature, late).trusted


def test_the_jws_carries_a_timestamp_over_its_signature(hub):
    vault, _ = hub
    issued = vault.issue(MARRIAGE_KEY)
    stored = vault.document(issued.identifier, "jws")
    document = json.loads(stored)
    assert set(document) == {"protected", "payload", "signature", "header"}
    parsed = parse_compact(stored)
    when = verify_token(
        parsed.timestamp, hashlib.sha256(parsed.signature).digest(), vault.seals.roots()
    )
    assert when < vault.seals.get(issued.seal_id).not_after
    # jwcrypto reads the flattened form with the seal certificate's key alone.
    seal_pem = (
        vault.seals.get(issued.seal_id)
        .certificate.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    checker = jws.JWS()
    checker.deserialize(stored.decode("ascii"))
    checker.verify(jwk.JWK.from_pem(seal_pem), alg="ES256")
    other = vault.seals.hub_tsa().timestamp(hashlib.sha256(b"something else").digest())
    document["header"]["tst"] = base64.b64encode(other).decode("ascii")
    swapped = json.dumps(document, separators=(",", ":")).encode("ascii")
    assert "timestamp.invalid" in vault.verify(swapped).codes


def test_a_revoked_seal_certificate_shows_revoked_with_revocation_checking(hub):
    vault, _ = hub
    issued = vault.issue(MARRIAGE_KEY)
    signature, _ = _signature(vault.document(issued.identifier))
    roots = to_asn1(vault.seals.roots())

    def check():
        # pyHanko fetches revocation from the URLs in the certificates: our server.
        context = ValidationContext(trust_roots=roots, allow_fetching=True,
                                    revocation_mode="hard-fail")  # fmt: skip
        return validate_pdf_signature(signature, context, ts_validation_context=context)

    before = check()
    assert before.trusted and not before.revoked
    vault.revoke_seal(issued.seal_id, reason="key compromise")
    after = check()
    assert after.revoked and not after.bottom_line
    assert "seal.revoked" in vault.verify(vault.document(issued.identifier)).codes


def test_the_crl_and_ocsp_answers_over_http_name_a_revoked_seal(hub, tmp_path):
    vault, _ = hub
    issued = vault.issue(MARRIAGE_KEY)
    seal = vault.seals.get(issued.seal_id)
    root = vault.seals.root()
    urls = vault.seals.urls(root)
    points = seal.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    assert points.value[0].full_name[0].value == urls.crl
    vault.revoke_seal(issued.seal_id, reason="key compromise")
    crl = x509.load_der_x509_crl(httpx.get(urls.crl).content)
    assert crl.is_signature_valid(root.certificate.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(seal.certificate.serial_number)
    if shutil.which("openssl") is None:
        pytest.skip("openssl absent")
    pems = {"seal.pem": seal.certificate, "root.pem": root.certificate}
    for name, cert in pems.items():
        (tmp_path / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out = subprocess.run(
        ["openssl", "ocsp", "-issuer", tmp_path / "root.pem", "-cert", tmp_path / "seal.pem",
         "-url", urls.ocsp, "-CAfile", tmp_path / "root.pem"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Response verify OK" in out.stderr + out.stdout, out
    assert "seal.pem: revoked" in out.stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl absent")
def test_openssl_gets_and_verifies_a_timestamp_from_the_tsa_over_http(hub, tmp_path):
    vault, base = hub
    data = tmp_path / "head.txt"
    data.write_bytes("审计链头 0001".encode())
    query = tmp_path / "q.tsq"
    subprocess.run(["openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query],
                   check=True, capture_output=True)  # fmt: skip
    reply = httpx.post(f"{base}/licenses/tsa", content=query.read_bytes(),
                       headers={"content-type": "application/timestamp-query"})  # fmt: skip
    assert reply.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "r.tsr").write_bytes(reply.content)
    root = vault.seals.root().certificate.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "root.pem").write_bytes(root)
    checked = subprocess.run(
        ["openssl", "ts", "-verify", "-data", data, "-in", tmp_path / "r.tsr",
         "-CAfile", tmp_path / "root.pem"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "Verification: OK" in checked.stdout, checked.stderr
    garbage = httpx.post(f"{base}/licenses/tsa", content=b"not a request")
    assert garbage.status_code == 200 and b"bad request" in garbage.content


def test_an_anchor_token_catches_a_chain_rewritten_from_the_start(hub, tmp_path):
    """What the audit log's anchor does: timestamp the head, check it later."""
    vault, _ = hub
    tsa = vault.seals.hub_tsa()
    rows = [f"row {i}: client A read 11010519491231002X".encode() for i in range(5)]

    def head(chain: list[bytes]) -> bytes:
        digest = b"\0" * 32
        for row in chain:
            digest = hashlib.sha256(digest + row).digest()
        return digest

    token = timestamp_digest(tsa, head(rows))
    when = verify_token(token, head(rows), vault.seals.roots())
    assert when.tzinfo is not None
    rewritten = [b"row 0: nobody read anything", *rows[1:]]
    with pytest.raises(RecordError, match="covers another digest"):
        verify_token(token, head(rewritten), vault.seals.roots())
    other_store = Store(f"sqlite:///{tmp_path / 'other.db'}")
    other_store.migrate()
    other = Vault(other_store, VaultSettings(data_dir=tmp_path / "o", key_encryption_key=KEK))
    forged = timestamp_digest(other.seals.hub_tsa(), head(rewritten))
    with pytest.raises(RecordError, match="not under a hub root"):
        verify_token(forged, head(rewritten), vault.seals.roots())
    with pytest.raises(RecordError, match=r"tsa\.token_invalid"):
        verify_token(b"\x30\x03garbage", head(rows), vault.seals.roots())
    other_store.dispose()


@pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("certutil") is None,
    reason="pdfsig (poppler-utils) or certutil (libnss3-tools) absent",
)
def test_pdfsig_trusts_the_seal_under_the_hub_root_and_sees_its_revocation(hub, tmp_path):
    vault, _ = hub
    issued = vault.issue(MARRIAGE_KEY)
    pdf = tmp_path / "license.pdf"
    pdf.write_bytes(vault.document(issued.identifier))
    root = tmp_path / "root.pem"
    root.write_bytes(vault.seals.root().certificate.public_bytes(serialization.Encoding.PEM))
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "hub root", "-t", "CT,C,C",
                    "-i", root], check=True)  # fmt: skip

    def seal_report() -> str:
        out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", pdf], capture_output=True,
                             text=True, timeout=120).stdout  # fmt: skip
        return out.split("Signature #2:")[0]

    before = seal_report()
    assert "Signature is Valid" in before and "Certificate is Trusted" in before
    vault.revoke_seal(issued.seal_id, reason="key compromise")
    # pdfsig asks the OCSP responder the seal certificate names: the hub's, over HTTP.
    assert "Certificate has been Revoked" in seal_report()
