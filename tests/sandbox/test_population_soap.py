from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from lxml import etree

from sandbox import DirtRates, PopulationServer, World
from sandbox.population import NS, SOAP_ACTION, SOAP_ENV, WSSE, WSU

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_ACTION}"'}


@pytest.fixture(scope="module")
def server() -> Iterator[PopulationServer]:
    world = World(people=400, enterprises=10)
    with PopulationServer(world, DirtRates(), username="ga", password="s3cret") as srv:
        yield srv


def envelope(
    page_no: int = 1, page_size: int = 100, since: str | None = None, *,
    username: str = "ga", password: str = "s3cret", digest: bool = False, header: bool = True,
) -> bytes:  # fmt: skip
    if digest:
        nonce, created = os.urandom(16), datetime.now().isoformat() + "Z"
        value = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + password.encode()).digest()
        )
        token = (
            f'<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
            f'username-token-profile-1.0#PasswordDigest">{value.decode()}</wsse:Password>'
            f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
            f"<wsu:Created>{created}</wsu:Created>"
        )
    else:
        token = f"<wsse:Password>{password}</wsse:Password>"
    security = (
        f'<soap:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{username}</wsse:Username>{token}</wsse:UsernameToken></wsse:Security>"
        "</soap:Header>"
        if header
        else ""
    )
    changed = f"<t:changedSince>{since}</t:changedSince>" if since else ""
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:t="{NS}">{security}<soap:Body>'
        f"<t:QueryChangedPersons>{changed}<t:pageNo>{page_no}</t:pageNo>"
        f"<t:pageSize>{page_size}</t:pageSize></t:QueryChangedPersons></soap:Body></soap:Envelope>"
    ).encode()


def call(server: PopulationServer, body: bytes) -> tuple[requests.Response, etree._Element]:
    response = requests.post(server.endpoint, data=body, headers=HEADERS, timeout=10)
    assert response.headers["Content-Type"] == "text/xml; charset=GBK"
    assert response.content.startswith(b"<?xml version='1.0' encoding='GBK'?>")
    return response, etree.fromstring(response.content)


def fault(root: etree._Element) -> tuple[str, str]:
    f = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert f is not None
    return f.findtext("faultcode") or "", f.findtext("faultstring") or ""


def persons(root: etree._Element) -> list[dict[str, str]]:
    return [
        {etree.QName(c).localname: c.text or "" for c in p} for p in root.iter(f"{{{NS}}}person")
    ]


def test_wsdl_is_served_and_parses(server: PopulationServer) -> None:
    response = requests.get(server.wsdl_url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    wsdl = etree.fromstring(response.content)
    assert wsdl.get("targetNamespace") == NS
    address = wsdl.find(f".//{{{WSDL_NS}}}port/{{http://schemas.xmlsoap.org/wsdl/soap/}}address")
    assert address is not None and address.get("location") == "http://10.20.30.40:7001/population"
    assert wsdl.find(f".//{{{WSDL_NS}}}operation[@name='QueryChangedPersons']") is not None


@pytest.mark.parametrize(
    "body",
    [
        envelope(password="wrong"),
        envelope(username="nobody"),
        envelope(header=False),
        envelope(password="wrong", digest=True),
    ],
    ids=["bad-password", "bad-user", "no-header", "bad-digest"],
)
def test_bad_credentials_fault_in_gbk(server: PopulationServer, body: bytes) -> None:
    response, root = call(server, body)
    assert response.status_code == 500
    assert "认证失败：用户名或密码错误".encode("gbk") in response.content
    assert fault(root) == ("wsse:FailedAuthentication", "认证失败：用户名或密码错误")


def test_password_digest_accepted(server: PopulationServer) -> None:
    response, root = call(server, envelope(digest=True, page_size=5))
    assert response.status_code == 200
    assert len(persons(root)) == 5


@pytest.mark.parametrize("size", [0, 1001, -3])
def test_bad_page_size_is_a_client_fault(server: PopulationServer, size: int) -> None:
    response, root = call(server, envelope(page_size=size))
    code, message = fault(root)
    assert (response.status_code, code) == (500, "soap:Client") and "pageSize" in message


def test_pages_cover_the_changes_since_in_order(server: PopulationServer) -> None:
    world: World = server._server.app.world  # type: ignore[attr-defined]
    since = world.clock - timedelta(days=10)
    seen: list[dict[str, str]] = []
    page_no, total = 1, None
    while True:
        response, root = call(server, envelope(page_no, 37, since.isoformat()))
        assert response.status_code == 200
        total = int(root.findtext(f".//{{{NS}}}totalCount") or -1)
        page = persons(root)
        seen.extend(page)
        if len(page) < 37:
            break
        page_no += 1
    keys = [(datetime.fromisoformat(p["bgsj"]), p["recordId"]) for p in seen]
    assert keys == sorted(keys) and all(k[0] >= since for k in keys)
    assert len({p["recordId"] for p in seen}) == len(seen) == total
    timeline = world.timeline("gongan_population", world.people)
    expected = {f"GA{i:07d}" for i in range(world.people) if timeline.timestamp(i) >= since}
    assert {p["recordId"] for p in seen} == expected
    assert 0 < total < world.people
    everyone = call(server, envelope(1, 1000))[1]
    assert int(everyone.findtext(f".//{{{NS}}}totalCount") or 0) == world.people
    names = [p["xm"] for p in persons(everyone)]
    assert sum(1 for n in names if n and "\u4e00" <= n[0] <= "\u9fff") > world.people * 0.9


def test_fail_after_pages_answers_503() -> None:
    with PopulationServer(
        World(people=50, enterprises=0), DirtRates.none(), username="ga", password="s3cret",
        fail_after_pages=2,
    ) as srv:  # fmt: skip
        assert call(srv, envelope(2, 10))[0].status_code == 200
        response, root = call(srv, envelope(3, 10))
        assert response.status_code == 503 and fault(root)[0] == "soap:Server"
