"""A peer's CRL at the hubs that ask it or that it asks (``sandbox.levels``, three
processes over HTTP): fetched once per peer by each hub within
``TONGBAN_FEDERATION_CRL_MAX_AGE_S`` however many answers, requests and e-licenses it
checks, counted at the peer itself (its ``/metrics``), and once the cache expires, a peer
whose answer seal its own root revoked is refused (502 ``peer.seal_revoked``), the refusal
on the asking hub's audit chain, and so is its catalog."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from federation_crls import MAX_AGE_S, burst, crl_fetches, crl_levels, expire, licenses_of
from federation_world import audit_of, get, store_of

from exchange import AuditLog
from exchange.federation.credentials import check_answer
from exchange.federation.peers import PeerRegistry
from license_vault import Vault, load_vault_settings
from license_vault.pki import fingerprint
from sandbox.levels import ITEM, Levels

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def levels(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Levels]:
    with crl_levels(tmp_path_factory.mktemp("levels-crl"), pg_url) as lv:
        yield lv


def many_answers_take_one_crl_fetch_per_peer(levels: Levels) -> None:
    expire()  # what the catalog refresher fetched at start has expired
    before = {hub: crl_fetches(levels, hub) for hub in ("province", "county-a", "county-b")}
    person_asks = [("county-a", f"/v1/people/{p.id_number}") for p in levels.people] * 2
    license_asks = [
        ("county-a", f"/v1/licenses/{identifier}/{kind}")
        for identifier in licenses_of(levels)
        for kind in ("pdf", "jws")
    ]
    enterprise_asks = [
        ("province", f"/v1/enterprises/{code}")
        for county in ("county-a", "county-b")
        for code in levels[county].enterprises
    ] * 2
    asks = person_asks + license_asks + enterprise_asks
    answers, elapsed = burst(levels, asks)
    for (hub, path), r in zip(asks, answers, strict=True):
        assert r.status_code == 200, (hub, path, r.text)
    assert license_asks and all(
        r.headers["X-Seal-Status"].startswith("good")
        for r in answers[len(person_asks) : len(person_asks) + len(license_asks)]
    )
    # One fetch per peer by each hub that holds its CRL (the hubs it answers check its
    # answers' seal; the hubs it asks, its requests' seal: one cache per peer at each hub);
    # a burst slower than the max age may take one more per period.
    most = 1 + int(elapsed // MAX_AGE_S)
    for peer, holders, n_asks in (
            ("province", 2, len(person_asks) + 2 * len(license_asks) + len(enterprise_asks)),
            ("county-a", 1, len(person_asks) + 2 * len(levels["county-a"].enterprises)),
            ("county-b", 1, 2 * len(levels["county-b"].enterprises))):  # fmt: skip
        fetched = crl_fetches(levels, peer) - before[peer]
        assert holders <= fetched <= holders * most, (peer, fetched, n_asks, f"{elapsed:.1f} s")
    # Once the max age has passed, the next answer fetches the CRL again.
    expire()
    again = crl_fetches(levels, "province")
    assert get(levels, "county-a", f"/v1/people/{levels.people[0].id_number}").status_code == 200
    assert crl_fetches(levels, "province") == again + 1


def a_peer_whose_answer_seal_its_root_revoked_is_refused(levels: Levels) -> None:
    person = levels.people[1].id_number
    r = get(levels, "county-a", f"/v1/people/{person}")
    assert r.status_code == 200, r.text
    store = store_of(levels, "county-a")
    province = PeerRegistry(store).require("province")
    store.dispose()
    seal = check_answer(r.content, r.headers["X-JWS-Signature"], province)
    _revoke(levels, "province", seal)
    expire()  # the CRL county-a holds is fetched again
    r = get(levels, "county-a", f"/v1/people/{person}", case_no="CRL-2")
    assert r.status_code == 502, r.text
    assert r.json()["error"] == "peer.seal_revoked" and r.headers["X-Answered-By"] == "province"
    message = r.json()["message"]
    assert "province" in message and f"{seal.serial_number:x}" in message and "\n" not in message
    [refused] = audit_of(levels, "county-a", request_id=r.headers["X-Request-Id"])
    assert refused["outcome"] == "refused" and refused["status"] == 502
    assert refused["reason"] == "peer.seal_revoked via peer province"
    assert refused["case_no"] == "CRL-2" and refused["client_id"] == "zwfw-mh"
    # The evidence directory is refused whole, naming the peer and the material.
    d = get(levels, "county-a", f"/v1/items/{ITEM}/evidence?applicant={person}")
    assert d.status_code == 502 and d.json()["error"] == "peer.seal_revoked", d.text
    assert "province" in d.json()["message"] and "supplied" not in d.json()
    # Its signed catalog too, fetched from the command line (no event loop, no cache kept).
    done = levels["county-a"].tongban("peer", "refresh", "province")
    assert done.returncode == 1 and "peer.seal_revoked" in done.stdout, done.stdout + done.stderr
    # The province's revocation is its own: county-b, asked by the province, still answers.
    code = levels["county-b"].enterprises[0]
    assert get(levels, "province", f"/v1/enterprises/{code}").status_code == 200
    store = store_of(levels, "county-a")
    assert AuditLog(store).verify().ok
    store.dispose()


def _revoke(levels: Levels, hub: str, seal: x509.Certificate) -> None:
    """Revoke a seal in the hub's vault, as its administrator would; its CRL lists it."""
    store = store_of(levels, hub)
    try:
        vault = Vault(store, load_vault_settings(data_dir=levels[hub].data_dir))
        vault.revoke_seal(fingerprint(seal), reason="密钥泄露")
    finally:
        store.dispose()
    crl = x509.load_der_x509_crl(
        httpx.get(levels[hub].url + _crl_path(levels, hub), timeout=30).content
    )
    assert crl.get_revoked_certificate_by_serial_number(seal.serial_number) is not None


def _crl_path(levels: Levels, hub: str) -> str:
    from exchange.federation.crls import crl_path

    store = store_of(levels, "county-a")
    path = crl_path(PeerRegistry(store).require(hub))
    store.dispose()
    return path


def test_a_peer_crl_is_kept_and_its_revoked_answer_seal_refused(levels: Levels) -> None:
    many_answers_take_one_crl_fetch_per_peer(levels)
    a_peer_whose_answer_seal_its_root_revoked_is_refused(levels)
