from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from vault_records import HUSBAND, MARRIAGE_KEY, load_licenses, marriage_record

from license_vault import Vault, load_catalog, parse_identifier
from license_vault.jws import parse_compact
from tongban.errors import RecordError

CATALOG = load_catalog()


def test_catalog_holds_the_required_types_as_data():
    names = {t.name for t in CATALOG}
    assert {"营业执照", "结婚证", "居民户口簿", "食品经营许可证", "不动产权证书"} <= names
    business = CATALOG.by_name("营业执照")
    assert business.code == "11100000000013127D001" and business.holder_type == "enterprise"
    with pytest.raises(RecordError) as err:
        CATALOG.get("11100000000013127D999", license_key="x:1")
    assert err.value.rule == "license.type_unknown" and "x:1" in err.value.message


def test_issue_all_seals_every_record_and_is_idempotent(vault: Vault):
    report = vault.issue_all()
    assert not report.refused
    assert len(report.issued) == vault.store.count("license") == 11
    for issued in report.issued:
        ident = parse_identifier(issued.identifier, type_codes=CATALOG)
        assert ident.version == 1 and issued.new
        record = vault.store.get("license", issued.license_key)
        assert ident.type_code == record["license_type_code"]
        assert ident.issuer_code == record["issuer_code"]
        token = parse_compact(vault.document(issued.identifier, "jws"))
        payload = json.loads(token.payload)
        assert payload["identifier"] == issued.identifier
        assert payload["license_number"] == record["license_number"]
        assert payload["verify_url"].endswith(issued.identifier.replace(".", "."))
        # GB/T 36903 element names carry the same values beside ours.
        standard = payload["gbt36903"]
        assert standard["证照标识"] == issued.identifier
        assert standard["证照编号"] == record["license_number"]
        assert standard["证照类型代码"] == record["license_type_code"]  # GB/T 36902 code
        assert standard["持证主体代码"] == record["holder_id"]
        assert standard["证照颁发机构代码"] == record["issuer_code"]
        assert vault.document(issued.identifier).startswith(b"%PDF-")
    again = vault.issue_all()
    assert [i.identifier for i in again.issued] == [i.identifier for i in report.issued]
    assert not any(i.new for i in again.issued)
    assert vault.store.count("elicense") == 11
    # One seal per issuing authority, all under one hub root.
    assert vault.store.count("seal", kind="seal") == 2
    assert vault.store.count("seal", kind="root") == 1


def test_a_changed_record_or_a_reissue_supersedes_without_deleting(vault: Vault):
    first = vault.issue(MARRIAGE_KEY)
    load_licenses(vault.store, [marriage_record(holder_name="王伟强")])
    second = vault.issue(MARRIAGE_KEY)
    assert second.new and second.version == 2 and second.supersedes == first.identifier
    third = vault.issue(MARRIAGE_KEY, reissue=True)
    assert third.version == 3 and third.supersedes == second.identifier
    assert parse_identifier(third.identifier).serial == parse_identifier(first.identifier).serial
    rows = vault.documents.versions(MARRIAGE_KEY)
    assert [(r.version, r.status) for r in rows] == [
        (1, "superseded"), (2, "superseded"), (3, "valid"),
    ]  # fmt: skip
    assert rows[0].superseded_by == second.identifier
    for row in rows:  # superseded documents stay readable
        assert vault.storage.get(row.pdf_key) and vault.storage.get(row.json_key)
    assert b"\\u738b" not in vault.document(third.identifier, "jws")


def test_list_by_holder(vault: Vault):
    issued = vault.issue(MARRIAGE_KEY)
    assert [r.identifier for r in vault.list(holder_id=HUSBAND)] == [issued.identifier]
    assert vault.list(holder_id="110105199001011239") == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"license_type_code": "11100000000013127D999", "license_number": "T-1"},
         "license.type_unknown"),
        ({"license_type_code": "11100000000013514R001", "license_number": "T-2",
          "holder_id": "91350100M000100Y43", "holder_id_type": "001"}, "license.holder_type"),
        ({"license_number": "T-3", "issuer_code": "not-a-code"}, "license.issuer_code"),
    ],
)  # fmt: skip
def test_records_that_do_not_fit_are_refused_with_their_rule(vault: Vault, changes, rule):
    load_licenses(vault.store, [marriage_record(**changes)], source="test")
    key = f"{changes.get('license_type_code', '11100000000013514R001')}:{changes['license_number']}"
    with pytest.raises(RecordError) as err:
        vault.issue(key)
    assert err.value.rule == rule
    assert key in err.value.message
    report = vault.issue_all()
    assert [(k, e.rule) for k, e in report.refused] == [(key, rule)]


def test_unknown_license_key_is_refused(vault: Vault):
    with pytest.raises(RecordError, match=r"license\.missing"):
        vault.issue("11100000000013127D001:NOPE")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_the_pdf_text_is_readable_chinese(vault: Vault, tmp_path):
    issued = vault.issue(MARRIAGE_KEY)
    path = tmp_path / "marriage.pdf"
    path.write_bytes(vault.document(issued.identifier))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("结婚证", "王伟", "配偶姓名", "李娜", "北京市朝阳区民政局", issued.identifier):
        assert expected in text


def test_the_gbt36903_elements_must_agree_with_the_data(vault: Vault):
    from license_vault.document import LicenseData

    issued = vault.issue(MARRIAGE_KEY)
    payload = json.loads(parse_compact(vault.document(issued.identifier, "jws")).payload)
    assert LicenseData.from_json(json.dumps(payload).encode()).identifier == issued.identifier
    payload["gbt36903"]["持证主体"] = "李四"
    with pytest.raises(ValueError, match="GB/T 36903"):
        LicenseData.from_json(json.dumps(payload).encode())
