"""The monthly report: its HTML opens in headless Chromium and shows the numbers the
store holds, worked out here again straight from the tables (and the item catalog's
YAML), not through the report code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import chinese_calendar
import pytest
import yaml
from report_cases import november
from sqlalchemy import text

from exchange.reports import period_report, write_report
from exchange.supervision import HolidayCalendar
from tongban.store import Store

CHROMIUM = Path("/usr/bin/chromium")
CST = timezone(timedelta(hours=8))
COUNTED = ("received", "online", "concluded", "on_time", "forwarded", "forward_answered",
           "ratings", "proofs_spared", "yellow", "red", "extra_material", "repeated")  # fmt: skip
START, END = datetime(2026, 11, 1, tzinfo=CST), datetime(2026, 12, 1, tzinfo=CST)


def _t(value: object) -> datetime | None:
    if value is None:
        return None
    v = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def _in(value: object) -> bool:
    v = _t(value)
    return v is not None and START <= v < END


def _working_days(accepted: datetime, concluded: datetime, pauses: list) -> int:
    """Days after acceptance through conclusion that are working days and end unpaused."""
    paused = set()
    for a, b in pauses:
        d = _t(a).astimezone(CST).date()  # type: ignore[union-attr]
        while d < _t(b).astimezone(CST).date():  # type: ignore[union-attr]
            paused.add(d)
            d += timedelta(1)
    first, last = accepted.astimezone(CST).date(), concluded.astimezone(CST).date()
    days = [first + timedelta(n) for n in range(1, (last - first).days + 1)]
    return sum(1 for d in days if chinese_calendar.is_workday(d) and d not in paused)


def _expected(store: Store) -> dict[tuple[str, str], dict[str, float | int | None]]:
    catalog = yaml.safe_load(resources.files("exchange").joinpath("service_items.yaml")
                             .read_text(encoding="utf-8"))["items"]  # fmt: skip
    items = {i["code"]: i for i in catalog}
    with store.engine.connect() as conn:
        cases = conn.execute(text("SELECT * FROM service_case")).mappings().all()
        cards = conn.execute(text(
            "SELECT s.department, s.item_code, c.kind, c.raised_at FROM case_card c"
            " JOIN service_case s ON s.case_no = c.case_no")).all()  # fmt: skip
    out: dict[tuple[str, str], dict] = {}
    for c in cases:
        row = out.setdefault((c["department"], c["item_code"]), {
            **dict.fromkeys(COUNTED, 0), "_days": [], "_scores": []})  # fmt: skip
        item = items[c["item_code"]]
        if _in(c["received_at"]):
            row["received"] += 1
            row["online"] += c["channel"] == "online"
            row["proofs_spared"] += sum(
                1 for m in item["materials"] if m.get("resource") or m.get("license_type")
            )
        if _in(c["concluded_at"]):
            used = _working_days(_t(c["accepted_at"]), _t(c["concluded_at"]),  # type: ignore[arg-type]
                                 c["suspensions"] if isinstance(c["suspensions"], list)
                                 else yaml.safe_load(c["suspensions"]))  # fmt: skip
            row["concluded"] += 1
            row["on_time"] += used <= item["time_limit_days"]
            row["_days"].append(used)
        if _in(c["forwarded_at"]):
            row["forwarded"] += 1
            row["forward_answered"] += c["forward_answered_at"] is not None
        if _in(c["rated_at"]):
            row["ratings"] += 1
            row["_scores"].append(c["rating"])
    for department, code, kind, raised in cards:
        if _in(raised):
            out[(department, code)][kind] += 1
    for row in out.values():
        days, scores = row.pop("_days"), row.pop("_scores")
        row["avg_working_days"] = round(sum(days) / len(days), 2) if days else None
        row["rating_avg"] = round(sum(scores) / len(scores), 2) if scores else None
    return out


def _shown(page) -> dict[tuple[str, str], dict[str, str]]:  # type: ignore[no-untyped-def]
    rows = page.eval_on_selector_all(
        "tr[data-row]",
        "rows => rows.map(r => Object.fromEntries([...r.querySelectorAll('td')]"
        ".map(td => [td.dataset.metric, td.dataset.value])))",
    )
    return {(r["department"], r["item_code"]): r for r in rows}


def test_the_html_report_opens_in_chromium_and_matches_the_store(store: Store, tmp_path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/test installs it as root)")
    from playwright.sync_api import sync_playwright

    november(store)
    report = period_report(store, "2026-11", calendar=HolidayCalendar())
    _, html_path = write_report(report, tmp_path / "reports")
    expected = _expected(store)
    # The month has each kind of figure at least once, so none is checked only as zero.
    total = {k: sum(r[k] or 0 for r in expected.values()) for k in next(iter(expected.values()))}
    assert all(total[k] for k in ("yellow", "red", "extra_material", "repeated", "forwarded",
                                  "forward_answered", "ratings", "on_time"))  # fmt: skip
    assert total["concluded"] > total["on_time"]

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(html_path.as_uri())
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert page.inner_text("#period") == "2026-11"
            charts = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            shown = _shown(page)
            totals = page.eval_on_selector(
                "tr[data-total]",
                "r => Object.fromEntries([...r.querySelectorAll('td')]"
                ".map(td => [td.dataset.metric, td.dataset.value]))",
            )
        finally:
            browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert len(charts) == 3 and all(w > 100 for w in charts)  # the charts drew, offline
    assert set(shown) == set(expected)
    for key, want in expected.items():
        for metric, value in want.items():
            got = shown[key][metric]
            assert got == ("" if value is None else str(value)), (key, metric, got, value)
    for metric in ("received", "concluded", "on_time", "red", "yellow", "proofs_spared"):
        assert totals[metric] == str(total[metric]), metric


def test_a_bad_period_is_refused_plainly(store: Store) -> None:
    with pytest.raises(Exception, match=r"period '2026-13': expected a month as YYYY-MM"):
        period_report(store, "2026-13", calendar=HolidayCalendar())


def test_a_case_in_another_month_stays_out(store: Store) -> None:
    november(store)
    october = period_report(store, "2026-10", calendar=HolidayCalendar())
    assert october.totals["received"] == 1 and october.totals["concluded"] == 0
    assert date(2026, 11, 1) > date(2026, 10, 20)
