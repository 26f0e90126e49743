"""Exchange administration and the citizen's page, in the browser, on the app `tongban
serve` composes (the exchange API with the console mounted in it): an administrator
registers a client and grants it a conditional resource, and the API then answers that
client; a citizen proves who they are with the sandbox's one-time code and sees the
entries of their audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from console_hub import Hub, sign_in

pytestmark = pytest.mark.slow

ITEM = "11110000RS0201"  # 生育津贴申领: needs the marriage record, a conditional resource
CASE = "RS20261204000123"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()


def _married_person(hub: Hub) -> str:
    for key in hub.store.keys("person", limit=500):
        origin = (hub.store.get("person", key) or {}).get("provenance", {}).get("marital_status")
        if origin and origin.get("source") == "minzheng_marriage":
            return key
    raise AssertionError("no person has a marriage record from minzheng_marriage")


def _ask(hub: Hub, key: str, id_number: str) -> httpx.Response:
    api = hub.url.removesuffix("/console")
    headers = {"X-API-Key": key, "X-Service-Item": ITEM, "X-Case-Number": CASE,
               "X-Operator": "liu-0042"}  # fmt: skip
    return httpx.get(f"{api}/v1/people/{id_number}/marriage", headers=headers, timeout=60)


def test_admin_grants_a_client_and_the_api_then_answers_it(page: Any, hub: Hub) -> None:
    person = _married_person(hub)
    sign_in(page, hub, "admin")
    page.goto(f"{hub.url}/exchange")
    page.fill("#client_id", "shengyu-sp")
    page.fill("#client_name", "生育津贴审批系统")
    page.fill("#client_department", "人力资源和社会保障局")
    page.click("#add-client button[type=submit]")
    key = page.inner_text("#new-key").strip()
    assert key and "shengyu-sp" in page.inner_text("#client-list")

    refused = _ask(hub, key, person)
    assert refused.status_code == 403, refused.text  # no grant for a conditional resource yet

    page.select_option("#grant_client", "shengyu-sp")
    page.select_option("#grant_resource", "marriage")
    page.fill("#grant_items", ITEM)
    page.fill("#grant_fields", "name, marital_status")
    page.fill("#grant_days", "30")
    page.fill("#grant_basis", "人社〔2026〕12号 共享申请批复")
    page.click("#add-grant button[type=submit]")
    page.wait_for_selector("#grant-list td:has-text('shengyu-sp')")
    shot = hub.shots / "admin-exchange-grant.png"
    page.screenshot(path=str(shot), full_page=True)

    answered = _ask(hub, key, person)
    assert answered.status_code == 200, answered.text
    assert answered.json()["data"]["marital_status"]

    page.goto(f"{hub.url}/exchange/audit?case={CASE}")
    rows = page.locator("#audit-list tbody tr")
    assert rows.count() == 2
    text = page.inner_text("#audit-list")
    assert "shengyu-sp" in text and "已提供" in text and "已拒绝" in text
    assert hub.console.exchange.anchor() is not None  # as the API's interval thread does
    page.click("form[action$='/exchange/audit/check'] button")
    assert "审计链完整" in page.inner_text("#chain")
    assert page.get_attribute("#chain", "data-state") == "intact"
    page.screenshot(path=str(hub.shots / "admin-audit-chain.png"), full_page=True)
    actions = {e["action"] for e in hub.console.users.events(actor="guanli")}
    assert {"exchange.client.add", "exchange.grant.add", "exchange.audit.check"} <= actions


def test_a_reviewer_may_not_administer_the_exchange(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "reviewer")
    assert page.goto(f"{hub.url}/exchange").status == 403
    assert page.goto(f"{hub.url}/exchange/audit").status == 403


def test_a_citizen_sees_who_looked_at_their_data(page: Any, hub: Hub) -> None:
    person = _married_person(hub)
    _client, key = hub.console.exchange.clients.add("minzheng-cx", "婚姻登记查询系统",
                                                   department="民政局")  # fmt: skip
    assert key is not None
    hub.console.exchange.grants.add("minzheng-cx", "marriage", service_items=[ITEM],
                                    fields=["name", "marital_status"], approved_by="test",
                                    days=1)  # fmt: skip
    assert _ask(hub, key, person).status_code == 200

    page.goto(f"{hub.url}/citizen")
    page.fill("#id_number", person)
    page.click("main form button[type=submit]")
    code = page.inner_text("#sandbox-code").strip()
    assert len(code) == 6 and code.isdigit()
    page.fill("#code", code)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#accesses")
    table = page.inner_text("#accesses")
    assert "婚姻登记查询系统" in table and CASE in table and "生育津贴申领" in table
    assert person not in page.content()  # the page shows the number masked
    page.screenshot(path=str(hub.shots / "citizen-accesses.png"), full_page=True)

    # A new code: five wrong tries void it, and then even the right one is refused.
    page.goto(f"{hub.url}/citizen")
    page.fill("#id_number", person)
    page.click("main form button[type=submit]")
    right = page.inner_text("#sandbox-code").strip()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = page.request.post(f"{hub.url}/citizen/verify", form={"code": wrong})
        assert response.status == 401
    response = page.request.post(f"{hub.url}/citizen/verify", form={"code": right})
    assert response.status == 401
