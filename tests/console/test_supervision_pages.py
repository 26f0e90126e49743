"""The supervision board and the period report in the browser: a reporter sees the open
cases by red and yellow card with their working-day clocks, opens November's report
with its charts, and downloads its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_hub import Hub, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cases(hub: Hub) -> int:
    """November 2026's cases as the demo reports them, swept for cards."""
    from cli.demo_cases import CLIENT, NOW, _month
    from exchange.cases import record_events
    from exchange.supervision import supervise

    people = hub.store.keys("person", limit=20)
    companies = hub.store.keys("enterprise", limit=10)
    month = _month(people, companies, seed=7)
    for events in month:
        record_events(hub.store, CLIENT, events, now=NOW)
    supervise(hub.store, now=NOW)
    return len(month)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()


def test_reporter_reads_the_board_and_the_report_and_downloads_the_csv(
    page: Any, hub: Hub, cases: int
) -> None:
    from sqlalchemy import func, select

    from tongban.store import schema

    with hub.store.engine.connect() as conn:
        open_cases = conn.execute(
            select(func.count()).where(schema.service_case.c.stage != "concluded")
        ).scalar_one()
    sign_in(page, hub, "reporter")
    page.goto(f"{hub.url}/supervision")
    shown = sum(
        page.locator(f"#column-{kind} .case-card").count() for kind in ("red", "yellow", "on_time")
    )
    assert shown == open_cases > 0
    assert page.locator("#column-red .case-card").count() > 0  # November's cases are late now
    assert "工作日" in page.inner_text("#board")
    page.screenshot(path=str(hub.shots / "reporter-supervision-board.png"), full_page=True)

    page.goto(f"{hub.url}/reports?period=2026-11")
    total = page.locator("#report-total td").nth(3).inner_text()
    assert int(total) == cases  # received, all of November's cases
    frame = page.frame_locator("#report-charts")
    assert frame.locator("img").count() >= 1  # the report's charts, inline PNG
    page.screenshot(path=str(hub.shots / "reporter-report.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#csv")
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and "received" in rows[0]
    assert int(rows[-1]["received"]) == cases  # the totals row


def test_an_engineer_may_not_open_the_board(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "engineer")
    assert page.goto(f"{hub.url}/supervision").status == 403
    assert page.goto(f"{hub.url}/reports").status == 403
