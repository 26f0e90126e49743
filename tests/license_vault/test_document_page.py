"""The PDF reads the same everywhere (embedded font, real fields) and the verify endpoint
answers a person's phone and a program."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hub_server import free_port, serve
from vault_records import HUSBAND, MARRIAGE_KEY, load_licenses, load_samples, marriage_record

from license_vault import Vault, VaultSettings
from license_vault.fonts import chinese_font
from tongban.pipeline import load_records
from tongban.store import Store

BUSINESS_KEY = "11100000000013127D001:91352421GX59YNAN42"
POPPLER = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils absent",
)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[Vault, str]]:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    load_samples(store)
    load_licenses(store, [marriage_record()])
    enterprise = {
        "credit_code": "91352421GX59YNAN42", "name": "永盛建材有限公司12",
        "enterprise_type": "有限责任公司（自然人投资或控股）", "legal_rep_name": "袁浩",
        "legal_rep_id_number": "352421196701126910", "registered_capital": "50",
        "established_on": "2004-06-15", "address": "文化路141号", "status": "存续",
        "business_scope": "建材销售；装饰材料零售。",
    }  # fmt: skip
    summary = load_records(store, "enterprise", [("1", enterprise)], source="manual")
    assert summary.quarantined == 0
    port = free_port()
    settings = VaultSettings(
        data_dir=tmp_path / "hub", key_encryption_key="document tests' key-encryption key",
        verify_base_url=f"http://127.0.0.1:{port}/licenses/verify",
        pki_base_url=f"http://127.0.0.1:{port}/licenses/pki",
    )  # fmt: skip
    vault = Vault(store, settings)
    with serve(vault, port) as base:
        yield vault, base
    store.dispose()


@POPPLER
def test_the_font_is_embedded_and_page_one_shows_the_business_license_fields(hub, tmp_path):
    vault, _ = hub
    assert chinese_font().embedded, "install fonts-wqy-microhei (scripts/install does as root)"
    issued = vault.issue(BUSINESS_KEY)
    pdf = tmp_path / "business.pdf"
    pdf.write_bytes(vault.document(issued.identifier))
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes yes " in r for r in rows), fonts  # every font embedded, subset
    assert any("WenQuanYi" in r for r in rows)
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", pdf, tmp_path / "page"],
                   check=True)  # fmt: skip
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    for expected in ("永盛建材有限公司12", "有限责任公司(自然人投资或控股)", "袁浩", "50万元",
                     "文化路141号", "建材销售", "装饰材料零售", "2004-06-15"):  # fmt: skip
        assert expected in text, expected
    assert "—" not in text.split("经营范围")[0].split("类型")[1]


def test_the_qr_url_opens_a_readable_page_and_programs_get_json(hub):
    vault, base = hub
    issued = vault.issue(MARRIAGE_KEY)
    token = vault.document(issued.identifier, "jws")
    url = __import__("json").loads(
        __import__("license_vault.jws", fromlist=["parse_compact"]).parse_compact(token).payload
    )["verify_url"]
    assert url.startswith(f"{base}/licenses/verify?id=")
    page = httpx.get(url, headers={"accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "核验通过：证照有效" in page.text and 'name="viewport"' in page.text
    assert "北京市朝阳区民政局" in page.text and "王*" in page.text
    assert HUSBAND not in page.text and f"{HUSBAND[:6]}********{HUSBAND[-4:]}" in page.text
    answer = httpx.get(url, headers={"accept": "application/json"}).json()
    assert answer["verdict"] == "valid" and answer["license_status"] == "valid"
    assert answer["issuer"] == "北京市朝阳区民政局" and answer["holder_name"] == "王*"
    vault.revoke(issued.identifier, reason="登记错误")
    revoked = httpx.get(f"{url}&format=json").json()
    assert revoked["verdict"] == "not_valid" and revoked["license_status"] == "revoked"
    assert "吊销" in httpx.get(url).text


def test_documents_can_be_uploaded_and_bad_input_gets_one_clear_answer(hub):
    vault, base = hub
    issued = vault.issue(MARRIAGE_KEY)
    pdf = vault.document(issued.identifier)
    upload = httpx.post(f"{base}/licenses/verify", files={"file": ("l.pdf", pdf)},
                        headers={"accept": "application/json"})  # fmt: skip
    assert upload.json()["verdict"] == "valid", upload.json()["reasons"]
    assert upload.json()["kind"] == "pdf"
    raw = httpx.post(f"{base}/licenses/verify", content=vault.document(issued.identifier, "jws"),
                     headers={"accept": "application/json"})  # fmt: skip
    assert raw.json()["verdict"] == "valid" and raw.json()["kind"] == "jws"
    tampered = pdf.replace(b"/Subject", b"/Subjekt", 1)
    bad = httpx.post(f"{base}/licenses/verify?format=json", files={"file": ("x.pdf", tampered)})
    assert bad.json()["verdict"] == "not_valid" and bad.json()["reasons"]
    unknown = httpx.get(
        f"{base}/licenses/verify", params={"id": "1.2.156.3005.2.x", "format": "json"}
    )
    assert unknown.json()["verdict"] == "not_valid"
    assert unknown.json()["reasons"][0]["code"] == "license.unknown"
    form = httpx.get(f"{base}/licenses/verify")
    assert 'type="file"' in form.text
    empty = httpx.post(f"{base}/licenses/verify", data={"id": ""})
    assert empty.status_code == 400 and "upload a PDF or JWS" in empty.text
    by_form = httpx.post(f"{base}/licenses/verify", data={"id": issued.identifier})
    assert "核验通过" in by_form.text
