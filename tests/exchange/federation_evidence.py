"""Steps of the three-hub story (``test_federation``) for the evidence directory and the
e-licenses across hubs: materials the province holds supplied to a county's client with
the province's signed answers, its marriage certificates relayed intact (the PDF's seal
and the JWS verified against the province's root by independent libraries), and a
license whose seal the province's CRL lists refused."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from federation_world import audit_of, get, grant, root_of, store_of
from jwcrypto import jwk, jws
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from exchange.federation import PeerRegistry
from exchange.federation.credentials import check_answer
from license_vault import Vault, load_vault_settings
from license_vault.pades import to_asn1
from sandbox.levels import ITEM, MARRIAGE_CERTIFICATE, Levels
from tongban.store import schema

__all__ = ["STEPS"]

HUKOU = "11110000GA0301"  # 户口迁入: identity, marriage certificate, marriage, housing


def _evidence(levels: Levels, hub: str, item: str, applicant: str, case_no: str) -> Any:
    return get(levels, hub, f"/v1/items/{item}/evidence?applicant={applicant}",
               item=item, case_no=case_no)  # fmt: skip


def _province_checks(levels: Levels, body: bytes, signature: str | None) -> None:
    """The answer holds under the province's hub root, as the county holds it."""
    store = store_of(levels, "county-a")
    try:
        check_answer(body, signature, PeerRegistry(store).require("province"))
    finally:
        store.dispose()


def _certificates(levels: Levels) -> list[Any]:
    store = store_of(levels, "province")
    t = schema.elicense
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(t).order_by(t.c.holder_id)))
    store.dispose()
    return rows


def the_evidence_directory_brings_what_the_province_holds(levels: Levels) -> None:
    person = levels.people[0]  # county-a, married and insured; only the province holds them
    for hub, client in (("county-a", "zwfw-mh"), ("province", "county-a.zwfw-mh")):
        grant(levels, hub, client, "insurance", ["name", "phone"])
    r = _evidence(levels, "county-a", ITEM, person.id_number, "MH-2026-EV1")
    assert r.status_code == 200, r.text
    body = r.json()
    supplied = {m["material"]: m for m in body["supplied"]}
    assert list(supplied) == ["identity", "marriage", "insurance"], body
    assert [m["material"] for m in body["to_bring"]] == ["diagnosis"]
    assert body["proofs_saved"] == 3
    assert supplied["marriage"]["data"] == {"name": person.name, "marital_status": "20"}
    for m in supplied.values():
        proof = m["proof"]
        assert m["hub"] == proof["hub"] == "province"
        # The province's answer as it sent it, its signature intact.
        _province_checks(levels, proof["answer"].encode("utf-8"), proof["signature"])
        with_tamper = proof["answer"].replace(person.name, "某某").encode("utf-8")
        try:
            _province_checks(levels, with_tamper, proof["signature"])
        except ValueError as exc:
            assert "peer.signature" in str(exc)
        else:
            raise AssertionError("a changed proof still verified")
        shown = json.loads(proof["answer"])["data"]
        assert {f: shown[f] for f in m["data"]} == m["data"]
    # Audit at both ends: one entry here naming the province, one there per material.
    [mine] = audit_of(levels, "county-a", request_id=r.headers["X-Request-Id"])
    assert mine["reason"] == "via peer province" and mine["resource"] == "evidence"
    assert mine["fields"] == ["identity", "marriage", "insurance"]
    assert mine["answer_sha256"] == hashlib.sha256(r.content).hexdigest()
    for m in supplied.values():
        [theirs] = audit_of(levels, "province", request_id=m["proof"]["request_id"])
        assert theirs["seq"] == m["proof"]["audit_seq"]
        assert theirs["client_id"] == "county-a.zwfw-mh" and theirs["case_no"] == "MH-2026-EV1"
        assert theirs["resource"] == m["resource"] and theirs["outcome"] == "allowed"
    county = store_of(levels, "county-a")
    t = schema.federation_exchange
    with county.engine.connect() as conn:
        rows = list(conn.execute(select(t).where(t.c.request_id == mine["request_id"])))
    county.dispose()
    assert sorted(x.resource for x in rows) == ["insurance", "marriage", "person"]
    assert {(x.peer_id, x.status) for x in rows} == {("province", 200)}


def a_material_the_province_refuses_is_one_to_bring(levels: Levels) -> None:
    person = levels.people[1]  # county-b: the province grants its client no marriage records
    grant(levels, "county-b", "zwfw-lj", "marriage", ["name", "marital_status"])
    r = _evidence(levels, "county-b", ITEM, person.id_number, "LJ-2026-EV1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["material"] for m in body["supplied"]] == ["identity"]
    bring = {m["material"]: m for m in body["to_bring"]}
    assert bring["marriage"]["reason"] == "grant.missing" and bring["marriage"]["hub"] == "province"
    assert "province" in bring["marriage"]["message"]
    # Its own rules first: without a grant here the county asks nobody for insurance.
    assert bring["insurance"]["reason"] == "grant.missing" and "hub" not in bring["insurance"]


def the_province_marriage_certificates_are_relayed_intact(levels: Levels) -> None:
    person = levels.people[0]
    [row] = [c for c in _certificates(levels) if c.holder_id == person.id_number]
    listed = get(levels, "county-a", f"/v1/licenses?holder={person.id_number}")
    assert listed.status_code == 200, listed.text
    assert listed.headers["X-Answered-By"] == "province"
    assert [e["identifier"] for e in listed.json()["licenses"]] == [row.identifier]
    [entry] = audit_of(levels, "county-a", request_id=listed.headers["X-Request-Id"])
    assert entry["fields"] == [row.identifier] and entry["reason"] == "via peer province"
    meta = get(levels, "county-a", f"/v1/licenses/{row.identifier}")
    assert meta.status_code == 200, meta.text
    assert meta.json()["data"]["status"] == "valid"
    assert meta.json()["data"]["holder_name"] == person.name
    _province_checks(levels, meta.content, meta.headers["X-JWS-Signature"])
    root = root_of(levels, "province")
    # The sealed PDF, byte for byte what the province's vault stored; its seal validates
    # with the province's root as the only trust anchor.
    pdf = get(levels, "county-a", f"/v1/licenses/{row.identifier}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == row.pdf_sha256
    assert pdf.headers["X-Seal-Status"].startswith("good")
    _province_checks(levels, pdf.content, pdf.headers["X-JWS-Signature"])
    [sig] = PdfFileReader(io.BytesIO(pdf.content), strict=False).embedded_regular_signatures
    context = ValidationContext(trust_roots=to_asn1([root]), allow_fetching=False)
    status = validate_pdf_signature(sig, context, ts_validation_context=context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    # The JWS, untouched: jwcrypto verifies it with its x5c seal, issued by the root.
    token = get(levels, "county-a", f"/v1/licenses/{row.identifier}/jws")
    assert token.status_code == 200, token.text
    assert hashlib.sha256(token.content).hexdigest() == row.json_sha256
    header_b64 = json.loads(token.text)["protected"]  # flattened, with the TSA's token
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    seal = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    seal.verify_directly_issued_by(root)
    checked = jws.JWS()
    checked.deserialize(token.text)
    checked.verify(jwk.JWK.from_pem(seal.public_bytes(Encoding.PEM)))
    assert json.loads(checked.payload)["holder_name"] == person.name
    [entry] = audit_of(levels, "county-a", request_id=pdf.headers["X-Request-Id"])
    assert entry["reason"] == "via peer province"
    assert entry["fields"] == [f"{row.identifier}.pdf"]
    # The evidence directory links the certificate a county client never had to bring.
    for hub, client in (("county-a", "zwfw-mh"), ("province", "county-a.zwfw-mh")):
        grant(levels, hub, client, "marriage", ["name", "marital_status"], items=[HUKOU])
    r = _evidence(levels, "county-a", HUKOU, person.id_number, "MH-2026-EV2")
    assert r.status_code == 200, r.text
    supplied = {m["material"]: m for m in r.json()["supplied"]}
    assert list(supplied) == ["identity", "marriage_certificate", "marriage"], r.json()
    [cert] = supplied["marriage_certificate"]["licenses"]
    assert cert["identifier"] == row.identifier and cert["license_type_code"] == (
        MARRIAGE_CERTIFICATE
    )
    [housing] = r.json()["to_bring"]
    assert housing["reason"] == "license.none" and "province" in housing["message"]


def a_license_whose_seal_the_province_revoked_is_refused(levels: Levels) -> None:
    person = levels.people[2]  # county-a, married: a certificate of its own
    [row] = [c for c in _certificates(levels) if c.holder_id == person.id_number]
    province = levels["province"]
    store = store_of(levels, "province")
    try:
        vault = Vault(store, load_vault_settings(data_dir=province.data_dir))
        vault.revoke_seal(row.seal_id, reason="印章遗失")
    finally:
        store.dispose()
    max_age = levels["county-a"].crl_max_age_s
    assert max_age is not None
    time.sleep(max_age + 0.2)  # the province's CRL the county holds is fetched again
    for kind in ("pdf", "jws"):
        r = get(levels, "county-a", f"/v1/licenses/{row.identifier}/{kind}")
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "license.seal_revoked" and "province" in r.json()["message"]
        assert r.headers["X-Answered-By"] == "province"
        [refused] = audit_of(levels, "county-a", request_id=r.headers["X-Request-Id"])
        assert refused["outcome"] == "refused"
        assert refused["reason"] == "license.seal_revoked via peer province"


STEPS = (
    the_evidence_directory_brings_what_the_province_holds,
    a_material_the_province_refuses_is_one_to_bring,
    the_province_marriage_certificates_are_relayed_intact,
    a_license_whose_seal_the_province_revoked_is_refused,
)
