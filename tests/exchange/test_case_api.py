"""Case intake and the progress lookup over HTTP, on the exchange app (uvicorn, PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest
from case_events import MATERNITY, event, full_case, id_number
from conftest import Api

pytestmark = pytest.mark.postgres


def _post(api: Api, path: str, headers: dict[str, str], body: object) -> httpx.Response:
    return httpx.post(api.base + path, headers=headers, json=body, timeout=30)


def test_events_in_a_batch_one_at_a_time_and_a_rating(api: Api) -> None:
    h = api.client("case-intake")
    events = full_case("API-1", "2026-11-02")
    r = _post(api, "/v1/cases/events/batch", h, {"events": events[:3]})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 3 and "X-Audit-Seq" in r.headers
    r = _post(api, "/v1/cases/events", h, events[3])
    assert r.json()["outcomes"] == ["stored"]
    again = _post(api, "/v1/cases/events/batch", h, {"events": events})
    assert again.json()["duplicates"] == 4  # a resend is harmless
    rating = {"event_id": "API-1-r", "at": "2026-11-03T09:00:00+08:00", "score": 5}
    assert _post(api, "/v1/cases/API-1/rating", h, rating).json()["stored"] == 1
    twice = _post(api, "/v1/cases/API-1/rating", h, {**rating, "event_id": "API-1-r2"})
    assert twice.status_code == 422 and twice.json()["error"] == "rating.once"
    entries = [e for e in api.hub.audit.recent(limit=20) if e["client_id"] == "case-intake"]
    assert {e["resource"] for e in entries} >= {"case_event", "case_rating"}
    assert any(e["outcome"] == "refused" and e["reason"] == "rating.once" for e in entries)


def test_a_bad_event_is_refused_with_its_rule_and_nothing_is_stored(api: Api) -> None:
    h = api.client("case-bad")
    events = full_case("API-2", "2026-11-02")
    r = _post(api, "/v1/cases/events/batch", h, {"events": [events[0], events[2]]})
    assert r.status_code == 422
    assert r.json()["error"] == "event.stage_order" and "event 1 (API-2-3)" in r.json()["message"]
    r = _post(api, "/v1/cases/events", h, {"type": "accepted", "case_no": "API-2"})
    assert r.status_code == 422 and r.json()["error"] == "event.shape"
    progress = {**h, "X-Case-Number": "API-2"}
    assert httpx.get(f"{api.base}/v1/cases/API-2/progress", headers=progress,
                     params={"id_number": id_number(1)}).status_code == 404  # fmt: skip
    assert _post(api, "/v1/cases/events", {}, events[0]).status_code == 401


def test_progress_for_the_applicant_and_no_one_else(api: Api) -> None:
    h = api.client("case-portal")
    events = [
        *full_case("API-3", "2026-11-02")[:2],
        event("correction", "API-3", "2026-11-02 10:00", 3, materials=["医学诊断证明"]),
    ]
    assert _post(api, "/v1/cases/events/batch", h, {"events": events}).status_code == 200
    asked = {**h, "X-Service-Item": MATERNITY, "X-Case-Number": "API-3"}
    r = httpx.get(f"{api.base}/v1/cases/API-3/progress", headers=asked,
                  params={"id_number": id_number(1)})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["name"] for s in body["steps"]] == ["收件", "受理", "补正"]
    assert body["time_limit_days"] == 10 and body["deadline"] == "2026-11-16"
    other = httpx.get(f"{api.base}/v1/cases/API-3/progress", headers=asked,
                      params={"id_number": id_number(2)})  # fmt: skip
    assert other.status_code == 404 and other.json()["error"] == "case.not_found"
    wrong = httpx.get(f"{api.base}/v1/cases/API-1/progress", headers=asked,
                      params={"id_number": id_number(1)})  # fmt: skip
    assert wrong.status_code == 403 and wrong.json()["error"] == "purpose.case_mismatch"
