"""The API over HTTP against PostgreSQL: identifiers, purpose, access classes, grants,
masking, the match, rate limits and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import ITEM, Api

from tongban.errors import RecordError
from tongban.store.store import utcnow

pytestmark = pytest.mark.postgres


def test_person_unconditional_fields_masked_and_withheld(api: Api):
    h = api.client("acc-basic")
    r = api.get(f"/v1/people/{api.world.person}", h)
    assert r.status_code == 200, r.text
    body = r.json()
    p = api.world.person
    assert body["data"] == {
        "id_number": p[:6] + "********" + p[-4:],
        "name": "王伟",
        "gender": "1",
        "birth_date": "1990-01-01",
    }
    assert body["withheld"] == ["address"] and body["masked"] == ["id_number"]
    assert "ethnicity" not in body["data"]  # not shared, whatever happens
    assert body["department"] == "公安局"


def test_identifiers_are_normalized_like_ingest(api: Api):
    h = api.client("acc-norm")
    p = api.world.person  # 11010519900101123x
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in p)
    seen = set()
    for spelling in (p.lower(), fullwidth, f" {p} "):
        r = api.get(f"/v1/people/{spelling}", h)
        assert r.status_code == 200, (spelling, r.text)
        seen.add(r.json()["subject"])
    assert len(seen) == 1
    legacy = "110105491231002"  # a 15-digit number is upgraded, then looked up
    assert api.get(f"/v1/people/{legacy}", h).json()["error"] == "subject.not_found"


def test_a_malformed_identifier_is_refused_with_the_rule_never_looked_up(api: Api):
    h = api.client("acc-bad")
    bad = api.world.person[:-1] + ("0" if api.world.person[-1] != "0" else "1")
    r = api.get(f"/v1/people/{bad}", h)
    assert r.status_code == 422 and r.json()["error"] == "id_number.checksum"
    entry = next(api.hub.audit.recent(limit=1))
    assert entry["outcome"] == "refused" and entry["reason"] == "id_number.checksum"
    assert entry["subject"] is None  # not looked up, not anyone's access
    r = api.get("/v1/enterprises/91110105MA01ABCD2Z", h)
    assert r.status_code == 422 and r.json()["error"].startswith("credit_code.")


def test_purpose_is_required_and_must_name_a_known_item(api: Api):
    h = api.client("acc-purpose")
    no_case = {k: v for k, v in h.items() if k != "X-Case-Number"}
    r = api.get(f"/v1/people/{api.world.person}", no_case)
    assert r.status_code == 403 and r.json()["error"] == "purpose.missing"
    assert "X-Case-Number" in r.json()["message"]
    r = api.get(f"/v1/people/{api.world.person}", {**h, "X-Service-Item": "NO-SUCH-ITEM"})
    assert r.status_code == 403 and r.json()["error"] == "purpose.unknown_item"
    entry = next(api.hub.audit.recent(limit=1))
    assert (entry["service_item"], entry["case_no"]) == ("NO-SUCH-ITEM", "acc-purpose-001")
    assert entry["operator"] == "张三"


def test_credentials(api: Api):
    h = api.client("acc-cred")
    r = api.get(f"/v1/people/{api.world.person}", {**h, "X-API-Key": "tbk_not-a-key"})
    assert r.status_code == 401 and r.json()["error"] == "client.unknown_key"
    no_key = {k: v for k, v in h.items() if k != "X-API-Key"}
    r = api.get(f"/v1/people/{api.world.person}", no_key)
    assert r.status_code == 401 and r.json()["error"] == "client.credentials"
    bearer = {**no_key, "Authorization": f"Bearer {h['X-API-Key']}"}
    assert api.get(f"/v1/people/{api.world.person}", bearer).status_code == 200


def test_conditional_resource_needs_a_grant_for_the_item_until_it_expires(api: Api):
    h = api.client("acc-grant")
    path = f"/v1/people/{api.world.person}/marriage"
    r = api.get(path, h)
    assert r.status_code == 403 and r.json()["error"] == "grant.missing"
    other = api.hub.grants.add(
        "acc-grant",
        "marriage",
        service_items=["11110000GA0301"],
        fields=["name", "marital_status"],
        days=30,
        approved_by="大数据局",
    )
    assert api.get(path, h).json()["error"] == "grant.missing"  # another item's grant
    g = api.hub.grants.add(
        "acc-grant",
        "marriage",
        service_items=[ITEM],
        fields=["marital_status"],
        days=30,
        approved_by="大数据局",
    )
    r = api.get(path, h)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"marital_status": "20"}  # only the field granted
    assert set(r.json()["withheld"]) == {"id_number", "name"}
    api.hub.grants.revoke(g.grant_id, reason="项目结束")
    api.hub.grants.revoke(other.grant_id, reason="项目结束")
    assert api.get(path, h).json()["error"] == "grant.missing"
    api.hub.grants.add(
        "acc-grant",
        "marriage",
        service_items=[ITEM],
        fields=["name"],
        expires_at=utcnow() - timedelta(seconds=1),
        approved_by="大数据局",
    )
    r = api.get(path, h)
    assert r.status_code == 403 and r.json()["error"] == "grant.expired"


def test_grants_open_conditional_fields_and_lift_masks(api: Api):
    h = api.client("acc-mask")
    api.hub.grants.add(
        "acc-mask",
        "person",
        service_items=[ITEM],
        fields=["address"],
        unmasked=["id_number"],
        days=1,
        approved_by="大数据局",
    )
    body = api.get(f"/v1/people/{api.world.person}", h).json()
    assert body["data"]["address"] == "北京市朝阳区新华街1号"
    assert body["data"]["id_number"] == api.world.person and body["masked"] == []
    api.hub.grants.add(
        "acc-mask",
        "insurance",
        service_items=[ITEM],
        fields=["phone"],
        days=1,
        approved_by="人社局",
    )
    body = api.get(f"/v1/people/{api.world.person}/insurance", h).json()
    assert body["data"] == {"phone": "138****5678"}
    with pytest.raises(RecordError, match=r"share\.not_shared"):
        api.hub.grants.add(
            "acc-mask",
            "person",
            service_items=[ITEM],
            fields=["ethnicity"],
            days=1,
            approved_by="大数据局",
        )


def test_enterprise_and_its_legal_representative_masked(api: Api):
    h = api.client("acc-ent")
    body = api.get(f"/v1/enterprises/{api.world.enterprise.lower()}", h).json()
    assert body["data"]["name"] == "北京鸿达餐饮有限公司"
    assert "legal_rep_id_number" in body["withheld"]
    assert body["subject"] == api.world.enterprise


def test_match_answers_one_subject_or_refuses(api: Api):
    h = api.client("acc-match")
    p = api.world.person
    query = {"name": "王伟", "birth_date": "1990-01-01", "id_number_suffix": p[-4:].lower()}
    r = httpx_post(api, "/v1/people/match", h, query)
    assert r.status_code == 200 and r.json()["data"]["id_number"].endswith(p[-4:])
    r = httpx_post(api, "/v1/people/match", h, {**query, "id_number_suffix": "0000"})
    assert r.status_code == 404 and r.json()["error"] == "subject.not_found"
    a, b = api.world.namesakes  # 李娜 twice, born the same day, numbers ending alike
    assert a[-8:] == b[-8:]
    twins = {"name": "李娜", "birth_date": "1988-08-08", "id_number_suffix": a[-8:]}
    r = httpx_post(api, "/v1/people/match", h, twins)
    assert r.status_code == 409 and r.json()["error"] == "subject.ambiguous"
    assert "李娜" not in r.text and a not in r.text and b not in r.text  # never a list
    r = httpx_post(api, "/v1/people/match", h, {**twins, "birth_date": "1988-13-01"})
    assert r.status_code == 422 and r.json()["error"] == "request.invalid"


def httpx_post(api: Api, path: str, headers: dict[str, str], body: dict) -> object:
    import httpx

    return httpx.post(api.base + path, headers=headers, json=body, timeout=30)


def test_rate_limit_holds_with_retry_after(api: Api):
    h = api.client("acc-rate", rate_limit=3)
    codes = [api.get(f"/v1/people/{api.world.person}", h).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.get(f"/v1/people/{api.world.person}", h)
    assert r.json()["error"] == "rate.limit" and int(r.headers["Retry-After"]) >= 1


def test_a_revoked_client_is_refused_at_once(api: Api):
    h = api.client("acc-revoke")
    assert api.get(f"/v1/people/{api.world.person}", h).status_code == 200
    api.hub.clients.revoke("acc-revoke", reason="系统下线")
    r = api.get(f"/v1/people/{api.world.person}", h)
    assert r.status_code == 401 and r.json()["error"] == "client.revoked"
    assert "系统下线" in r.json()["message"]
