"""``tongban cases``, ``tongban outbox``, ``tongban supervision`` and ``tongban report``.

The hub mounts these apps (``cli/__init__.py``). The store comes from the hub
settings (``TONGBAN_*``); the receivers and dispatch options from ``TONGBAN_OUTBOX_*``;
the holiday calendar file and thresholds from ``TONGBAN_SUPERVISION_*``.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from tongban.errors import FatalError, RecordError, RetriableError
from tongban.settings import load_settings
from tongban.store import Store
from tongban.terminal import fail, initialised_store, plain_console

__all__ = ["cases_app", "outbox_app", "print_report_summary", "report", "supervision_app"]

cases_app = typer.Typer(help="Cases from approval systems: intake, progress.", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbox to the province and e-supervision.", no_args_is_help=True)
supervision_app = typer.Typer(
    help="E-supervision: the clock's yellow and red cards.", no_args_is_help=True
)
console = plain_console(140)


def _fail(message: str) -> NoReturn:
    fail(console, message, soft_wrap=True)


def _store() -> Store:
    return initialised_store(console, migrate=False)


def _supervision() -> Any:
    from exchange.supervision import SupervisionSettings

    try:
        return SupervisionSettings()
    except ValueError as exc:
        _fail(f"settings: {exc}")


def _read_events(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if text.lstrip().startswith("["):
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as exc:
        _fail(f"{path}: not JSON or JSON lines: {exc}")


@cases_app.command("intake")
def intake(
    path: Annotated[Path, typer.Argument(help="Events: a JSON array or JSON lines.")],
    client: Annotated[str, typer.Option(help="The approval system reporting them.")],
) -> None:
    """Validate and store case events, all or nothing."""
    from exchange.cases import record_events

    store = _store()
    try:
        result = record_events(
            store, client, _read_events(path), repeat_window=_supervision().repeat_window
        )
    except RecordError as exc:
        _fail(f"{path}: nothing stored: {exc}")
    console.print(
        f"{result.stored} events stored, {result.duplicates} sent before;"
        f" {len(result.cards)} cards raised"
    )


@cases_app.command("progress")
def progress(
    case_no: Annotated[str, typer.Argument(help="办件编号")],
    id_number: Annotated[str, typer.Option("--id", help="The applicant's ID number.")],
) -> None:
    """进度可查: a case's stages, deadline and cards, for its applicant."""
    from exchange.cases import case_progress

    settings = _supervision()
    answer = case_progress(_store(), case_no, id_number, calendar=settings.calendar())
    if answer is None:
        _fail(f"no case {case_no} for that applicant")
    console.print_json(json.dumps(answer, ensure_ascii=False))


@outbox_app.command("status")
def status() -> None:
    """Messages waiting and dead, per target."""
    from exchange.outbox import outbox_status

    rows = outbox_status(_store())
    table = Table(title="outbox")
    for col in (
        "target",
        "pending",
        "dead",
        "lanes behind a dead message",
        "leased lanes",
        "attempts",
        "oldest (s)",
    ):
        table.add_column(col, justify="left" if col == "target" else "right")
    for r in rows:
        age = "" if r["oldest_age_s"] is None else f"{r['oldest_age_s']:.0f}"
        table.add_row(
            r["target"],
            str(r["pending"]),
            str(r["dead"]),
            str(r["blocked_lanes"]),
            str(r["leased_lanes"]),
            str(r["attempts"]),
            age,
        )
    console.print(table if rows else "the outbox is empty")


@outbox_app.command("dead")
def dead(limit: Annotated[int, typer.Option(help="How many to list.")] = 50) -> None:
    """Dead letters: messages given up on or refused, with the last error."""
    from exchange.outbox import dead_letters

    rows = dead_letters(_store(), limit=limit)
    table = Table(title="dead letters")
    for col in ("key", "attempts", "last error"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["idempotency_key"], str(r["attempts"]), r["last_error"] or "")
    console.print(table if rows else "no dead letters")


@outbox_app.command("retry")
def retry(
    keys: Annotated[list[str] | None, typer.Argument(help="Idempotency keys; none: all.")] = None,
) -> None:
    """Put dead letters back in line (a message tried before is looked up first)."""
    from exchange.outbox import retry_dead

    n = retry_dead(_store(), keys or None)
    console.print(f"{n} dead messages back in line")


@outbox_app.command("dispatch")
def dispatch(
    until_empty: Annotated[bool, typer.Option(help="Stop when nothing is left to send.")] = False,
    name: Annotated[str | None, typer.Option(help="This dispatcher's name.")] = None,
) -> None:
    """Push the outbox to the provincial platform and e-supervision (run several at once)."""
    from exchange.outbox import Dispatcher, OutboxSettings

    try:
        settings = OutboxSettings()
        dispatcher = Dispatcher(_store(), settings.receivers(), settings, name=name)
    except (ValueError, FatalError) as exc:
        _fail(str(exc))
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the round
    try:
        delivered = dispatcher.run(until_empty=until_empty, stop=stop)
    except (FatalError, RetriableError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        delivered = dispatcher.delivered
    finally:
        signal.signal(signal.SIGTERM, previous)
    console.print(f"{delivered} messages delivered")


@supervision_app.command("sweep")
def sweep() -> None:
    """Raise the yellow and red cards due now, and queue them for e-supervision."""
    from exchange.supervision import supervise

    try:
        result = supervise(_store(), settings=_supervision())
    except FatalError as exc:
        _fail(str(exc))
    console.print(f"{result.checked} cases checked, {len(result.raised)} cards raised")
    for problem in result.problems:
        console.print(Text.assemble(("skipped", "yellow"), f" {problem}"))


@supervision_app.command("cards")
def cards(
    kind: Annotated[str | None, typer.Option(help="yellow, red, extra_material, repeated")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """Cards raised (黄牌, 红牌, 擅自增加申请材料, 重复提交), newest first."""
    from exchange.supervision import CARD_KINDS, list_cards

    try:
        rows = list_cards(_store(), kind=kind, limit=limit)
    except ValueError as exc:
        _fail(str(exc))
    table = Table(title="supervision cards")
    for col in ("raised", "case", "card", "item", "department", "stage", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["raised_at"].strftime("%Y-%m-%d %H:%M"), r["case_no"],
                      CARD_KINDS[r["kind"]], r["item_code"], r["department"], r["stage"],
                      r["reason"])  # fmt: skip
    console.print(table if rows else "no cards")


def report(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")] = "",
    out: Annotated[Path | None, typer.Option(help="Directory; default <data dir>/reports.")] = None,
) -> None:
    """Cases per department and service item for a month: CSV, an HTML page with charts,
    and a summary table."""
    from exchange.reports import period_report, write_report

    period = period or datetime.now(UTC).strftime("%Y-%m")
    store = _store()
    try:
        result = period_report(store, period, calendar=_supervision().calendar())
    except FatalError as exc:
        _fail(str(exc))
    directory = out or load_settings().data_dir / "reports"
    csv_path, html_path = write_report(result, directory)
    print_report_summary(result)
    console.print(
        f"report: {html_path.resolve()}  (CSV: {csv_path.resolve()})",
        highlight=False,
        soft_wrap=True,
    )


def print_report_summary(result: Any) -> None:
    """The month's report as a table on the terminal (``tongban report``, the demo)."""
    table = Table(title=f"cases {result.period}")
    cols = (
        "department",
        "item_code",
        "received",
        "concluded",
        "on_time",
        "yellow",
        "red",
        "online_share",
        "avg_working_days",
        "forwarded",
        "ratings",
        "proofs_spared",
    )
    for col in cols:
        table.add_column(col, justify="left" if col in ("department", "item_code") else "right")
    for r in [*result.rows, result.totals]:
        table.add_row(*(_shown(c, r[c]) for c in cols))
    console.print(table)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.0f}%" if name.endswith("_share") else str(value)
