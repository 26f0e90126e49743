"""The cases part of ``tongban demo``: a small month of cases from an approval system,
through intake, the outbox to the sandbox provincial platform and e-supervision, the
supervision sweep, a progress lookup and the monthly report.

The month is November 2026 and the clock stands at its last afternoon, so the run is
the same whenever it is made; applicants are people and enterprises the demo synced.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from rich.table import Table

from cli._common import console, fail, state
from tongban.store import Store

__all__ = ["run_cases_demo"]

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 30, 17, 30, tzinfo=CST)
CLIENT = "qlb-zwfw"  # the approval system (全流程审批系统) reporting the cases


def _at(day: datetime, hours: float) -> str:
    return (day + timedelta(hours=hours)).isoformat()


def _month(people: list[str], companies: list[str], seed: int) -> list[list[dict[str, Any]]]:
    """Cases received on November's working days, each moved as far as it got by NOW."""
    from exchange.cases import service_items
    from exchange.supervision import HolidayCalendar

    rng, cal = random.Random(seed), HolidayCalendar()
    items = list(service_items().values())
    days = [datetime(2026, 11, d, 9, tzinfo=CST) for d in range(2, 31)]
    days = [d for d in days if cal.is_workday(d.date())]
    cases = []
    for n in range(36):
        day, item = days[n * len(days) // 36], items[n % len(items)]
        no = f"QLB2026{day:%m%d}{n:04d}"
        pool = companies if item.applicant == "enterprise" else people
        applicant = pool[n % len(pool)]
        events: list[dict[str, Any]] = [
            {
                "type": "received",
                "item_code": item.code,
                "applicant_id": applicant,
                "channel": rng.choice(("online", "online", "counter")),
                "at": _at(day, 0),
            }
        ]
        clock = 0.5
        steps = ["accepted"]
        if rng.random() < 0.85:
            steps.append("reviewed")
        if rng.random() < 0.2:
            steps.insert(1, "suspended")
            steps.insert(2, "resumed")
        if n % 9 == 4:  # asks for one material more than the item lists
            steps.insert(1, "correction")
        if n % 7 == 3:
            steps.insert(1, "forwarded")
        for kind in steps:
            clock += 24 * rng.randint(1, 4) if kind in ("reviewed", "resumed") else 1
            event: dict[str, Any] = {"type": kind, "at": _at(day, clock)}
            if kind == "suspended":
                event["reason"] = "现场核查"
            elif kind == "correction":
                event["materials"] = [item.materials[-1].name, "无犯罪记录证明"]
            elif kind == "forwarded":
                event["to"] = "省级主管部门"
            events.append(event)
            if kind == "forwarded" and n % 2:
                clock += 0.5
                events.append({"type": "forward_answered", "answer": "approved",
                               "at": _at(day, clock)})  # fmt: skip
        if "reviewed" in steps and rng.random() < 0.8:
            events.append({"type": "concluded", "result": "approved", "at": _at(day, clock + 3)})
            if rng.random() < 0.6:
                events.append({"type": "rating", "score": rng.choice((5, 5, 4, 3, 2)),
                               "at": _at(day, clock + 5)})  # fmt: skip
        kept = [e for e in events if datetime.fromisoformat(e["at"]) <= NOW]
        cases.append([{**e, "case_no": no, "event_id": f"{no}-{i}"}
                      for i, e in enumerate(kept, start=1)])  # fmt: skip
    # The same applicant applies for the same item again two days later: flagged.
    first = cases[0][0]
    again = {
        **first,
        "case_no": first["case_no"] + "R",
        "event_id": first["case_no"] + "R-1",
        "at": (datetime.fromisoformat(first["at"]) + timedelta(days=2)).isoformat(),
    }
    cases.append([again])
    return cases


def run_cases_demo(store: Store, *, seed: int = 20261130) -> None:
    """Intake, push, supervise and report a month of cases; fail if anything is off."""
    from exchange.cases import EventRefused, case_progress, record_events
    from exchange.outbox import (
        Dispatcher,
        DispatchOptions,
        HttpReceiver,
        bearer_auth,
        outbox_status,
        province_auth,
    )
    from exchange.reports import period_report, write_report
    from exchange.supervision import CARD_KINDS, SupervisionSettings, list_cards, supervise
    from sandbox import CaseReceiver

    people = store.keys("person", limit=60)
    companies = store.keys("enterprise", limit=20)
    if not people or not companies:
        fail("cases: the store needs people and enterprises to be applicants")
    month = _month(people, companies, seed)
    stored = duplicates = 0
    for events in month:
        result = record_events(store, CLIENT, events, now=NOW)
        stored, duplicates = stored + result.stored, duplicates + result.duplicates
    console.print(f"cases: {len(month)} cases from {CLIENT}, {stored} events stored"
                  f" ({duplicates} sent before)")  # fmt: skip
    bad = {**month[1][0], "type": "concluded", "result": "approved", "event_id": "bad-1",
           "at": NOW.isoformat()}  # fmt: skip
    for key in ("item_code", "applicant_id", "channel"):
        bad.pop(key, None)
    try:
        record_events(store, CLIENT, [bad], now=NOW)
        fail("cases: an event out of order was not refused")
    except EventRefused as exc:
        console.print(f"cases: refused as it should be: {exc}", highlight=False)

    settings = SupervisionSettings()
    sweep = supervise(store, now=NOW, settings=settings)
    console.print(f"supervision: {sweep.checked} cases checked at {NOW:%Y-%m-%d %H:%M},"
                  f" {len(sweep.raised)} yellow/red cards raised")  # fmt: skip

    with CaseReceiver.province("tongban", "province-demo", failure_rate=0.2,
                               hang_seconds=0.4, seed=seed) as province, \
            CaseReceiver.supervision("supervision-demo") as supervision:  # fmt: skip
        receivers = {
            "province": HttpReceiver("province", province.url,
                                     province_auth("tongban", "province-demo"), timeout=0.2),
            "supervision": HttpReceiver("supervision", supervision.url,
                                        bearer_auth("supervision-demo"), timeout=0.2),
        }  # fmt: skip
        options = DispatchOptions(lanes_per_claim=20, backoff_base=0.05, backoff_cap=0.5,
                                  max_attempts=100, poll_seconds=0.05)  # fmt: skip
        workers = [Dispatcher(store, receivers, options, name=f"demo-{i}") for i in range(2)]
        threads = [threading.Thread(target=w.run, kwargs={"until_empty": True})
                   for w in workers]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        p, s = province.stats(), supervision.stats()
    console.print(
        f"pushed: provincial platform {p['messages']} messages ({p['errors_5xx']} 5xx and"
        f" {p['timeouts']} timeouts on the way, {p['duplicates']} duplicates,"
        f" {p['order_violations']} out of order); e-supervision {s['messages']} cards"
    )  # fmt: skip
    left = outbox_status(store)

    cards = Table(title="supervision cards (tongban supervision cards)")
    for col in ("raised", "case", "card", "item", "reason"):
        cards.add_column(col)
    for c in list_cards(store, limit=12):
        cards.add_row(c["raised_at"].astimezone(CST).strftime("%m-%d %H:%M"), c["case_no"],
                      CARD_KINDS[c["kind"]], c["item_code"], c["reason"])  # fmt: skip
    console.print(cards)

    sample = month[2][0]
    progress = case_progress(store, sample["case_no"], sample["applicant_id"],
                             calendar=settings.calendar(), now=NOW)  # fmt: skip
    if progress is None:
        fail(f"cases: progress of {sample['case_no']} not found")
    steps = ", ".join(f"{s['name']} {s['at'][5:16]}" for s in progress["steps"])
    console.print(f"进度可查 {progress['case_no']} ({progress['item']['name']}): {steps};"
                  f" {progress.get('used_days')} of {progress['time_limit_days']} working days"
                  f" used, deadline {progress.get('deadline')}", highlight=False)  # fmt: skip

    from exchange.cases.cli import print_report_summary

    report = period_report(store, "2026-11", calendar=settings.calendar())
    csv_path, html_path = write_report(report, state.settings.data_dir / "reports")
    print_report_summary(report)
    console.print(f"report: {html_path.resolve()}  (CSV: {csv_path.resolve()})",
                  highlight=False, soft_wrap=True)  # fmt: skip
    if left or p["duplicates"] or p["order_violations"] or sweep.problems:
        fail("cases: the push or the sweep did not come out as expected (see above)")
