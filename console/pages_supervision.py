"""The supervision board and the period report, for reporters (and administrators).

The board puts the open cases in three columns (red card, yellow card, on time), each
with its working-day clock read on the official holiday calendar (``read_clock``): the
promised limit, the days used, the days left and the deadline. A case's column is the
worst of the cards raised and the cards its clock earns today (``due_cards``, the
sweep's own rule), so the board is current between sweeps. The report is
``exchange.reports.period_report``: its totals on the page, the HTML with its charts and
the CSV as ``write_report`` writes them, served from ``<data dir>/reports``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from tongban.errors import TongbanError
from tongban.store import schema

if TYPE_CHECKING:
    from console.app import Console

READERS = ("reporter",)
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def board(console: Console, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Open cases by their worst card, each with its clock."""
    from exchange.cases import service_items
    from exchange.supervision import SupervisionSettings, due_cards, local_date, read_clock

    now = now or datetime.now(UTC)
    cal = SupervisionSettings().calendar()
    items = service_items()
    sc, cc = schema.service_case, schema.case_card
    with console.store.engine.connect() as conn:
        cases = [dict(r) for r in conn.execute(
            select(sc).where(sc.c.stage != "concluded").order_by(sc.c.received_at).limit(500)
        ).mappings()]  # fmt: skip
        cards: dict[str, set[str]] = {}
        for case_no, kind in conn.execute(
            select(cc.c.case_no, cc.c.kind).where(cc.c.case_no.in_([c["case_no"] for c in cases]))
        ):
            cards.setdefault(case_no, set()).add(kind)
    columns: dict[str, list[dict[str, Any]]] = {"red": [], "yellow": [], "on_time": []}
    for case in cases:
        item = items.get(case["item_code"])
        clock = None
        if item is not None and case["accepted_at"] is not None:
            accepted = case["accepted_at"]
            clock = read_clock(
                cal, limit=item.time_limit_days,
                accepted_at=accepted if accepted.tzinfo else accepted.replace(tzinfo=UTC),
                suspensions=case["suspensions"] or [],
                suspended_at=case["suspended_at"], concluded_at=None, today=local_date(now),
            )  # fmt: skip
        kinds = set(cards.get(case["case_no"], set()))
        if clock is not None and item is not None:  # what the clock says today, swept or not
            kinds |= {c.kind for c in due_cards(case, item, cal, now, set())}
        row = {
            **case,
            "item_name": item.name if item else "",
            "clock": clock,
            "cards": sorted(kinds),
        }
        worst = (
            "red"
            if kinds & {"red", "extra_material"}
            else "yellow"
            if "yellow" in kinds
            else "on_time"
        )
        columns[worst].append(row)
    return columns


def router(console: Console) -> APIRouter:
    r = APIRouter()

    def reports_dir() -> Path:
        return console.settings.data_dir / "reports"

    @r.get("/supervision", response_class=HTMLResponse)
    def supervision(request: Request) -> Response:
        session = console.sessions.require(request, *READERS)
        return console.render(request, "supervision.html", session, columns=board(console))

    def build(period: str) -> Any:
        from exchange.reports import period_report, write_report
        from exchange.supervision import SupervisionSettings

        report = period_report(console.store, period, calendar=SupervisionSettings().calendar())
        csv_path, html_path = write_report(report, reports_dir() / period)
        return report, csv_path, html_path

    @r.get("/reports", response_class=HTMLResponse)
    async def reports(request: Request, period: str = "") -> Response:
        session = console.sessions.require(request, *READERS)
        period = period or datetime.now(UTC).strftime("%Y-%m")
        if not _PERIOD.match(period):
            return console.render(request, "message.html", session, status_code=400,
                                  message=f"period {period!r}: a month as YYYY-MM")  # fmt: skip
        try:
            report, _, _ = await run_in_threadpool(build, period)
        except TongbanError as exc:
            return console.render(request, "message.html", session, status_code=400,
                                  message=str(exc))  # fmt: skip
        from exchange.reports import COLUMNS

        return console.render(request, "reports.html", session, period=period, report=report,
                              columns=COLUMNS)  # fmt: skip

    @r.get("/reports/{period}/{name}")
    def report_file(request: Request, period: str, name: str) -> Response:
        console.sessions.require(request, *READERS)
        if not _PERIOD.match(period):
            return Response(status_code=404)
        directory = reports_dir() / period
        found = [p for p in directory.glob("*") if p.name == name] if directory.is_dir() else []
        if not found or found[0].suffix not in (".csv", ".html"):
            return Response(status_code=404)
        if found[0].suffix == ".csv":
            return FileResponse(found[0], media_type="text/csv; charset=utf-8",
                                filename=f"tongban-report-{period}.csv")  # fmt: skip
        return FileResponse(found[0], media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": "default-src 'none';"
                                     " img-src data:; style-src 'unsafe-inline'"})  # fmt: skip

    return r
