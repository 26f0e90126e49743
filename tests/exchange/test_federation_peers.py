"""Peers and peer credentials without a network: the registry's rules, signed requests
and sealed answers checked against a peer's hub root, which peer an access went through,
and a peer's CRL and the seal of a license document it relays."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from exchange.errors import Refusal
from exchange.federation import (
    PeerCredentialError,
    PeerRegistry,
    federated_client_id,
    through,
)
from exchange.federation.credentials import check_answer, check_request, seal_request
from exchange.federation.crls import check_seal, crl_path, current_crl
from exchange.federation.licenses import seal_certificate
from exchange.federation.peers import Peer
from exchange.signing import detach
from license_vault.jws import JwsSealer
from license_vault.keys import FileKeySigner, generate_key
from license_vault.pki import fingerprint, make_root_certificate, make_seal_certificate, pem
from tongban.errors import RecordError
from tongban.store import Store

TARGET = "/v1/people/350121196001011006"


class Hub:
    """A hub root and a seal under it, in memory."""

    def __init__(self, name: str) -> None:
        self.root_key = generate_key()
        self.root = make_root_certificate(self.root_key, name, 365)
        key = generate_key()
        cert = make_seal_certificate(
            key, authority_name=f"{name} 跨级交换", authority_code="federation",
            root=self.root, root_key=self.root_key, days=30,
        )  # fmt: skip
        self.sealer = JwsSealer(FileKeySigner(key, [cert, self.root]), kid=fingerprint(cert))

    def as_peer(self, peer_id: str, status: str = "active") -> Peer:
        now = datetime.now(UTC)
        return Peer(
            peer_id, peer_id, "child", "http://127.0.0.1:1", self.root, fingerprint(self.root),
            ("350121",), ("person",), None, status, now,
        )  # fmt: skip

    def request(self, **over: object) -> str:
        args: dict[str, object] = {
            "iss": "county-a", "aud": "province", "method": "GET", "target": TARGET,
            "client": {"id": "zwfw-mh", "name": "闽侯县审批系统"},
            "purpose": {"service_item": "11110000RS0201", "case_no": "MH-1"},
            "request_id": "r-1", "ttl_s": 60,
        }  # fmt: skip
        args.update(over)
        return seal_request(self.sealer, **args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def county() -> Hub:
    return Hub("闽侯县数据共享交换平台")


@pytest.fixture(scope="module")
def stranger() -> Hub:
    return Hub("某县数据共享交换平台")


def _check(token: str, peer: Peer, **over: object) -> object:
    args: dict[str, object] = {
        "hub_id": "province", "method": "GET", "target": TARGET, "ttl_s": 60,
    }  # fmt: skip
    args.update(over)
    return check_request(token, peer, **args)  # type: ignore[arg-type]


def test_a_signed_request_holds_under_the_peer_root(county: Hub) -> None:
    claims = _check(county.request(), county.as_peer("county-a"))
    assert claims.client["id"] == "zwfw-mh" and claims.purpose["case_no"] == "MH-1"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("over", "check", "rule"),
    [
        ({"aud": "county-b"}, {}, "peer.audience"),
        ({}, {"target": "/v1/people/350121196001011006/marriage"}, "peer.binding"),
        ({}, {"method": "POST"}, "peer.binding"),
        ({"ttl_s": 3600}, {}, "peer.expired"),
    ],
)
def test_a_request_that_does_not_hold_is_refused_by_rule(
    county: Hub, over: dict[str, object], check: dict[str, object], rule: str
) -> None:
    with pytest.raises(PeerCredentialError) as caught:
        _check(county.request(**over), county.as_peer("county-a"), **check)
    assert caught.value.rule == rule


def test_a_request_under_another_root_or_altered_is_refused(county: Hub, stranger: Hub) -> None:
    with pytest.raises(PeerCredentialError) as caught:
        _check(stranger.request(), county.as_peer("county-a"))
    assert caught.value.rule == "peer.certificate"
    header, payload, sig = county.request().split(".")
    claims = json.loads(_b64(payload))
    claims["client"]["id"] = "someone-else"
    forged = ".".join((header, _b64e(json.dumps(claims).encode()), sig))
    with pytest.raises(PeerCredentialError) as caught:
        _check(forged, county.as_peer("county-a"))
    assert caught.value.rule == "peer.signature"
    with pytest.raises(PeerCredentialError) as caught:
        _check("not-a-jws", county.as_peer("county-a"))
    assert caught.value.rule == "peer.assertion"


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"iat": -600, "exp": -540}, "peer.expired"),
        ({"client": "zwfw-mh"}, "peer.client"),
        ({"jti": "1"}, "peer.assertion"),
    ],
)
def test_a_request_with_stale_or_missing_claims_is_refused(
    county: Hub, change: dict[str, object], rule: str
) -> None:
    now = int(time.time())
    claims = json.loads(_b64(county.request().split(".")[1]))
    for name, value in change.items():
        claims[name] = now + value if name in ("iat", "exp") else value  # type: ignore[operator]
    token = county.sealer.seal(json.dumps(claims).encode())
    with pytest.raises(PeerCredentialError) as caught:
        _check(token, county.as_peer("county-a"))
    assert caught.value.rule == rule


def test_an_answer_is_checked_against_the_answering_peer_root(county: Hub, stranger: Hub) -> None:
    body = '{"data":{"name":"王伟"}}'.encode()
    signature = detach(county.sealer.seal(body))
    check_answer(body, signature, county.as_peer("province"))
    for bad_body, bad_sig, rule in (
        (body.replace("王".encode(), "李".encode()), signature, "peer.signature"),
        (body, None, "peer.signature"),
        (body, detach(stranger.sealer.seal(body)), "peer.certificate"),
    ):
        with pytest.raises(PeerCredentialError) as caught:
            check_answer(bad_body, bad_sig, county.as_peer("province"))
        assert caught.value.rule == rule


def test_the_registry_refuses_bad_peers_by_rule(tmp_path, county: Hub) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    peers = PeerRegistry(store)
    root = pem(county.root)
    seal = pem(county.sealer._signer.certificate_chain[0])  # type: ignore[attr-defined]
    good = {"url": "http://10.0.0.2:8000", "root_pem": root, "level": "child"}
    for peer_id, over, rule in (
        ("County A", {}, "peer.id"),
        ("county-a", {"level": "uncle"}, "peer.level"),
        ("county-a", {"url": "ftp://x"}, "peer.url"),
        ("county-a", {"regions": ["35x"]}, "peer.regions"),
        ("county-a", {"root_pem": "junk"}, "peer.root"),
        ("county-a", {"root_pem": seal}, "peer.root"),  # a seal, not a root
    ):
        with pytest.raises(RecordError) as caught:
            peers.add(peer_id, "县平台", **{**good, **over})  # type: ignore[arg-type]
        assert caught.value.rule == rule
    added = peers.add("county-a", "闽侯县平台", regions=["350121"], **good)  # type: ignore[arg-type]
    assert added.active and added.covers("350121") and not added.covers("350122")
    assert added.root_fingerprint == fingerprint(county.root)
    with pytest.raises(RecordError) as caught:
        peers.add("county-a", "闽侯县平台", **good)  # type: ignore[arg-type]
    assert caught.value.rule == "peer.exists"
    assert peers.set_offers("county-a", ["enterprise"]).offers == ("enterprise",)
    revoked = peers.revoke("county-a", reason="根证书泄露")
    assert not revoked.active and revoked.revoked_reason == "根证书泄露"
    peers.remove("county-a")
    assert peers.get("county-a") is None and peers.list() == []
    store.dispose()


def test_federated_client_ids_and_the_peer_an_access_went_through() -> None:
    assert federated_client_id("county-a", "zwfw-mh") == "county-a.zwfw-mh"
    long = federated_client_id("county-a", "x" * 40)
    assert len(long) <= 40 and long.startswith("county-a.")
    assert long != federated_client_id("county-a", "x" * 39 + "y")
    assert through("county-a.zwfw-mh", None) == "county-a"
    assert through("zwfw-mh", "via peer province") == "province"
    assert through("zwfw-mh", "grant.missing via peer province") == "province"
    assert through("zwfw-mh", "grant.missing") is None


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_federation_surface_is_pinned() -> None:
    import exchange.federation as federation

    assert sorted(federation.__all__) == [
        "Elsewhere", "Federation", "FederationSettings", "LEVELS", "PEER_AUTH_KIND",
        "PEER_HEADER", "Peer", "PeerAnswer", "PeerClient", "PeerCredentialError",
        "PeerRegistry", "PeerUnavailable", "check_answer", "enrol", "federated_client_id",
        "load_federation_settings", "mount", "router", "through", "via",
    ]  # fmt: skip
    for name in federation.__all__:
        assert getattr(federation, name) is not None


def _crl(hub: Hub, *, next_update_h: int, revoked: x509.Certificate | None = None) -> bytes:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(hub.root.subject)
        .last_update(now - timedelta(hours=2))
        .next_update(now + timedelta(hours=next_update_h))
    )
    if revoked is not None:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(revoked.serial_number)
            .revocation_date(now)
            .build()
        )
    return builder.sign(hub.root_key, hashes.SHA256()).public_bytes(Encoding.DER)


def test_a_peer_crl_holds_only_under_its_root_and_while_current(county: Hub, stranger: Hub) -> None:
    peer = county.as_peer("province")
    seal = county.sealer._signer.certificate_chain[0]  # type: ignore[attr-defined]
    listed = current_crl(peer, _crl(county, next_update_h=24, revoked=seal))
    assert listed.get_revoked_certificate_by_serial_number(seal.serial_number) is not None
    assert crl_path(peer).startswith("/licenses/pki/crl/") and crl_path(peer).endswith(".crl")
    for der, says in (
        (_crl(stranger, next_update_h=24), "not signed by its hub root"),
        (_crl(county, next_update_h=-1), "out of date"),
        (b"junk", "sent no CRL"),
    ):
        with pytest.raises(PeerCredentialError) as caught:
            current_crl(peer, der)
        assert caught.value.rule == "peer.crl" and says in caught.value.message
        assert "province" in caught.value.message


def test_an_answer_seal_its_peer_crl_lists_is_refused(county: Hub, stranger: Hub) -> None:
    peer = county.as_peer("province")
    seal = check_answer(b"{}", detach(county.sealer.seal(b"{}")), peer)
    check_seal(current_crl(peer, _crl(county, next_update_h=24)), peer, seal)
    listed = current_crl(peer, _crl(county, next_update_h=24, revoked=seal))
    with pytest.raises(PeerCredentialError) as caught:
        check_seal(listed, peer, seal)
    assert caught.value.rule == "peer.seal_revoked"
    assert "province" in caught.value.message and f"{seal.serial_number:x}" in caught.value.message


def test_the_seal_of_a_license_document_is_read_from_it(county: Hub) -> None:
    token = county.sealer.seal(b'{"identifier":"x"}').encode()
    seal = county.sealer._signer.certificate_chain[0]  # type: ignore[attr-defined]
    assert seal_certificate(token, "application/jose") == seal
    for body, media in ((b"%PDF-1.7 broken", "application/pdf"), (b"a.b", "application/jose")):
        with pytest.raises(Refusal) as caught:
            seal_certificate(body, media)
        assert (caught.value.status, caught.value.rule) == (502, "peer.answer")
