"""Three hubs, three processes, three stores: a province (PostgreSQL) and two counties
(SQLite) on loopback ports, asking each other for evidence (``sandbox.levels``).

Starting three hubs costs far more than asking them, so one test walks the whole story on
one federation, step by step (the later steps revoke, remove and stop peers); a failure
names its step.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import federation_evidence
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from federation_world import audit_of, get, grant, root_of, store_of
from jwcrypto import jwk, jws
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app
from exchange import AuditLog, Hub, Purpose
from exchange.catalog import load_share_catalog
from exchange.federation import FederationSettings, PeerClient, PeerRegistry
from sandbox.levels import ITEM, Levels, start_levels
from tongban.settings import Settings
from tongban.store import schema

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def levels(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Levels]:
    root = tmp_path_factory.mktemp("levels")
    with start_levels(
        root, database_urls={"province": pg_url}, people=6, timeout_s=10, crl_max_age_s=1.0
    ) as lv:
        yield lv


def county_client_gets_a_province_record_signed_by_the_province(levels: Levels) -> None:
    person = levels.people[0]
    r = get(levels, "county-a", f"/v1/people/{person.id_number}", case_no="MH-2026-01")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["department"] == "公安局" and body["data"]["name"] == person.name
    assert r.headers["X-Answered-By"] == "province"
    # The signature is the province's, intact: its seal, issued by the province's hub root.
    token = r.headers["X-JWS-Signature"]
    header_b64 = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    seal = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    seal.verify_directly_issued_by(root_of(levels, "province"))
    assert seal.issuer != root_of(levels, "county-a").subject
    key = jwk.JWK.from_pem(seal.public_bytes(Encoding.PEM))
    checked = jws.JWS()
    checked.deserialize(token)
    checked.verify(key, detached_payload=r.content)
    with pytest.raises(jws.InvalidJWSSignature):
        tampered = jws.JWS()
        tampered.deserialize(token)
        tampered.verify(key, detached_payload=r.content.replace(b"1", b"2", 1))
    # The county's own store holds no such person: nothing was kept beyond the request.
    county = store_of(levels, "county-a")
    assert county.get("person", person.id_number) is None
    county.dispose()


def each_hub_chain_verifies_and_holds_its_side(levels: Levels) -> None:
    person = levels.people[2]
    r = get(levels, "county-a", f"/v1/people/{person.id_number}", case_no="MH-2026-02")
    assert r.status_code == 200, r.text
    digest = hashlib.sha256(r.content).hexdigest()
    # The asker: its client asked, the province answered.
    [mine] = audit_of(levels, "county-a", request_id=r.headers["X-Request-Id"])
    assert mine["client_id"] == "zwfw-mh" and mine["reason"] == "via peer province"
    assert mine["case_no"] == "MH-2026-02" and mine["subject"] == person.id_number
    assert mine["answer_sha256"] == digest and mine["outcome"] == "allowed"
    # The answerer: which peer asked, for which client, for what purpose.
    [theirs] = audit_of(levels, "province", request_id=r.headers["X-Peer-Request-Id"])
    assert theirs["seq"] == int(r.headers["X-Peer-Audit-Seq"])
    assert theirs["client_id"] == "county-a.zwfw-mh" and theirs["case_no"] == "MH-2026-02"
    assert theirs["service_item"] == ITEM and theirs["answer_sha256"] == digest
    # The county's federation log points at the province's entry.
    county = store_of(levels, "county-a")
    t = schema.federation_exchange
    with county.engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.request_id == mine["request_id"])).one()
    assert (row.peer_id, row.status, row.peer_audit_seq) == ("province", 200, theirs["seq"])
    for hub in ("province", "county-a", "county-b"):
        store = store_of(levels, hub)
        report = AuditLog(store).verify()
        store.dispose()
        assert report.ok, (hub, report.broken)


def who_looked_at_either_hub_shows_accesses_through_the_other(levels: Levels) -> None:
    person = levels.people[4]
    assert get(levels, "county-a", f"/v1/people/{person.id_number}").status_code == 200
    fields = [f for f in load_share_catalog().resource("access_log").fields]
    grant(levels, "province", "zwfw-fj", "access_log", fields)
    grant(levels, "county-a", "zwfw-mh", "access_log", fields)
    at_province = get(levels, "province", f"/v1/subjects/{person.id_number}/accesses").json()
    [seen] = [a for a in at_province["data"]["accesses"] if a["through"] == "county-a"]
    assert seen["client"].startswith("闽侯县审批系统") and "闽侯县" in seen["client"]
    assert seen["resource"] == "person" and seen["outcome"] == "allowed"
    at_county = get(levels, "county-a", f"/v1/subjects/{person.id_number}/accesses").json()
    [seen] = [a for a in at_county["data"]["accesses"] if a["through"] == "province"]
    assert seen["client"] == "闽侯县审批系统" and seen["resource"] == "person"


def a_grant_missing_at_the_province_refuses_the_county_client(levels: Levels) -> None:
    person = next(p for p in levels.people if p.married and p.county == "county-a")
    path = f"/v1/people/{person.id_number}/marriage"
    # The county's own rules come first: without its grant it does not ask at all.
    r = get(levels, "county-a", path)
    assert r.status_code == 403 and "X-Answered-By" not in r.headers
    grant(levels, "county-a", "zwfw-mh", "marriage", ["name", "marital_status"])
    r = get(levels, "county-a", path)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "grant.missing" and r.headers["X-Answered-By"] == "province"
    assert "province" in r.json()["message"]
    refused = audit_of(levels, "county-a", request_id=r.headers["X-Request-Id"])
    assert refused[0]["reason"] == "grant.missing via peer province"
    # The province grants its own resource to the county's client, as to any client.
    grant(levels, "province", "county-a.zwfw-mh", "marriage", ["name", "marital_status"])
    r = get(levels, "county-a", path)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["marital_status"] == "20"


def the_province_asks_the_county_that_covers_the_region(levels: Levels) -> None:
    code = levels["county-b"].enterprises[0]
    r = get(levels, "province", f"/v1/enterprises/{code}")
    assert r.status_code == 200, r.text
    assert r.headers["X-Answered-By"] == "county-b" and r.json()["data"]["credit_code"] == code
    # One hop only: county-a does not hold it and is not asked on through the province.
    r = get(levels, "county-a", f"/v1/enterprises/{code}")
    assert r.status_code == 404 and r.json()["error"] == "subject.not_found"


def an_unknown_peer_is_refused(levels: Levels) -> None:
    store = store_of(levels, "province")
    registry = PeerRegistry(store)
    kept = registry.require("county-b")
    registry.remove("county-b")
    try:
        r = get(levels, "county-b", f"/v1/people/{levels.people[1].id_number}")
        assert r.status_code == 502, r.text
        assert r.json()["error"] == "peer.refused" and "peer.unknown" in r.json()["message"]
        # Nor does a peer's credential open the door without one: a bare header is refused.
        bare = httpx.get(
            levels["province"].url + f"/v1/people/{levels.people[1].id_number}",
            headers={**levels["province"].headers(), "X-Peer-Assertion": "a.b.c"},
        )
        assert bare.status_code == 401 and bare.json()["error"] == "peer.assertion"
    finally:
        pem = kept.root.public_bytes(Encoding.PEM).decode()
        registry.add("county-b", kept.name, url=kept.url, root_pem=pem, level="child",
                     regions=kept.regions, offers=kept.offers)  # fmt: skip
        store.dispose()
    assert get(levels, "county-b", f"/v1/people/{levels.people[1].id_number}").status_code == 200


def a_peer_request_is_used_once_and_bound_to_its_purpose(levels: Levels) -> None:
    county, province = levels["county-a"], levels["province"]
    hub = Hub(Settings(data_dir=county.data_dir, database_url=county.database_url))
    signer = PeerClient(hub, FederationSettings(hub_id="county-a"))
    peer = PeerRegistry(hub.store).require("province")
    path = f"/v1/people/{levels.people[0].id_number}"
    client = {"id": "zwfw-mh", "name": "闽侯县审批系统"}
    headers = signer.headers(peer, "GET", path, client, Purpose(ITEM, "MH-9"), "r-9")
    first = httpx.get(province.url + path, headers=headers, timeout=60)
    assert first.status_code == 200, first.text
    again = httpx.get(province.url + path, headers=headers, timeout=60)
    assert again.status_code == 401 and again.json()["error"] == "peer.replayed"
    other = signer.headers(peer, "GET", path, client, Purpose(ITEM, "MH-10"), "r-10")
    other["X-Case-Number"] = "MH-11"
    moved = httpx.get(province.url + path, headers=other, timeout=60)
    assert moved.status_code == 401 and moved.json()["error"] == "peer.binding"
    hub.store.dispose()


def the_province_rate_limit_holds_for_a_county_client(levels: Levels) -> None:
    store = store_of(levels, "province")
    c = schema.exchange_client
    with store.engine.begin() as conn:
        conn.execute(c.update().where(c.c.client_id == "county-b.zwfw-lj").values(rate_limit=1))
    store.dispose()
    path = f"/v1/people/{levels.people[1].id_number}"
    answers = [get(levels, "county-b", path) for _ in range(2)]
    limited = answers[-1]
    assert limited.status_code == 429 and limited.json()["error"] == "rate.limit", limited.text
    assert (
        limited.headers["X-Answered-By"] == "province" and int(limited.headers["Retry-After"]) > 0
    )


def a_peer_with_a_revoked_certificate_is_refused(levels: Levels) -> None:
    province = levels["province"]
    env = {
        "TONGBAN_DATA_DIR": str(province.data_dir),
        "TONGBAN_DATABASE_URL": province.database_url,
    }
    done = CliRunner().invoke(
        app, ["peer", "revoke", "county-a", "--reason", "根证书泄露"], env=env
    )
    assert done.exit_code == 0, done.output
    listed = CliRunner().invoke(app, ["peer", "list"], env=env)
    assert "revoked" in listed.output and "county-b" in listed.output
    r = get(levels, "county-a", f"/v1/people/{levels.people[0].id_number}")
    assert r.status_code == 502, r.text
    assert r.json()["error"] == "peer.refused" and "peer.revoked" in r.json()["message"]
    # The evidence directory is refused whole, as is an e-license the province holds.
    r = get(levels, "county-a", f"/v1/items/{ITEM}/evidence?applicant={levels.people[0].id_number}")
    assert r.status_code == 502 and r.json()["error"] == "peer.refused", r.text
    assert "province" in r.json()["message"] and "supplied" not in r.json()
    # The other way round: the county that revoked the province does not ask it.
    store = store_of(levels, "county-b")
    PeerRegistry(store).revoke("province", reason="根证书泄露")
    store.dispose()
    r = get(levels, "county-b", f"/v1/people/{levels.people[1].id_number}")
    assert r.status_code == 503 and r.json()["error"] == "peer.revoked"
    assert "province" in r.json()["message"]
    # A standing decision, not a fault: its evidence directory lists the material to bring.
    r = get(levels, "county-b", f"/v1/items/{ITEM}/evidence?applicant={levels.people[1].id_number}")
    assert r.status_code == 200, r.text
    identity = next(m for m in r.json()["to_bring"] if m["material"] == "identity")
    assert identity["reason"] == "peer.revoked" and "province" in identity["message"]


def a_slow_or_stopped_peer_gives_503_naming_it(levels: Levels) -> None:
    province = levels["province"]
    path = f"/v1/enterprises/{levels['county-a'].enterprises[0]}"
    person = levels.people[0].id_number
    evidence = f"/v1/items/{ITEM}/evidence?applicant={person}"
    province.pause()  # accepts connections, answers nothing
    try:
        r = get(levels, "county-a", f"/v1/people/{person}")
        directory = get(levels, "county-a", evidence)
    finally:
        province.resume()
    assert r.status_code == 503 and r.json()["error"] == "peer.timeout", r.text
    assert "province" in r.json()["message"] and r.headers["X-Answered-By"] == "province"
    # Never a partial directory: the whole of it is refused, the peer and material named.
    assert directory.status_code == 503 and directory.json()["error"] == "peer.timeout"
    assert (
        "province" in directory.json()["message"] and "居民身份证明" in directory.json()["message"]
    )
    assert int(directory.headers["Retry-After"]) > 0
    province.stop()
    r = get(levels, "county-a", f"/v1/people/{person}")
    assert r.status_code == 503 and r.json()["error"] == "peer.unavailable", r.text
    assert "province" in r.json()["message"]
    directory = get(levels, "county-a", evidence)
    assert directory.status_code == 503 and directory.json()["error"] == "peer.unavailable"
    # What the county holds itself is still answered.
    assert get(levels, "county-a", path).status_code == 200
    for hub in ("county-a", "county-b"):
        store = store_of(levels, hub)
        assert AuditLog(store).verify().ok
        store.dispose()


STEPS = (
    county_client_gets_a_province_record_signed_by_the_province,
    each_hub_chain_verifies_and_holds_its_side,
    who_looked_at_either_hub_shows_accesses_through_the_other,
    a_grant_missing_at_the_province_refuses_the_county_client,
    *federation_evidence.STEPS,
    the_province_asks_the_county_that_covers_the_region,
    an_unknown_peer_is_refused,
    a_peer_request_is_used_once_and_bound_to_its_purpose,
    the_province_rate_limit_holds_for_a_county_client,
    a_peer_with_a_revoked_certificate_is_refused,
    a_slow_or_stopped_peer_gives_503_naming_it,
)


def test_three_hubs_answer_each_other(levels: Levels) -> None:
    for step in STEPS:
        step(levels)
