"""A license held by several (共有): each holder finds it, the API's answers list every
holder, and the sealed PDF and its JWS name them all; a license of one holder reads as it
always did."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from exchange_world import Api, citizen_id, credit_code

from license_vault.jws import parse_compact
from tongban.pipeline import load_records

TITLE_TYPE = "111000000000135577001"  # 不动产权证书
NUMBER = "浙(2025)杭州市不动产权第0012345号"
SECOND = citizen_id("330106", "19850312", "462")
FIRM = credit_code("MA01HLDE")


def _title(api: Api) -> dict:
    return {
        "license_type_code": TITLE_TYPE, "license_type_name": "不动产权证书",
        "license_number": NUMBER, "issuer_name": "杭州市西湖区不动产登记中心",
        "issuer_code": credit_code("MB0BDCDJ", "330106"), "issue_date": "2025-03-01",
        "valid_from": "2025-03-01", "valid_until": "", "jurisdiction_code": "330106",
        "status": "valid",
        "holders": [
            {"name": "张伟", "id_type": "111", "id": api.world.person, "share": "40%"},
            {"name": "林芳", "id_type": "111", "id": SECOND, "share": "40%"},
            {"name": "北京鸿达餐饮有限公司", "id_type": "001", "id": FIRM, "share": "20%"},
        ],
        "fields": {"location": "西湖区文三路 88 号 3 幢 1201 室", "usage": "住宅", "area": "89.35"},
    }  # fmt: skip


@pytest.fixture(scope="module")
def title_id(api: Api) -> str:
    summary = load_records(api.hub.store, "license", [("t1", _title(api))], source="zrzy")
    assert summary.quarantined == 0, api.hub.store.quarantined(source="zrzy")
    return api.hub.vault.issue(f"{TITLE_TYPE}:{NUMBER}").identifier


def test_every_holder_finds_the_license_with_every_holder_listed(api: Api, title_id: str):
    h = api.client("co-held")
    for holder in (api.world.person, SECOND, FIRM):
        listed = api.get("/v1/licenses", h, params={"holder": holder}).json()["licenses"]
        assert title_id in [e["identifier"] for e in listed], holder
    (entry,) = [
        e for e in api.get("/v1/licenses", h, params={"holder": SECOND}).json()["licenses"]
    ]  # fmt: skip
    names = [(x["name"], x["id_type"], x["id"], x["share"]) for x in entry["holders"]]
    assert names == [
        ("张伟", "111", api.world.person[:6] + "*" * 8 + api.world.person[-4:], "40%"),
        ("林芳", "111", SECOND[:6] + "*" * 8 + SECOND[-4:], "40%"),
        ("北京鸿达餐饮有限公司", "001", FIRM, "20%"),  # a credit code is public
    ]  # fmt: skip
    data = api.get(f"/v1/licenses/{title_id}", h).json()["data"]
    assert [x["name"] for x in data["holders"]] == ["张伟", "林芳", "北京鸿达餐饮有限公司"]
    assert data["holder_name"] == "张伟" and data["holder_id_type"] == "111"
    # the business license of one holder lists that one
    (own,) = api.get("/v1/licenses", h, params={"holder": api.world.enterprise}).json()["licenses"]
    assert own["holders"] == [
        {"name": "北京鸿达餐饮有限公司", "id_type": "001", "id": api.world.enterprise}
    ]


def _payload(jws: bytes) -> dict:
    return json.loads(parse_compact(jws).payload)


def test_the_sealed_documents_name_every_holder(api: Api, title_id: str, tmp_path):
    h = api.client("co-held-docs")
    payload = _payload(api.get(f"/v1/licenses/{title_id}/jws", h).content)
    assert [x["id"] for x in payload["holders"]] == [api.world.person, SECOND, FIRM]
    assert payload["gbt36903"]["持证主体列表"] == payload["holders"]
    assert payload["holder_id"] == api.world.person
    single = _payload(api.get(f"/v1/licenses/{api.world.license_id}/jws", h).content)
    assert "holders" not in single and "持证主体列表" not in single["gbt36903"]
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils absent")
    pdf = tmp_path / "title.pdf"
    pdf.write_bytes(api.get(f"/v1/licenses/{title_id}/pdf", h).content)
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    text = "".join(text.split())  # a long holder line wraps
    for expected in ("张伟", "林芳", "北京鸿达餐饮有限公司", SECOND, FIRM, "份额20%", "持证主体3"):
        assert expected in text, expected
