"""Records in the store: init, load files, look up people and enterprises, quarantine, runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli._common import (
    app,
    console,
    fail,
    print_summary,
    ready_store,
    redact,
    state,
    ts,
)
from tongban.entities import ENTITIES
from tongban.errors import FatalError, RecordError
from tongban.identifiers import check_credit_code, check_id_number
from tongban.loader import read_records
from tongban.options import SyncOptions
from tongban.pipeline import RunSummary, load_records
from tongban.store import Store

quarantine_app = typer.Typer(help="Records held back by a rule.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


@app.command()
def init() -> None:
    """Create the shared store, or migrate it to the current schema."""
    store = state.store()
    before = store.schema_revision()
    store.migrate()
    after = store.schema_revision()
    what = "created" if before is None else ("migrated" if before != after else "up to date")
    console.print(f"store {what} at revision {after}: {redact(store.url)}")


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="CSV, JSON array or JSON lines file.")],
    entity: Annotated[str, typer.Option(help="person, enterprise or license.")],
    source: Annotated[str, typer.Option(help="Source system the file came from.")] = "manual",
    encoding: Annotated[str, typer.Option(help="File encoding, e.g. utf-8 or gbk.")] = "utf-8-sig",
    id_column: Annotated[str | None, typer.Option(help="Column holding the record id.")] = None,
    min_success_ratio: Annotated[
        float, typer.Option(help="Share of rows that must pass every check, or the load stops.")
    ] = 0.5,
) -> None:
    """Load a file through the normalize, validate and merge path."""
    if entity not in ENTITIES:
        fail(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    store = ready_store()
    try:
        summary = load_file(store, file, entity, source, encoding, id_column, min_success_ratio)
    except FatalError as exc:
        fail(str(exc))
    print_summary([summary])
    if summary.quarantined:
        console.print("see them with `tongban quarantine list`")


def load_file(
    store: Store,
    file: Path,
    entity: str,
    source: str,
    encoding: str,
    id_column: str | None,
    min_success_ratio: float = 0.5,
) -> RunSummary:
    spec = ENTITIES[entity]
    records = read_records(
        file, encoding=encoding, id_column=id_column, fields=(spec.key, *spec.fields)
    )
    first = next(records, None)  # a file refused whole is refused before the run starts

    def all_records() -> Iterator[tuple[str | None, dict[str, Any]]]:
        if first is not None:
            yield first
            yield from records

    from connectors import batch_check

    check = batch_check(
        None, entity=entity, source=source, store=store,
        region_check=state.settings.region_check, min_success_ratio=min_success_ratio,
    )  # fmt: skip
    return load_records(
        store, entity, all_records(), source=source, check=check,
        options=SyncOptions.from_settings(state.settings),
    )  # fmt: skip


def show_record(entity: str, key: str, as_of: datetime | None) -> None:
    store = ready_store()
    if as_of is not None:
        version = store.as_of(entity, key, as_of)
        if version is None:
            fail(f"no {entity} {key} was known on {as_of.isoformat()}")
        record, provenance = dict(version["data"]), version["provenance"]
        title = f"{entity} {key} as known on {as_of.isoformat()} (version {version['version']})"
    else:
        found = store.get(entity, key)
        if found is None:
            fail(f"no {entity} with key {key}")
        record, provenance = found, found["provenance"]
        title = f"{entity} {key} (version {found['version']})"
    table = Table(title=title)
    for col in ("field", "value", "source", "source record", "run", "at"):
        table.add_column(col)
    spec = ENTITIES[entity]
    for f in (spec.key, *spec.fields):
        origin = provenance.get(f) or ({"source": "(key)"} if f == spec.key else {})
        value = record.get(f)
        table.add_row(
            f, "" if value is None else str(value), origin.get("source", ""),
            origin.get("record", "") or "", (origin.get("run") or "")[:8],
            (origin.get("at") or "")[:19],
        )  # fmt: skip
    console.print(table)
    history = store.history(entity, key)
    hist = Table(title="history")
    for col in ("version", "valid from", "valid to", "changed fields"):
        hist.add_column(col)
    previous: dict[str, Any] = {}
    for v in history:
        changed = [f for f, val in v["data"].items() if previous.get(f) != val and val is not None]
        hist.add_row(str(v["version"]), ts(v["valid_from"]), ts(v["valid_to"]), ", ".join(changed))
        previous = v["data"]
    console.print(hist)
    conflicts = store.conflicts(entity, key)
    if conflicts:
        ct = Table(title="conflicts between sources")
        for col in ("field", "kept", "from", "offered", "from", "resolution"):
            ct.add_column(col)
        for c in conflicts:
            ct.add_row(
                c["field"], c["kept_value"] or "", c["kept_source"] or "",
                c["offered_value"] or "", c["offered_source"], c["resolution"],
            )  # fmt: skip
        console.print(ct)


def _parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date or date-time") from None
    if len(value) == 10:  # a date: the end of that day
        parsed = parsed.replace(hour=23, minute=59, second=59)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


AsOf = Annotated[
    str | None, typer.Option("--as-of", help="What the hub knew then (ISO date or date-time).")
]


@app.command()
def person(id_number: str, as_of: AsOf = None) -> None:
    """Show a person's golden record, its sources, history and conflicts."""
    try:
        key = check_id_number(id_number, region_check=state.settings.region_check)
    except RecordError as exc:
        fail(f"{exc.rule}: {exc.message}")
    show_record("person", key, _parse_as_of(as_of))


@app.command()
def enterprise(credit_code: str, as_of: AsOf = None) -> None:
    """Show an enterprise's golden record, its sources, history and conflicts."""
    try:
        key = check_credit_code(credit_code)
    except RecordError as exc:
        fail(f"{exc.rule}: {exc.message}")
    show_record("enterprise", key, _parse_as_of(as_of))


@quarantine_app.command("list")
def quarantine_list(
    status: Annotated[str, typer.Option(help="open, fixed, rejected or all.")] = "open",
    source: Annotated[str | None, typer.Option()] = None,
    rule: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
) -> None:
    """List quarantined records with the rule each broke."""
    store = ready_store()
    rows = store.quarantined(
        status=None if status == "all" else status, source=source, rule=rule, limit=limit
    )
    table = Table(title=f"quarantine ({status})")
    for col in ("id", "source", "record", "entity", "rule", "message", "status"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]), r["source"], r["source_record"] or "", r["entity"], r["rule"],
            r["message"], r["status"],
        )  # fmt: skip
    console.print(table)
    total = store.count("quarantine", **({} if status == "all" else {"status": status}))
    console.print(f"{len(rows)} shown of {total}")


@app.command()
def runs(limit: Annotated[int, typer.Option()] = 20) -> None:
    """The run log: what ran, when, with what counts and outcome."""
    store = ready_store()
    table = Table(title="runs")
    for col in ("run", "source", "entity", "kind", "started", "read", "ins", "upd", "same",
                "quar", "status", "message"):  # fmt: skip
        table.add_column(col, overflow="fold")
    for r in store.runs(limit=limit):
        table.add_row(
            r["run_id"][:8], r["source"], r["entity"] or "", r["kind"], ts(r["started_at"]),
            *(str(r[k]) for k in ("read", "inserted", "updated", "unchanged", "quarantined")),
            r["status"], r["message"] or "",
        )  # fmt: skip
    console.print(table)
