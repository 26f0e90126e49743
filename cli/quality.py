"""Data-quality review: validation reports, Data Docs, held batches, and the quarantine
workflow (show, fix, reject, reprocess)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cli._common import app, console, fail, ready_store, state, styled, ts
from cli.records import quarantine_app
from cli.sync import definitions
from tongban.errors import TongbanError

quality_app = typer.Typer(help="Validation results, Data Docs, held batches.", no_args_is_help=True)
app.add_typer(quality_app, name="quality")


@quality_app.command("report")
def quality_report(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    runs: Annotated[int, typer.Option(help="Earlier validations the trend compares with.")] = 5,
) -> None:
    """Per source and suite: evaluated, passed, failed, success ratio and its trend."""
    store = ready_store()
    rows = store.validation_results(source=source, limit=None)
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:  # newest first
        by_key[row["source"], row["suite"]].append(row)
    table = Table(title="data quality, latest validation per source and suite")
    for col in ("source", "suite", "at", "evaluated", "passed", "failed", "success",
                "trend", "gate"):  # fmt: skip
        table.add_column(col, justify="right" if col in ("evaluated", "passed", "failed",
                                                          "success") else "left")  # fmt: skip
    for (src, suite), found in sorted(by_key.items()):
        latest, earlier = found[0], found[1 : 1 + runs]
        table.add_row(
            src, suite, ts(latest["validated_at"]), str(latest["evaluated"]),
            str(latest["passed"]), str(latest["failed"]), f"{latest['success_ratio']:.1%}",
            _trend(latest["success_ratio"], [r["success_ratio"] for r in earlier]),
            styled("passed", "green") if latest["gate_passed"] else styled("held back", "red"),
        )  # fmt: skip
    console.print(table)
    if not rows:
        console.print("no validation results yet; `tongban sync` validates every batch")


def _trend(now: float, before: list[float]) -> str | Text:
    if not before:
        return "first run"
    mean = sum(before) / len(before)
    delta = now - mean
    said = f" {delta:+.1%} vs {len(before)} earlier"
    if abs(delta) < 0.005:
        return "→" + said
    return Text.assemble(styled("▲", "green") if delta > 0 else styled("▼", "red"), said)


@quality_app.command("docs")
def quality_docs(
    latest: Annotated[int, typer.Option(help="Validations to include, newest first.")] = 50,
) -> None:
    """Build the Great Expectations Data Docs site and print where it is."""
    from console import make_offline
    from expectations import build_data_docs

    store = ready_store()
    results = [r["result"] for r in store.validation_results(limit=latest, with_result=True)]
    index = build_data_docs(state.settings.data_dir / "quality-docs", results=results)
    make_offline(index.parent)  # nothing loaded from another host
    console.print(f"Data Docs: {index}", highlight=False, soft_wrap=True)


@quality_app.command("held")
def quality_held(source: Annotated[str | None, typer.Option()] = None) -> None:
    """Batches the data-quality gate held back, kept for review."""
    store = ready_store()
    table = Table(title="held batches")
    for col in ("id", "source", "entity", "records", "held at", "run", "reason"):
        table.add_column(col, overflow="fold")
    for row in store.held_batches(source=source):
        table.add_row(
            str(row["id"]), row["source"], row["entity"], str(row["size"]),
            ts(row["created_at"]), row["run_id"][:8], row["reason"],
        )  # fmt: skip
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(entry_id: int) -> None:
    """One quarantined record: as received, why it was held, its corrections."""
    store = ready_store()
    try:
        entry = store.quarantine_entry(entry_id)
    except TongbanError as exc:
        fail(str(exc))
    console.print(
        f"quarantined record {entry['id']}: {entry['entity']} from {entry['source']}"
        f" ({entry['source_record'] or 'no record id'}), status {entry['status']}",
        highlight=False,
    )
    console.print(f"rule: {entry['rule']}   expectation: {entry['expectation'] or '-'}")
    console.print(f"why: {entry['message']}", highlight=False)
    raw = Table(title="record as received")
    raw.add_column("field")
    raw.add_column("value")
    for key, value in entry["raw"].items():
        raw.add_row(str(key), "" if value is None else str(value))
    console.print(raw)
    if entry["corrections"]:
        fixes = Table(title="corrections")
        for col in ("field", "old", "new", "by", "why", "at"):
            fixes.add_column(col)
        for c in entry["corrections"]:
            fixes.add_row(c["field"], str(c["old"]), str(c["new"]), c["by"], c["why"],
                          c["at"][:19])  # fmt: skip
        console.print(fixes)
    if entry["resolution"]:
        console.print(f"resolution: {json.dumps(entry['resolution'], ensure_ascii=False)}")


Who = Annotated[str, typer.Option("--by", help="Who decides (name or staff id).")]
Why = Annotated[str, typer.Option("--why", help="Why, for the record.")]


@quarantine_app.command("fix")
def quarantine_fix(
    entry_id: int,
    field: Annotated[str, typer.Option(help="Field of the record as received.")],
    value: Annotated[str, typer.Option(help="The corrected value.")],
    by: Who,
    why: Why,
) -> None:
    """Correct one field of a quarantined record (recorded with who and why)."""
    store = ready_store()
    try:
        entry = store.correct(entry_id, field, value, by=by, why=why)
    except TongbanError as exc:
        fail(str(exc))
    console.print(
        f"record {entry_id}: {field} set to {value!r} ({len(entry['corrections'])} corrections);"
        f" `tongban quarantine reprocess {entry_id}` runs it through again",
        highlight=False,
    )


@quarantine_app.command("reject")
def quarantine_reject(entry_id: int, by: Who, why: Why) -> None:
    """Reject a quarantined record for good; it stays in quarantine, marked rejected."""
    store = ready_store()
    try:
        store.reject(entry_id, by=by, why=why)
    except TongbanError as exc:
        fail(str(exc))
    console.print(f"record {entry_id} rejected by {by}: {why}", highlight=False)


@quarantine_app.command("reprocess")
def quarantine_reprocess(
    ids: Annotated[list[int] | None, typer.Argument(help="Records to reprocess.")] = None,
) -> None:
    """Run corrected records (all open ones with corrections by default) through their
    source's mapping, validation and merge again."""
    from connectors import reprocess

    store = ready_store()
    try:
        report = reprocess(
            store, definitions=definitions(), ids=ids, region_check=state.settings.region_check
        )
    except TongbanError as exc:
        fail(str(exc))
    for entry_id in report.landed:
        console.print(Text.assemble(styled("landed", "green"), f" record {entry_id}"))
    for entry_id, rule, message in report.still_failing:
        console.print(
            Text.assemble(styled("still failing", "red"), f" record {entry_id}: {rule}: {message}")
        )
    if not report.landed and not report.still_failing:
        console.print("nothing to reprocess: no open record has a correction")
    if report.still_failing:
        raise typer.Exit(1)
