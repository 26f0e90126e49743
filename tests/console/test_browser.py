"""The console in a real browser (Playwright driving Debian's headless Chromium): each
role signs in and completes its page's task; each test saves a screenshot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from console_hub import Hub, sign_in

from tongban.identifiers.id_number import id_check_char

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()


def shot(page: Any, hub: Hub, name: str) -> None:
    page.screenshot(path=str(hub.shots / f"{name}.png"), full_page=True)


def _fixable(hub: Hub) -> tuple[dict[str, Any], str, str]:
    """An open record held for a wrong ID check character, the field and its fix."""
    for entry in hub.store.quarantined(source="gongan_population", rule="id_number.checksum"):
        for field, value in entry["raw"].items():
            text = str(value or "").strip()
            if len(text) == 18 and text[:17].isdigit():
                return entry, field, text[:17] + id_check_char(text[:17])
    raise AssertionError("the sandbox held back no record for a wrong ID check character")


def test_reviewer_fixes_and_reprocesses_a_record_and_sees_it_land(page: Any, hub: Hub) -> None:
    entry, field, fixed = _fixable(hub)
    sign_in(page, hub, "reviewer")
    page.goto(f"{hub.url}/quality/quarantine?source=gongan_population&rule=id_number.checksum")
    page.click(f"#quarantine-list a[href$='/quality/quarantine/{entry['id']}']")
    assert "id_number.checksum" in page.inner_text("main")
    page.select_option("#fix-field", field)
    page.fill("#fix-value", fixed)
    page.fill("#fix-why", "核对户籍原件，校验位录入错误")
    page.click("form[action$='/fix'] button[type=submit]")
    page.wait_for_selector("#outcome")
    assert fixed in page.inner_text("main")  # the trail: old and new value, by whom, why
    page.click("form[action$='/reprocess'] button[type=submit]")
    page.wait_for_selector("#landed")
    assert page.inner_text("#entry-status") == "已修正"
    shot(page, hub, "reviewer-reprocessed")
    page.click("#landed")
    page.wait_for_selector("#fields")
    assert fixed in page.inner_text("h1")
    assert "shenhe" in page.inner_text("#fields")  # the correction is in the provenance
    shot(page, hub, "reviewer-landed-record")
    assert hub.store.get("person", fixed) is not None
    assert hub.store.quarantine_entry(entry["id"])["status"] == "fixed"


def test_engineer_starts_a_sync_and_watches_it_finish(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "engineer")
    page.goto(f"{hub.url}/sources")
    page.click("form[action$='/sources/renshe_insurance/sync'] button")
    page.wait_for_url(re.compile(r".*/console/jobs/[0-9a-f]+$"))
    page.wait_for_selector("[data-field=status].succeeded", timeout=120_000)
    read = int(page.inner_text("[data-count=read]"))
    assert read > 0
    assert page.is_visible("a[data-field=run]")
    shot(page, hub, "engineer-sync-finished")
    page.click("a[data-field=run]")
    assert "renshe_insurance" in page.inner_text("h1")
    runs = hub.store.runs(source="renshe_insurance", limit=1)
    assert runs and runs[0]["status"] == "succeeded" and runs[0]["read"] == read
    assert any(e["action"] == "sync.start" for e in hub.console.users.events(actor="gongcheng"))


def test_a_reporter_is_refused_the_review_pages(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "reporter")
    response = page.goto(f"{hub.url}/quality/quarantine")
    assert response.status == 403
    assert "无权访问" in page.inner_text("h1")
    shot(page, hub, "reporter-refused")
    assert page.goto(f"{hub.url}/quality").status == 200


def test_golden_record_with_history_as_of_and_conflicts(page: Any, hub: Hub) -> None:
    from sqlalchemy import select

    from tongban.store import schema

    with hub.store.engine.connect() as conn:
        key = conn.execute(
            select(schema.merge_conflict.c.entity_key).where(
                schema.merge_conflict.c.entity == "person"
            )
        ).scalar()
    assert key, "the sandbox's sources disagree about someone"
    sign_in(page, hub, "reviewer")
    page.goto(f"{hub.url}/records")
    page.fill("#key", key)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#conflicts")
    assert "gongan_population" in page.inner_text("#fields")
    conflicts = page.locator("#conflicts tbody tr").count()
    assert conflicts >= 1 and "没有冲突" not in page.inner_text("#conflicts")
    shot(page, hub, "reviewer-golden-record")
    page.fill("#as_of", "2000-01-01")
    page.click("main form[method=get] button[type=submit]")
    assert "平台尚无此记录" in page.inner_text("main")


def test_admin_verifies_and_revokes_an_e_license(page: Any, hub: Hub, tmp_path: Any) -> None:
    identifier = _any_license(hub)
    pdf, jws = tmp_path / "license.pdf", tmp_path / "license.jws"
    pdf.write_bytes(hub.console.vault.document(identifier, "pdf"))
    jws.write_bytes(hub.console.vault.document(identifier, "jws"))
    holder = hub.console.vault.show(identifier).holder_id
    sign_in(page, hub, "admin")
    page.goto(f"{hub.url}/licenses")
    page.fill("#q", holder)
    page.click("main form[method=get] button[type=submit]")
    page.click(f"#license-results a[href$='{identifier}']")
    got = page.request.get(f"{hub.url}/licenses/{identifier}/document.pdf")
    assert got.ok and got.body()[:5] == b"%PDF-"
    page.goto(f"{hub.url}/licenses")
    page.set_input_files("#document", str(pdf))
    page.click("form[enctype] button[type=submit]")
    assert "验证通过" in page.inner_text("#verdict")
    page.goto(f"{hub.url}/licenses")
    page.set_input_files("#document", str(jws))
    page.click("form[enctype] button[type=submit]")
    assert "验证通过" in page.inner_text("#verdict") and "jws" in page.inner_text("main")
    page.goto(f"{hub.url}/licenses/{identifier}")
    page.fill("#reason", "持证企业已注销")
    page.click("form[action$='/revoke'] button[type=submit]")
    page.wait_for_selector("#license-status.revoked")
    shot(page, hub, "admin-license-revoked")
    page.goto(f"{hub.url}/licenses")
    page.set_input_files("#document", str(pdf))
    page.click("form[enctype] button[type=submit]")
    assert "验证未通过" in page.inner_text("#verdict")
    assert "license.revoked" in page.inner_text("#reasons")


def _any_license(hub: Hub) -> str:
    from sqlalchemy import select

    from tongban.store import schema

    with hub.store.engine.connect() as conn:
        found = conn.execute(
            select(schema.elicense.c.identifier).where(schema.elicense.c.status == "valid")
        ).scalar()
    assert found, "no e-license was issued"
    return str(found)
