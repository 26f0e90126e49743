"""Plain-text terminal output for the command groups of every package.

Nothing a user or an upstream system wrote is read as terminal markup: styles are set
on :class:`rich.text.Text`, never in brackets inside a message.

    >>> console = plain_console()
    >>> store = initialised_store(console)   # or one line "error: ..." and exit status 1
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from tongban.settings import load_settings
from tongban.store import Store

__all__ = ["fail", "initialised_store", "plain_console"]


def plain_console(width: int = 120) -> Console:
    """A console that prints text as written (``width`` when not on a terminal)."""
    return Console(width=None if sys.stdout.isatty() else width, markup=False, highlight=False)


def fail(console: Console, message: str, *, soft_wrap: bool = True) -> NoReturn:
    """``error: message`` on one line of stderr, exit status 1, as every core command
    fails: a script reading the command's answer on stdout never reads the failure as
    one. ``console`` lends its colour choice."""
    errors = Console(stderr=True, markup=False, highlight=False, no_color=console.no_color)
    text = " ".join(str(message).split())
    errors.print(Text.assemble(("error:", "bold red"), f" {text}"), soft_wrap=soft_wrap)
    raise typer.Exit(1)


def initialised_store(console: Console, *, migrate: bool = True) -> Store:
    """The store the ``TONGBAN_*`` settings name, refused unless ``tongban init`` made it."""
    try:
        hub = load_settings()
    except ValueError as exc:
        fail(console, f"settings: {exc}")
    hub.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(hub.store_url)
    if store.schema_revision() is None:
        fail(console, "the store is not initialised; run `tongban init` first")
    if migrate:
        store.migrate()
    return store
