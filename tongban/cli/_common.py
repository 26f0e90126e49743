"""Shared pieces of the ``tongban`` command: the app, settings, store, output helpers."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

from tongban.pipeline import RunSummary
from tongban.settings import Settings, load_settings
from tongban.store import MergeRules, Store

app = typer.Typer(help="tongban: government data-sharing and exchange hub.", no_args_is_help=True)
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
    state._store = None


def fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def ready_store() -> Store:
    store = state.store()
    if store.schema_revision() is None:
        fail("the store is not initialised; run `tongban init` first")
    return store


def print_summary(summaries: list[RunSummary], title: str = "load summary") -> None:
    table = Table(title=title)
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


def ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
