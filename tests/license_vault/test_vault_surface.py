"""The public surface, the settings, and the signing interface an HSM would implement."""

from __future__ import annotations

import io
from collections.abc import Sequence

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen.canvas import Canvas
from vault_records import MARRIAGE_KEY

import license_vault
from license_vault import Vault, VaultSettings, load_vault_settings
from license_vault.jws import JwsSealer, parse_compact, verify_signature
from license_vault.pades import PdfSealer, to_asn1
from tongban.settings import Settings


def test_public_surface_is_pinned():
    assert sorted(license_vault.__all__) == [
        "Catalog", "ElicenseId", "ElicenseRow", "FileKeySigner", "HubTsa", "IssueReport",
        "Issued", "LicenseType", "LocalStorage", "MinioStorage", "NotInForce",
        "ObjectCorrupted", "ObjectStorage", "Reason", "STATUSES", "Seal", "SealRegistry",
        "Signer", "Vault", "VaultSettings", "Verdict", "Verifier", "issue_all", "load_catalog",
        "load_vault_settings", "open_storage", "parse_identifier", "timestamp_digest",
        "verify_token",
    ]  # fmt: skip
    for name in license_vault.__all__:
        assert getattr(license_vault, name) is not None
    from license_vault import http

    assert http.router.prefix == "/licenses"
    assert http.__all__ == ["current_vault", "router"]


def test_settings_come_from_tongban_vault_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("TONGBAN_VAULT_STORAGE", "s3")
    monkeypatch.setenv("TONGBAN_VAULT_S3_ENDPOINT", "minio.internal:9000")
    monkeypatch.setenv("TONGBAN_VAULT_S3_SECRET_KEY", "s3cr3t")
    monkeypatch.setenv("TONGBAN_VAULT_VERIFY_BASE_URL", "https://zwfw.example.gov.cn/verify")
    settings = load_vault_settings(Settings(data_dir=tmp_path))
    assert settings.storage == "s3" and settings.s3_endpoint == "minio.internal:9000"
    assert settings.data_dir == tmp_path
    assert "s3cr3t" not in repr(settings)  # secrets stay secret
    assert settings.s3_secret_key is not None
    assert settings.s3_secret_key.get_secret_value() == "s3cr3t"


class CountingSigner:
    """Another Signer implementation (as an HSM binding would be): only the protocol."""

    def __init__(self, inner: license_vault.Signer):
        self.inner = inner
        self.calls = 0

    @property
    def algorithm(self) -> str:
        return self.inner.algorithm

    @property
    def certificate_chain(self) -> Sequence[x509.Certificate]:
        return self.inner.certificate_chain

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        return self.inner.sign(data)


def test_pades_and_jws_seal_through_any_signer(vault: Vault):
    issued = vault.issue(MARRIAGE_KEY)
    seal = vault.seals.get(issued.seal_id)
    signer = CountingSigner(vault.seals.signer(seal))
    assert isinstance(signer, license_vault.Signer)
    token = JwsSealer(signer, kid=issued.seal_id).seal(b'{"a":1}')
    assert verify_signature(parse_compact(token), seal.certificate)
    blank = io.BytesIO()
    canvas = Canvas(blank)
    canvas.drawString(100, 700, "sealed through another signer")
    canvas.save()
    pdf = PdfSealer(signer).seal(blank.getvalue(), reason="签章", location=None, name="x")
    assert signer.calls >= 2
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=to_asn1(vault.seals.roots()))
    assert all(validate_pdf_signature(s, context).bottom_line for s in signatures)


def test_vault_settings_default_to_the_embedded_deployment(tmp_path):
    settings = VaultSettings(data_dir=tmp_path)
    assert settings.storage == "local" and settings.local_root() == tmp_path / "objects"
    assert settings.kek_path() == tmp_path / "vault" / "kek"
