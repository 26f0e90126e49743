"""No network beyond the hub: with every request to another host blocked, the Data Docs
and the console's pages list the validation results, styled. The pages pass axe-core
with no serious violation and render at phone width without losing content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from console_hub import Hub, sign_in

pytestmark = pytest.mark.slow

SERIOUS = ("serious", "critical")


@pytest.fixture
def offline_page(browser: Any, hub: Hub) -> Iterator[tuple[Any, list[str]]]:
    """A page whose every request outside the hub is recorded and aborted."""
    hub_host = urlsplit(hub.url).netloc
    elsewhere: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == hub_host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page, elsewhere
    context.close()


def _background(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor"))


def test_data_docs_and_console_work_with_nothing_outside_the_hub(
    offline_page: tuple[Any, list[str]], hub: Hub
) -> None:
    page, elsewhere = offline_page
    sign_in(page, hub, "reviewer")
    page.goto(f"{hub.url}/quality")
    rows = page.locator("#validations tbody tr")
    assert rows.count() >= 3 and "gongan_population" in page.inner_text("#validations")
    assert _background(page, "header.top") == "rgb(139, 26, 26)"  # the hub's stylesheet
    page.screenshot(path=str(hub.shots / "offline-console-quality.png"), full_page=True)

    page.goto(f"{hub.url}/docs/index.html")
    results = page.locator("table.ge-index-page-validation-results-table tbody tr")
    assert results.count() >= 3
    assert "gongan_population" in page.inner_text("table.ge-index-page-validation-results-table")
    assert "Clear Filters" not in page.content()
    assert _background(page, "table.docs-table thead th") == "rgb(246, 248, 250)"  # styled
    page.screenshot(path=str(hub.shots / "offline-data-docs-index.png"), full_page=True)
    # The filter box works without jQuery.
    page.fill(".docs-filter", "scjg_enterprise")
    visible = [r for r in results.all() if r.is_visible()]
    assert visible and all("scjg_enterprise" in r.inner_text() for r in visible)
    page.fill(".docs-filter", "")
    # A validation result opens and shows its expectations, styled.
    results.first.locator("a").first.click()
    page.wait_for_load_state()
    assert "/validations/" in page.url
    assert page.locator(".card, .table").count() > 0
    page.screenshot(path=str(hub.shots / "offline-data-docs-validation.png"), full_page=True)
    assert elsewhere == []  # no request to another host was even attempted


PAGES = {
    "reviewer": ["/", "/quality", "/quality/quarantine", "/records", "/held"],
    "engineer": ["/sources", "/runs", "/licenses"],
    "admin": ["/users", "/events", "/exchange", "/exchange/audit", "/supervision"],
}


def _deep_links(hub: Hub) -> list[str]:
    entry = hub.store.quarantined(limit=1, status=None)[0]
    person = hub.store.keys("person", limit=1)[0]
    runs = hub.store.runs(limit=1)
    return [
        f"/quality/quarantine/{entry['id']}",
        f"/records/person/{person}",
        f"/runs/{runs[0]['run_id']}",
    ]


def test_pages_have_no_serious_accessibility_violations(browser: Any, hub: Hub) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.url}/login")
    pages = [("", "/login"), ("", "/citizen")]
    for role, paths in PAGES.items():
        pages += [(role, p) for p in paths]
    pages += [("reviewer", p) for p in _deep_links(hub)]
    signed_in = ""
    for role, path in pages:
        if role and role != signed_in:
            context.clear_cookies()
            sign_in(page, hub, role)
            signed_in = role
        page.goto(hub.url + path)
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in results.response["violations"]
            if v.get("impact") in SERIOUS
        ]
        if bad:
            found[path] = bad
    page.screenshot(path=str(hub.shots / "a11y-last-page.png"), full_page=True)
    context.close()
    assert found == {}


def test_phone_width_keeps_every_column(browser: Any, hub: Hub) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    sign_in(page, hub, "reviewer")
    for path, name in (("/quality/quarantine", "phone-quarantine"), ("/quality", "phone-quality")):
        page.goto(hub.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375 + 1, f"{path} is {width}px wide at phone width"
        # Every cell of the table shows, labelled by its column.
        cells = page.locator("table.cards tbody tr").first.locator("td")
        assert cells.count() >= 3
        for i in range(cells.count()):
            cell = cells.nth(i)
            assert cell.is_visible()
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 376
        page.screenshot(path=str(hub.shots / f"{name}.png"), full_page=True)
    nav = page.locator("header.top nav a")
    assert all(nav.nth(i).is_visible() for i in range(nav.count()))
    context.close()
