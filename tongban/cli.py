"""The ``tongban`` command: the same code the Airflow DAGs run, on one machine."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from tongban.entities import ENTITIES
from tongban.errors import FatalError, RecordError
from tongban.identifiers import check_credit_code, check_id_number
from tongban.loader import read_records
from tongban.pipeline import RunSummary, load_records
from tongban.settings import Settings, load_settings
from tongban.store import MergeRules, Store

app = typer.Typer(help="tongban: government data-sharing and exchange hub.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Records held back by a rule.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
console = Console(width=None if sys.stdout.isatty() else 120)


class _State:
    settings: Settings
    _store: Store | None = None

    def store(self) -> Store:
        if self._store is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._store = Store(self.settings.store_url, rules=MergeRules.load())
        return self._store


state = _State()


@app.callback()
def _main() -> None:
    try:
        state.settings = load_settings()
    except Exception as exc:  # pydantic's ValidationError names the bad setting
        raise typer.BadParameter(f"settings: {exc}") from None


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def _ready_store() -> Store:
    store = state.store()
    if store.schema_revision() is None:
        _fail("the store is not initialised; run `tongban init` first")
    return store


@app.command()
def init() -> None:
    """Create the shared store, or migrate it to the current schema."""
    store = state.store()
    before = store.schema_revision()
    store.migrate()
    after = store.schema_revision()
    what = "created" if before is None else ("migrated" if before != after else "up to date")
    console.print(f"store {what} at revision {after}: {_redact(store.url)}")


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="CSV, JSON array or JSON lines file.")],
    entity: Annotated[str, typer.Option(help="person, enterprise or license.")],
    source: Annotated[str, typer.Option(help="Source system the file came from.")] = "manual",
    encoding: Annotated[str, typer.Option(help="File encoding, e.g. utf-8 or gbk.")] = "utf-8-sig",
    id_column: Annotated[str | None, typer.Option(help="Column holding the record id.")] = None,
) -> None:
    """Load a file through the normalize, validate and merge path."""
    if entity not in ENTITIES:
        _fail(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    store = _ready_store()
    try:
        summary = _load_file(store, file, entity, source, encoding, id_column)
    except FatalError as exc:
        _fail(str(exc))
    _print_summary([summary])
    if summary.quarantined:
        console.print("see them with `tongban quarantine list`")


def _load_file(
    store: Store, file: Path, entity: str, source: str, encoding: str, id_column: str | None
) -> RunSummary:
    records = read_records(file, encoding=encoding, id_column=id_column)
    first = next(records, None)
    spec = ENTITIES[entity]
    if first is not None:
        allowed = {spec.key, *spec.fields}
        unknown = set(first[1]) - allowed
        if unknown:
            raise FatalError(
                f"{file}: columns {sorted(unknown)} are not {entity} fields; expected some of"
                f" {sorted(allowed)}"
            )

    def all_records() -> Iterator[tuple[str | None, dict[str, Any]]]:
        if first is not None:
            yield first
            yield from records

    return load_records(
        store, entity, all_records(), source=source,
        batch_size=state.settings.batch_size, region_check=state.settings.region_check,
    )  # fmt: skip


def _print_summary(summaries: list[RunSummary]) -> None:
    table = Table(title="load summary")
    for col in ("source", "entity", "read", "inserted", "updated", "unchanged", "quarantined",
                "conflicts", "seconds", "status"):  # fmt: skip
        table.add_column(col, justify="right" if col not in ("source", "entity") else "left")
    for s in summaries:
        ok = "[green]ok[/]" if s.reconciles and s.status == "succeeded" else "[red]check[/]"
        table.add_row(
            s.source, s.entity, *(str(v) for v in s.counts().values()),
            f"{s.timings.get('total', 0):.2f}", f"{s.status} {ok}",
        )  # fmt: skip
    console.print(table)


def _show_record(entity: str, key: str, as_of: datetime | None) -> None:
    store = _ready_store()
    if as_of is not None:
        version = store.as_of(entity, key, as_of)
        if version is None:
            _fail(f"no {entity} {key} was known on {as_of.isoformat()}")
        record, provenance = dict(version["data"]), version["provenance"]
        title = f"{entity} {key} as known on {as_of.isoformat()} (version {version['version']})"
    else:
        found = store.get(entity, key)
        if found is None:
            _fail(f"no {entity} with key {key}")
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
        hist.add_row(
            str(v["version"]), _ts(v["valid_from"]), _ts(v["valid_to"]), ", ".join(changed)
        )
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


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


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
        _fail(f"{exc.rule}: {exc.message}")
    _show_record("person", key, _parse_as_of(as_of))


@app.command()
def enterprise(credit_code: str, as_of: AsOf = None) -> None:
    """Show an enterprise's golden record, its sources, history and conflicts."""
    try:
        key = check_credit_code(credit_code)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    _show_record("enterprise", key, _parse_as_of(as_of))


@quarantine_app.command("list")
def quarantine_list(
    status: Annotated[str, typer.Option(help="open, fixed, rejected or all.")] = "open",
    source: Annotated[str | None, typer.Option()] = None,
    rule: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
) -> None:
    """List quarantined records with the rule each broke."""
    store = _ready_store()
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
    store = _ready_store()
    table = Table(title="runs")
    for col in ("run", "source", "entity", "kind", "started", "read", "ins", "upd", "same",
                "quar", "status", "message"):  # fmt: skip
        table.add_column(col, overflow="fold")
    for r in store.runs(limit=limit):
        table.add_row(
            r["run_id"][:8], r["source"], r["entity"] or "", r["kind"], _ts(r["started_at"]),
            *(str(r[k]) for k in ("read", "inserted", "updated", "unchanged", "quarantined")),
            r["status"], r["message"] or "",
        )  # fmt: skip
    console.print(table)


@app.command()
def demo() -> None:
    """Initialise the embedded store, load the bundled samples and show what landed."""
    store = state.store()
    store.migrate()
    console.print(f"store: {_redact(store.url)}")
    samples = resources.files("tongban.data").joinpath("samples")
    summaries = []
    for entity, name in (("person", "people.csv"), ("enterprise", "enterprises.csv"),
                         ("license", "licenses.csv")):  # fmt: skip
        with resources.as_file(samples.joinpath(name)) as path:
            summaries.append(_load_file(store, path, entity, "manual", "utf-8-sig", None))
    _print_summary(summaries)
    counts = Table(title="quarantined, by rule")
    for col in ("source", "rule", "records"):
        counts.add_column(col)
    for row in store.quarantine_counts():
        counts.add_row(row["source"], row["rule"], str(row["n"]))
    console.print(counts)
    for key in store.keys("person", limit=1):
        _show_record("person", key, None)
    if not all(s.reconciles for s in summaries):
        _fail("counts do not reconcile")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def main() -> None:
    app()


if __name__ == "__main__":
    main()
