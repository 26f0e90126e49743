"""Shared pieces of the ``tongban`` command: the app, settings, store, output helpers."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli._lazy import LazyGroup
from tongban.pipeline import RunSummary
from tongban.settings import Settings, load_settings
from tongban.store import MergeRules, Store

app = typer.Typer(
    help="tongban: government data-sharing and exchange hub.",
    no_args_is_help=True,
    cls=LazyGroup,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Plain text only: what a user or an upstream system wrote ([name.null_share], a message
# holding "[/") is printed as written, never read as terminal markup. Colour is added
# with styled Text pieces (``styled``).
console = Console(width=None if sys.stdout.isatty() else 120, markup=False, highlight=False)
errors = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


class _State:
    settings: Settings
    debug: bool = False
    _store: Store | None = None

    def store(self) -> Store:
        if self._store is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._store = Store(self.settings.store_url, rules=MergeRules.load())
        return self._store


state = _State()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="On a failure, show the traceback too.")
    ] = False,
) -> None:
    state.debug = debug
    try:
        state.settings = load_settings()
    except Exception as exc:  # pydantic's ValidationError names the bad setting
        raise typer.BadParameter(f"settings: {exc}") from None
    state._store = None


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 1."""
    errors.print(Text.assemble(("error:", "bold red"), " ", one_line(message)))
    raise typer.Exit(1)


def one_line(message: object) -> str:
    """A message on one line (an upstream error may span several)."""
    return " ".join(str(message).split())


def styled(text: str, style: str) -> Text:
    return Text(text, style=style)


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
        good = s.reconciles and s.status == "succeeded"
        ok = styled("ok", "green") if good else styled("check", "red")
        table.add_row(
            s.source, s.entity, *(str(v) for v in s.counts().values()),
            f"{s.timings.get('total', 0):.2f}", Text.assemble(f"{s.status} ", ok),
        )  # fmt: skip
        for entity, counts in s.children.items():  # records found inside its records
            read = sum(counts[k] for k in ("inserted", "updated", "unchanged", "quarantined"))
            table.add_row(
                f"{s.source} ↳", entity, str(read),
                *(str(counts[k]) for k in ("inserted", "updated", "unchanged", "quarantined",
                                           "conflicts")),
                "", "",
            )  # fmt: skip
    console.print(table)


def ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
