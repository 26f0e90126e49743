"""The 住建 qualification registry: answers only "changed between A and B" (31 days at
most), pages by Link header, nests certificates and staff, and serves its OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from sandbox import DirtRates, World
from sandbox.construction import OPENAPI, PATH, SOURCE, ConstructionServer

WORLD = World(seed=3, people=60, enterprises=40)
TIMELINE = WORLD.timeline(SOURCE, WORLD.enterprises)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with ConstructionServer(WORLD, DirtRates.none(), api_key="key") as server:
        yield server.url


def _get(url: str, params: dict[str, str], key: str = "key") -> requests.Response:
    return requests.get(url + PATH, params=params, headers={"X-Api-Key": key}, timeout=10)


def _window(days: int = 31) -> dict[str, str]:
    start = TIMELINE.start
    return {"updated_from": start.isoformat(),
            "updated_to": (start + timedelta(days=days)).isoformat()}  # fmt: skip


def test_link_pages_cover_a_window_once_in_change_order(url):
    response = _get(url, {**_window(), "limit": "7"})
    seen, changed = [], []
    while True:
        assert response.status_code == 200
        items = response.json()["data"]["list"]
        seen += [i["id"] for i in items]
        changed += [i["updated_at"] for i in items]
        nxt = response.links.get("next", {}).get("url")
        if nxt is None:
            break
        response = requests.get(nxt, headers={"X-Api-Key": "key"}, timeout=10)
    assert sorted(seen) == sorted(f"ZJ{i:08d}" for i in range(WORLD.enterprises))
    assert changed == sorted(changed)


def test_windows_are_half_open(url):
    edge = TIMELINE.slot_time(3)
    before = _get(url, {"updated_from": TIMELINE.start.isoformat(),
                        "updated_to": edge.isoformat(), "limit": "1000"})  # fmt: skip
    later = (edge + timedelta(days=1)).isoformat()
    after = _get(url, {"updated_from": edge.isoformat(), "updated_to": later, "limit": "1000"})
    early = [i["updated_at"] for i in before.json()["data"]["list"]]
    late = [i["updated_at"] for i in after.json()["data"]["list"]]
    assert early and late and edge.isoformat() in late and edge.isoformat() not in early


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"updated_from": "2026-11-01T00:00:00+08:00"}, "缺少参数 updated_to"),
        ({**_window(32)}, "查询时间跨度须在 0 到 31 天之间"),
        ({**_window(), "limit": "0"}, "limit 须在 1 到 1000 之间"),
    ],
)
def test_bad_requests_say_why(url, params, said):
    response = _get(url, params)
    assert response.status_code == 400 and said in response.json()["message"]


def test_a_wrong_key_is_refused_with_the_systems_message(url):
    response = _get(url, _window(), key="nope")
    assert response.status_code == 401 and response.json()["message"] == "API Key 无效或已停用"


def test_records_nest_certificates_and_staff_as_the_openapi_says(url):
    assert requests.get(url + "/openapi.json", timeout=10).json() == OPENAPI
    items = _get(url, {**_window(), "limit": "1000"}).json()["data"]["list"]
    declared = set(OPENAPI["components"]["schemas"]["Enterprise"]["properties"])
    assert all(set(i) == declared for i in items)
    assert all(i["qualifications"] for i in items)
    assert any(len(i["registered_staff"]) > 1 for i in items)
    e = WORLD.enterprise(0)
    [first] = [i for i in items if i["id"] == "ZJ00000000"]
    assert first["uscc"] == e.credit_code and first["legal_rep"]["name"] == e.legal_rep_name
