"""REST and SOAP that keep their promises, with a fault-injecting proxy in front of the
sandbox systems: paging that neither ends early nor loops, bodies of the wrong shape
refused with the URL, SOAP 5xx and cut-off answers retried, a bad WSDL never cached."""

from __future__ import annotations

import json

import pytest
from fault_proxy import Hit, Reply
from kit import QUICK, definition, population, registry, stored_state

from connectors import sync_source
from connectors.paging import LinkPagination
from tongban import SyncOptions
from tongban.errors import FatalError


def _pages(edit):
    """A fault editing each page of enterprises (its JSON document and page number)."""
    seen = {"n": 0}

    def fault(hit: Hit) -> Reply | None:
        if not hit.path.startswith("/api/v1/enterprises") or hit.status != 200:
            return None
        seen["n"] += 1
        document = edit(json.loads(hit.body), seen["n"])
        return hit.reply(body=json.dumps(document, ensure_ascii=False).encode())

    return fault


def _rest(**pagination):
    return definition("scjg_enterprise", pagination={"limit": 10, **pagination}, retry=QUICK)


@pytest.mark.parametrize("spelling", [None, "nextCursor"])
def test_a_page_without_its_cursor_field_is_an_error_not_the_end(store, spelling):
    def edit(doc, n):
        cursor = doc.pop("next_cursor")
        if spelling:
            doc[spelling] = cursor
        return doc

    with registry(_pages(edit)) as env, pytest.raises(FatalError) as info:
        sync_source(store, _rest(), SyncOptions(), env=env)
    message = str(info.value)
    assert message.startswith("scjg_enterprise: a page of 10 records from GET http://")
    assert "'next_cursor' has no such field" in message and "last_page: null_cursor" in message
    [run] = store.runs(source="scjg_enterprise")
    assert run["status"] == "failed" and run["read"] == 0
    assert store.count("enterprise") == 0 and store.cursor("scjg_enterprise") is None


def test_the_definition_may_say_a_short_page_is_the_last(store):
    def edit(doc, n):
        doc.pop("next_cursor")
        doc["nextCursor"] = "unused"
        return doc

    with registry(_pages(edit)) as env:
        with pytest.raises(FatalError, match="no next cursor"):
            sync_source(store, _rest(), SyncOptions(), env=env)
    # 30 records in pages of 10 and a last short page only when the limit is 20
    with registry() as env:
        summary = sync_source(store, _rest(limit=20, last_page="short"), SyncOptions(), env=env)
    assert (summary.read, summary.inserted, summary.status) == (30, 30, "succeeded")


@pytest.mark.parametrize("loop", ["same", "alternate"])
def test_a_cursor_seen_before_stops_the_run(store, loop):
    first: dict[str, str] = {}

    def edit(doc, n):
        if n == 1:
            first["a"] = doc["next_cursor"]
        elif n == 2:
            first["b"] = doc["next_cursor"]
        if loop == "same" and n >= 2:
            doc["next_cursor"] = first["a"]
        if loop == "alternate" and n >= 3:
            doc["next_cursor"] = first["a"] if n % 2 else first["b"]
        return doc

    d = definition("scjg_enterprise", pagination={"limit": 5}, retry=QUICK)
    with registry(_pages(edit)) as env, pytest.raises(FatalError) as info:
        sync_source(store, d, SyncOptions(batch_size=5, validate=False), env=env)
    assert "a second time in this pass; the system pages in a loop" in str(info.value)
    [run] = store.runs(source="scjg_enterprise")
    assert run["status"] == "failed"  # never left running
    assert store.count("enterprise") <= 15


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b'"maintenance"', "answered a JSON string ('maintenance'), not a JSON object"),
        (b"[1, 2]", "answered a JSON array of 2, not a JSON object"),
        (b'{"data": []}', "answered an object without 'items' (its keys: data)"),
        (b'{"items": {"a": 1}, "next_cursor": null}', "items is a JSON object, not a list"),
        (b'{"items": ["x"], "next_cursor": null}', "record 0 of the page is a JSON string"),
    ],
)
def test_a_body_of_the_wrong_shape_names_the_url_and_what_came(store, body, found):
    def fault(hit: Hit) -> Reply | None:
        return hit.reply(body=body) if hit.path.startswith("/api/v1/") else None

    before = stored_state(store)
    with registry(fault) as env, pytest.raises(FatalError) as info:
        sync_source(store, _rest(), SyncOptions(), env=env)
    message = str(info.value)
    assert "GET http://127.0.0.1:" in message and "/api/v1/enterprises" in message
    assert found in message
    assert stored_state(store) == before


# -- SOAP -------------------------------------------------------------------------------


def _once(make):
    """A fault applied to the first SOAP operation call only."""
    done = {"n": 0}

    def fault(hit: Hit) -> Reply | None:
        if hit.method != "POST" or done["n"]:
            return None
        done["n"] += 1
        return make(hit)

    return fault


@pytest.mark.parametrize(
    "make",
    [
        lambda hit: Reply(500, b"<html><body>Unknown fault</body></html>",
                          {"Content-Type": "text/html"}),
        lambda hit: Reply(502, b"Bad Gateway", {"Content-Type": "text/plain"}),
        lambda hit: hit.reply(cut=True),
        lambda hit: hit.reply(body=hit.body[: len(hit.body) // 2]),
    ],
    ids=["500-html", "502-text", "cut-off", "short-200"],
)  # fmt: skip
def test_soap_retries_non_soap_errors_and_cut_off_answers(store, make, caplog):
    caplog.set_level("INFO", logger="connectors.base")
    d = definition("gongan_population", page_size=25, retry=QUICK)
    with population(_once(make)) as env:
        summary = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted, summary.status) == (60, 60, "succeeded")
    assert "try 2 of 4" in " ".join(r.getMessage() for r in caplog.records)


def test_an_html_page_in_place_of_the_wsdl_is_never_cached(store, tmp_path):
    def html_wsdl(hit: Hit) -> Reply | None:
        if hit.method == "GET" and hit.number == 1:
            return Reply(200, b"<html><body>portal login</body></html>",
                         {"Content-Type": "text/html"})  # fmt: skip
        return None

    d = definition("gongan_population", page_size=50, retry=QUICK)
    cache = tmp_path / "cache"
    with population(html_wsdl) as env:
        summary = sync_source(
            store, d, SyncOptions(cache_dir=cache), env=env
        )  # retried, then bound
    assert summary.inserted == 60
    [cached] = list((cache / "wsdl").glob("*.xml"))
    assert b"definitions" in cached.read_bytes()


def test_a_bad_cached_wsdl_is_dropped_and_fetched_again(store, tmp_path):
    d = definition("gongan_population", page_size=50, retry=QUICK)
    cache = tmp_path / "cache"
    with population() as env:
        sync_source(store, d, SyncOptions(cache_dir=cache), env=env)
        [cached] = list((cache / "wsdl").glob("*.xml"))
        cached.write_bytes(b"<html>an error page someone cached</html>")
        again = sync_source(store, d, SyncOptions(cache_dir=cache, full=True), env=env)
    assert again.status == "succeeded" and again.unchanged == 60
    assert b"definitions" in cached.read_bytes()


def test_a_wsdl_that_answers_503_then_200_is_retried_and_a_404_is_fatal(store):
    def busy_once(hit: Hit) -> Reply | None:
        if hit.method == "GET" and hit.number == 1:
            return Reply(503, b"busy", {"Content-Type": "text/plain"})
        return None

    d = definition("gongan_population", page_size=50, retry=QUICK)
    with population(busy_once) as env:
        assert sync_source(store, d, SyncOptions(), env=env).inserted == 60

    def missing(hit: Hit) -> Reply | None:
        return (
            Reply(404, b"not here", {"Content-Type": "text/plain"}) if hit.method == "GET" else None
        )

    with population(missing) as env, pytest.raises(FatalError) as info:
        sync_source(store, d, SyncOptions(full=True), env=env)
    assert "gongan_population: HTTP 404 fetching WSDL http://127.0.0.1:" in str(info.value)
    assert "/population?wsdl" in str(info.value)


def _as_link_header(hit: Hit) -> Reply | None:
    """The registry's cursor moved from the body into a ``Link: <...>; rel="next"``
    header, as systems paging by next-URL answer."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    if not hit.path.startswith("/api/v1/enterprises") or hit.status != 200:
        return None
    document = json.loads(hit.body)
    cursor = document.pop("next_cursor")
    headers = dict(hit.headers)
    if cursor:
        query = dict(parse_qsl(urlsplit(hit.path).query))
        query["cursor"] = cursor
        headers["Link"] = f'</api/v1/enterprises?{urlencode(query)}>; rel="next"'
    return hit.reply(body=json.dumps(document).encode(), headers=headers)


def test_link_header_paging_reads_every_page_once(store):
    d = definition("scjg_enterprise", retry=QUICK)
    link = LinkPagination(kind="link", limit=7)
    d = d.model_copy(update={"transport": d.transport.model_copy(update={"pagination": link})})
    with registry(_as_link_header) as env:
        summary = sync_source(store, d, SyncOptions(), env=env)
        again = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted, summary.pages) == (30, 30, 5)
    assert store.count("enterprise") == 30
    assert again.status == "succeeded" and again.inserted == 0


def test_soap_continuation_token_paging_reads_every_page_once(store):
    from connectors.definition import SoapContinuation

    d = definition("gongan_population", page_size=7, retry=QUICK)
    token = SoapContinuation(param="continuation", next_path="nextContinuation")
    d = d.model_copy(update={"transport": d.transport.model_copy(
        update={"page_param": None, "continuation": token})})  # fmt: skip
    with population() as env:
        summary = sync_source(store, d, SyncOptions(), env=env)
        assert (summary.read, summary.inserted, summary.pages) == (60, 60, 9)
        assert store.cursor("gongan_population")["next"] is None
        again = sync_source(store, d, SyncOptions(), env=env)
    assert again.status == "succeeded" and (again.inserted, again.updated) == (0, 0)


def test_soap_a_continuation_token_given_twice_stops_the_run(store):
    from connectors.definition import SoapContinuation

    first: dict[str, bytes] = {}

    def same_token(hit: Hit) -> Reply | None:
        if hit.method != "POST":
            return None
        import re

        found = re.search(rb"<tns:nextContinuation>([^<]+)<", hit.body)
        if found and "t" not in first:
            first["t"] = found.group(1)
        elif found:
            return hit.reply(body=hit.body.replace(found.group(1), first["t"]))
        return None

    d = definition("gongan_population", page_size=7, retry=QUICK)
    token = SoapContinuation(param="continuation", next_path="nextContinuation")
    d = d.model_copy(update={"transport": d.transport.model_copy(
        update={"page_param": None, "continuation": token})})  # fmt: skip
    with population(same_token) as env, pytest.raises(FatalError, match="a second time"):
        sync_source(store, d, SyncOptions(validate=False), env=env)
    [run] = store.runs(source="gongan_population")
    assert run["status"] == "failed"
