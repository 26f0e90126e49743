from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox import DirtRates, EnterpriseServer, World, signed_headers

KEY, SECRET = "app", "secret"


@pytest.fixture(scope="module")
def world() -> World:
    return World(people=200, enterprises=2500)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[EnterpriseServer]:
    with EnterpriseServer(world, DirtRates(), credentials={KEY: SECRET}) as srv:
        yield srv


def get(
    srv: EnterpriseServer, path: str, params: dict[str, str] | None = None, **kw: Any
) -> requests.Response:
    params = params or {}
    headers = signed_headers(kw.pop("key", KEY), kw.pop("secret", SECRET), "GET", path, params,
                             now=kw.pop("now", None))  # fmt: skip
    return requests.get(srv.url + path, params=params, headers=headers, timeout=10)


def pull(srv: EnterpriseServer, path: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = get(srv, path, query).json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_health_needs_no_auth(server: EnterpriseServer) -> None:
    response = requests.get(server.url + "/health", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_cursor_pagination_covers_every_record_once_in_order(
    server: EnterpriseServer, world: World
) -> None:
    items = pull(server, "/api/v1/enterprises", limit="333")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == world.enterprises
    keys = [(item["updated_at"], item["id"]) for item in items]
    assert keys == sorted(keys)
    assert len({item["updated_at"] for item in items}) < len(items) / 2  # ties
    first = get(server, "/api/v1/enterprises").json()
    assert len(first["items"]) == 500 and first["next_cursor"]
    assert set(items[0]) == {
        "id", "uniscid", "entname", "enttype", "lerep", "lerep_cerno", "regcap", "estdate",
        "dom", "opscope", "regstate", "regorg", "updated_at",
    }  # fmt: skip


def test_updated_since_filters(server: EnterpriseServer, world: World) -> None:
    items = pull(server, "/api/v1/enterprises", limit="1000")
    since = items[len(items) // 2]["updated_at"]
    later = pull(server, "/api/v1/enterprises", limit="97", updated_since=since)
    assert [i["id"] for i in later] == [i["id"] for i in items if i["updated_at"] >= since]


def test_cursor_survives_a_restart(server: EnterpriseServer, world: World) -> None:
    first = get(server, "/api/v1/licenses", {"limit": "50"}).json()
    with EnterpriseServer(world, DirtRates(), credentials={KEY: SECRET}) as again:
        second = get(again, "/api/v1/licenses", {"limit": "50", "cursor": first["next_cursor"]})
        direct = get(server, "/api/v1/licenses", {"limit": "100"}).json()
    assert second.json()["items"] == direct["items"][50:]
    assert (
        first["items"][0]["lictype"] == "11100000000013127D001"
        and first["items"][0]["licname"] == "营业执照"
    )


def test_signature_refused(server: EnterpriseServer) -> None:
    bad = get(server, "/api/v1/enterprises", {"limit": "1"}, secret="other")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_signature"
    assert "签名校验失败" in bad.json()["message"]
    unknown = get(server, "/api/v1/enterprises", {"limit": "1"}, key="nobody")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_signature"
    headers = signed_headers(KEY, SECRET, "GET", "/api/v1/enterprises", {"limit": "1"})
    tampered = requests.get(server.url + "/api/v1/enterprises?limit=2", headers=headers, timeout=5)
    assert tampered.status_code == 401
    stale = get(server, "/api/v1/enterprises", {"limit": "1"}, now=time.time() - 301)
    assert stale.status_code == 401 and stale.json()["error"] == "timestamp_expired"
    assert get(server, "/api/v1/enterprises", {"limit": "1"}, now=time.time() - 200).ok


def test_bad_parameters(server: EnterpriseServer) -> None:
    assert get(server, "/api/v1/enterprises", {"limit": "1001"}).status_code == 400
    assert get(server, "/api/v1/enterprises", {"cursor": "garbage!"}).json()["error"] == (
        "invalid_cursor"
    )
    assert get(server, "/api/v1/enterprises", {"updated_since": "yesterday"}).status_code == 400
    assert get(server, "/api/v1/nothing").status_code == 404


def test_rate_limit_answers_429_with_retry_after(world: World) -> None:
    with EnterpriseServer(world, DirtRates(), credentials={KEY: SECRET}, rate_limit=5) as srv:
        statuses = [get(srv, "/api/v1/enterprises", {"limit": "1"}) for _ in range(12)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and statuses[0].status_code == 200
    retry = float(limited[0].headers["Retry-After"])
    assert 0 < retry <= 0.2 + 1e-9
    assert limited[0].json()["error"] == "rate_limited"


def test_error_every_n_th_request(world: World) -> None:
    with EnterpriseServer(world, DirtRates(), credentials={KEY: SECRET}, error_every=3) as srv:
        statuses = [get(srv, "/api/v1/enterprises", {"limit": "1"}).status_code for _ in range(9)]
    assert statuses == [200, 200, 503, 200, 200, 500, 200, 200, 503]


def test_fail_after_pages(world: World) -> None:
    with EnterpriseServer(world, DirtRates(), credentials={KEY: SECRET}, fail_after_pages=2) as srv:
        first = get(srv, "/api/v1/enterprises", {"limit": "10"}).json()
        second = get(srv, "/api/v1/enterprises", {"limit": "10", "cursor": first["next_cursor"]})
        third = get(srv, "/api/v1/enterprises",
                    {"limit": "10", "cursor": second.json()["next_cursor"]})  # fmt: skip
    assert second.status_code == 200 and third.status_code == 503


def test_prerendered_pages_equal_generated_ones(server: EnterpriseServer, world: World) -> None:
    with EnterpriseServer(world, DirtRates(), credentials={KEY: SECRET}, prerender=True) as pre:
        for params in ({"limit": "1000"}, {"limit": "7", "updated_since": "2026-11-10T00:00:00"}):
            assert (
                get(pre, "/api/v1/enterprises", params).content
                == get(server, "/api/v1/enterprises", params).content
            )
        assert get(pre, "/api/v1/licenses").content == get(server, "/api/v1/licenses").content
