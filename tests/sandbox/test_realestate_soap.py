"""The 不动产登记 registry over real HTTP: GB18030 answers, WS-Security, paging by an opaque
continuation token across runs of equal change times, repeated holder elements; synced
from its bundled YAML definition alone, quarantine equals the manifest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from connectors import load_definitions, sync_source
from connectors.review import reprocess
from sandbox import DirtRates, World
from sandbox.population import SOAP_ENV, WSSE
from sandbox.realestate import NS, SOAP_ACTION, RealEstateServer
from sandbox.titles import SOURCE, title_count, title_record
from tongban import SyncOptions
from tongban.errors import FatalError
from tongban.store import Store

HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_ACTION}"'}
WORLD = World(seed=20261122, people=400, enterprises=60)


@pytest.fixture(scope="module")
def server() -> Iterator[RealEstateServer]:
    with RealEstateServer(WORLD, DirtRates(), username="bdc", password="s3cret") as srv:
        yield srv


def _ask(
    server: RealEstateServer, size: int, token: str | None = None, password: str = "s3cret"
) -> tuple[requests.Response, etree._Element]:
    security = (
        f'<soap:Header><wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
        f"<wsse:Username>bdc</wsse:Username><wsse:Password>{password}</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security></soap:Header>"
    )
    resume = f"<t:continuation>{token}</t:continuation>" if token else ""
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:t="{NS}">{security}<soap:Body>'
        f"<t:QueryChangedTitles><t:pageSize>{size}</t:pageSize>{resume}</t:QueryChangedTitles>"
        "</soap:Body></soap:Envelope>"
    ).encode()
    response = requests.post(server.endpoint, data=body, headers=HEADERS, timeout=10)
    return response, etree.fromstring(response.content)


def _text(element: etree._Element, name: str) -> str | None:
    return element.findtext(f"{{{NS}}}{name}")


def test_token_paging_reads_every_title_once_in_gb18030(server):
    seen: list[str] = []
    times: list[str] = []
    token, pages, split_ties = None, 0, 0
    while True:
        response, root = _ask(server, 7, token)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/xml; charset=GB18030"
        assert response.content.startswith(b"<?xml version='1.0' encoding='GB18030'?>")
        titles = root.findall(f".//{{{NS}}}title")
        if times and titles and _text(titles[0], "BGSJ") == times[-1]:
            split_ties += 1  # a page boundary inside a run of equal change times
        seen += [_text(t, "YWH") or "" for t in titles]
        times += [_text(t, "BGSJ") or "" for t in titles]
        pages += 1
        token = root.findtext(f".//{{{NS}}}nextContinuation")
        if token is None:
            break
        assert "YWH" not in token and not token.isdigit()  # opaque, not a page number
    assert pages == -(-title_count(WORLD) // 7) and split_ties > 0
    assert len(seen) == len(set(seen)) == title_count(WORLD)
    assert times == sorted(times)
    whole = _ask(server, 1000)[0].content
    text = whole.decode("gb18030")
    assert "䶮" in text  # outside GBK: only GB18030 carries it
    with pytest.raises(UnicodeDecodeError):
        whole.decode("gbk")


def test_holders_are_repeated_elements_and_match_the_registry(server):
    _, root = _ask(server, 1000)
    by_id = {_text(t, "YWH"): t for t in root.findall(f".//{{{NS}}}title")}
    counts = set()
    for i in range(title_count(WORLD)):
        record, _ = title_record(WORLD, DirtRates(), i)
        title = by_id[record["YWH"]]
        served = title.findall(f"{{{NS}}}QLRLIST/{{{NS}}}QLR")
        expected = (record.get("QLRLIST") or {}).get("QLR") or []
        assert [_text(q, "ZJHM") for q in served] == [h["ZJHM"] for h in expected]
        counts.add(len(served))
    assert {0, 1, 2} <= counts  # missing (dirt), one holder, several


def test_wrong_credentials_and_a_forged_token_get_the_registrys_own_fault(server):
    response, root = _ask(server, 7, password="wrong")
    assert response.status_code == 500
    assert root.findtext(".//faultcode") == "wsse:FailedAuthentication"
    assert "认证失败" in (root.findtext(".//faultstring") or "")
    response, root = _ask(server, 7, token="bm90LWEtdG9rZW4")
    assert response.status_code == 500 and root.findtext(".//faultcode") == "soap:Client"
    assert "续查令牌" in (root.findtext(".//faultstring") or "")


def test_the_yaml_definition_syncs_holders_fanned_out_and_quarantine_matches(
    sandbox, tmp_path
):  # fmt: skip
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    try:
        summary = sync_source(store, load_definitions()[SOURCE], SyncOptions(), env=sandbox.env)
        assert summary.status == "succeeded" and summary.reconciles
        got = {
            (q["entity"], q["source_record"], q["rule"]) for q in store.quarantined(source=SOURCE)
        }
        entries = [e for e in sandbox.manifest.by_source(SOURCE) if e.expect == "quarantined"]
        want = {("person" if "/" in e.record else "license", e.record, e.rule) for e in entries}
        assert got == want and {e.dirt for e in entries} == {
            "holder_bad_id", "holder_name_missing", "issuer_bad_check", "holders_missing",
        }  # fmt: skip
        citizens = 0
        shared = None
        for key in store.keys("license", limit=1000):
            title = store.get("license", key)
            assert title is not None
            citizens += sum(1 for h in title["holders"] if h["id_type"] == "111")
            if len(title["holders"]) > 1:
                shared = title
        person = summary.children["person"]
        nameless = sum(1 for e in entries if "/" in e.record)  # their titles are stored
        assert (person["inserted"], person["quarantined"]) == (citizens - nameless, nameless)
        assert shared is not None and shared["holder_id"] == shared["holders"][0]["id"]
        assert set(shared["fields"]) >= {"location", "usage", "area"}
        # a reviewer names a nameless holder: the child lands as a person of this source
        [nameless] = [q for q in store.quarantined(source=SOURCE) if q["entity"] == "person"][:1]
        store.correct(nameless["id"], "QLRMC", "补名", by="审核员", why="登记簿原件")
        report = reprocess(store, definitions=load_definitions(), ids=[nameless["id"]])
        assert report.landed == [nameless["id"]]
        number = nameless["source_record"].split("/")[1]
        assert store.get("person", number)["name"] == "补名"  # type: ignore[index]
    finally:
        store.dispose()


def test_a_misspelt_holder_field_is_refused_against_the_wsdl(sandbox, tmp_path):
    definition = load_definitions()[SOURCE]
    holders = definition.mapping["holders"]
    assert not isinstance(holders, str) and holders.fields is not None
    wrong = holders.model_copy(update={"fields": {**holders.fields, "name": "QLRMX"}})
    misspelt = definition.model_copy(update={"mapping": {**definition.mapping, "holders": wrong}})
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    with pytest.raises(FatalError) as refused:
        sync_source(store, misspelt, SyncOptions(), env=sandbox.env)
    assert str(refused.value) == (
        f"{SOURCE}: mapping.holders.name: source field 'QLRLIST.QLR[*].QLRMX' (step 'QLRMX')"
        " is not in the WSDL's title records (nearest: 'QLRMC')"
    )
    assert store.count("license") == 0
    store.dispose()
