"""The evidence directory, licenses from the vault, signed answers and the citizen's view."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import httpx
import pytest
from conftest import FOOD, ITEM, Api
from cryptography import x509
from jwcrypto import jwk, jws, jwt
from sqlalchemy import select

from license_vault.pki import load_pem
from tongban.store import schema

pytestmark = pytest.mark.postgres


def _grant_all(api: Api, client_id: str, item: str = ITEM) -> None:
    for resource, fields in (
        ("marriage", ["name", "marital_status"]),
        ("insurance", ["name", "phone"]),
    ):
        api.hub.grants.add(
            client_id,
            resource,
            service_items=[item],
            fields=fields,
            days=30,
            approved_by="市政务服务数据管理局",
        )


def test_evidence_from_three_departments_and_what_to_bring(api: Api):
    h = api.client("ev-three")
    _grant_all(api, "ev-three")
    before = _metric(api, "tongban_exchange_proofs_saved_total")
    r = api.get(f"/v1/items/{ITEM}/evidence", h, params={"applicant": api.world.person})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["item"]["category"] == "行政给付" and body["case_no"] == "ev-three-001"
    supplied = {m["material"]: m for m in body["supplied"]}
    assert set(supplied) == {"identity", "marriage", "insurance"}
    assert {m["department"] for m in supplied.values()} == {
        "公安局",
        "民政局",
        "人力资源和社会保障局",
    }
    assert supplied["marriage"]["data"] == {"name": "王伟", "marital_status": "20"}
    assert supplied["insurance"]["data"]["phone"] == "138****5678"
    assert [m["material"] for m in body["to_bring"]] == ["diagnosis"]
    assert body["proofs_saved"] == 3
    assert _metric(api, "tongban_exchange_proofs_saved_total") == before + 3
    entry = next(api.hub.audit.recent(limit=1))
    assert entry["resource"] == "evidence" and entry["subject"] == api.world.person
    assert entry["fields"] == ["identity", "marriage", "insurance"]


def test_without_grants_the_conditional_materials_are_to_bring(api: Api):
    h = api.client("ev-none")
    body = api.get(f"/v1/items/{ITEM}/evidence", h, params={"applicant": api.world.person}).json()
    assert [m["material"] for m in body["supplied"]] == ["identity"]
    reasons = {m["material"]: m["reason"] for m in body["to_bring"]}
    assert reasons == {
        "marriage": "grant.missing",
        "insurance": "grant.missing",
        "diagnosis": "material.not_shared",
    }


def test_evidence_purpose_must_be_the_item(api: Api):
    h = api.client("ev-mismatch")
    r = api.get(f"/v1/items/{FOOD}/evidence", h, params={"applicant": api.world.enterprise})
    assert r.status_code == 403 and r.json()["error"] == "purpose.mismatch"
    r = api.get("/v1/items/NOPE/evidence", h, params={"applicant": api.world.person})
    assert r.status_code == 404 and r.json()["error"] == "item.unknown"


def test_enterprise_evidence_links_the_sealed_license(api: Api):
    h = {**api.client("ev-ent"), "X-Service-Item": FOOD}
    body = api.get(f"/v1/items/{FOOD}/evidence", h, params={"applicant": api.world.enterprise})
    body = body.json()
    supplied = {m["material"]: m for m in body["supplied"]}
    assert set(supplied) == {"business_license", "registration"}
    (lic,) = supplied["business_license"]["licenses"]
    assert lic["identifier"] == api.world.license_id and lic["status"] == "valid"
    pdf = api.get(lic["links"]["pdf"], h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    meta = api.get(lic["links"]["self"], h).json()
    assert meta["data"]["holder_id"] == api.world.enterprise  # a credit code is not masked
    listed = api.get("/v1/licenses", h, params={"holder": api.world.enterprise, "status": "valid"})
    assert [e["identifier"] for e in listed.json()["licenses"]] == [api.world.license_id]
    none = api.get("/v1/licenses", h, params={"holder": api.world.enterprise, "type": "x"})
    assert none.json()["licenses"] == []
    verdict = httpx.post(
        api.base + "/v1/verify", headers=h, files={"document": ("l.pdf", pdf.content)}, timeout=60
    ).json()
    assert verdict["ok"] and verdict["identifier"] == api.world.license_id
    forged = pdf.content.replace(b"/Type /Catalog", b"/Type  /Catalog", 1)
    verdict = httpx.post(
        api.base + "/v1/verify", headers=h, files={"document": ("l.pdf", forged)}, timeout=60
    ).json()
    assert not verdict["ok"] and verdict["reasons"]
    by_id = httpx.post(
        api.base + "/v1/verify", headers=h, data={"identifier": lic["identifier"]}, timeout=60
    )
    assert by_id.json()["ok"]
    bad = api.get("/v1/licenses/1.2.156.3005.2.nonsense", h)
    assert bad.status_code == 422 and bad.json()["error"].startswith("identifier.")


def test_answer_signature_verifies_with_an_independent_jose_library(api: Api):
    h = api.client("ev-sig")
    r = api.get(f"/v1/people/{api.world.person}", h)
    token = r.headers["X-JWS-Signature"]
    header_b64, empty, _sig = token.split(".")
    assert empty == ""  # detached: the body travels on its own
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    seal_cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    # The seal chains to the vault's hub root, kept in the store.
    with api.hub.store.engine.connect() as conn:
        roots = [
            load_pem(p)
            for p in conn.execute(
                select(schema.seal.c.certificate).where(schema.seal.c.kind == "root")
            ).scalars()
        ]
    assert any(seal_cert.issuer == root.subject for root in roots)
    root = next(root for root in roots if seal_cert.issuer == root.subject)
    seal_cert.verify_directly_issued_by(root)
    key = jwk.JWK.from_pem(seal_cert.public_bytes(encoding=_pem()))
    checked = jws.JWS()
    checked.deserialize(token)
    checked.verify(key, detached_payload=r.content)  # raises unless the body is signed
    with pytest.raises(jws.InvalidJWSSignature):
        tampered = jws.JWS()
        tampered.deserialize(token)
        tampered.verify(key, detached_payload=r.content.replace(b"\\u738b", b"X") + b" ")
    # The audit entry holds the answer's digest.
    seq = int(r.headers["X-Audit-Seq"])
    with api.hub.store.engine.connect() as conn:
        digest = conn.execute(
            select(schema.audit_log.c.answer_sha256).where(schema.audit_log.c.seq == seq)
        ).scalar_one()
    assert digest == hashlib.sha256(r.content).hexdigest()


def _pem():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM


def test_jwt_client_assertion(api: Api):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    api.hub.clients.add("ev-jwt", "JWT 审批系统", public_key_pem=key.export_to_pem().decode())

    def assertion(jti: str, signer: jwk.JWK = key, aud: str = "tongban-exchange") -> str:
        now = int(time.time())
        claims = {"iss": "ev-jwt", "sub": "ev-jwt", "aud": aud, "iat": now, "exp": now + 60}
        token = jwt.JWT(header={"alg": "ES256"}, claims={**claims, "jti": jti})
        token.make_signed_token(signer)
        return str(token.serialize())

    h = {"X-Service-Item": ITEM, "X-Case-Number": "J-1"}
    ok = api.get(
        f"/v1/people/{api.world.person}", {**h, "Authorization": f"Bearer {assertion('a1')}"}
    )
    assert ok.status_code == 200, ok.text
    again = api.get(
        f"/v1/people/{api.world.person}", {**h, "Authorization": f"Bearer {assertion('a1')}"}
    )
    assert again.status_code == 401 and again.json()["error"] == "client.assertion_replayed"
    other = jwk.JWK.generate(kty="EC", crv="P-256")
    forged = api.get(
        f"/v1/people/{api.world.person}",
        {**h, "Authorization": f"Bearer {assertion('a2', other)}"},
    )
    assert forged.status_code == 401 and forged.json()["error"] == "client.assertion"
    wrong_aud = api.get(
        f"/v1/people/{api.world.person}",
        {**h, "Authorization": f"Bearer {assertion('a3', aud='elsewhere')}"},
    )
    assert wrong_aud.status_code == 401


def test_citizen_sees_who_looked(api: Api):
    h = api.client("ev-looker")
    api.get(f"/v1/people/{api.world.person}", {**h, "X-Case-Number": "CASE-LOOK-1"})
    portal = api.client("ev-portal")
    r = api.get(f"/v1/subjects/{api.world.person}/accesses", portal)
    assert r.status_code == 403 and r.json()["error"] == "grant.missing"
    api.hub.grants.add(
        "ev-portal",
        "access_log",
        service_items=[ITEM],
        fields=["at", "client", "operator", "service_item", "case_no", "outcome"],
        days=1,
        approved_by="市政务服务数据管理局",
    )
    accesses = api.get(f"/v1/subjects/{api.world.person}/accesses", portal).json()["data"]
    looked = [a for a in accesses["accesses"] if a["case_no"] == "CASE-LOOK-1"]
    assert (
        looked and looked[0]["client"] == "审批系统 ev-looker" and looked[0]["operator"] == "张三"
    )
    assert "resource" not in looked[0]  # a field the grant did not open


def test_health_and_metrics(api: Api):
    assert httpx.get(api.base + "/health/live").json() == {"status": "ok"}
    ready = httpx.get(api.base + "/health/ready")
    assert ready.status_code == 200 and ready.json()["revision"] == ready.json()["head"]
    text = httpx.get(api.base + "/metrics").text
    assert "tongban_exchange_requests_total" in text
    assert "tongban_exchange_request_seconds_bucket" in text


def _metric(api: Api, name: str) -> float:
    total = 0.0
    for line in httpx.get(api.base + "/metrics").text.splitlines():
        if line.startswith(name + "{") and f'service_item="{ITEM}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total
