"""Command groups that load when they run: ``tongban sync`` never imports the exchange,
the console or the license vault, and ``tongban --help`` imports none of them.

Each group registers its name, where it lives and its one-line help; the help is shown
without importing the group, and a test holds it equal to the group's own.

    >>> LAZY["peer"] = Lazy("peer", "exchange.federation.cli:peer_app", "Peer hubs.")
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["LAZY", "Lazy", "LazyGroup"]


@dataclass(frozen=True)
class Lazy:
    """A sub-command of the hub defined in another package: ``target`` is
    ``module:attribute``, a ``typer.Typer`` (a group) or a function (one command)."""

    name: str
    target: str
    help: str

    def load(self) -> Any:
        """The click command typer builds for the target (the target's module imports)."""
        module, _, attribute = self.target.partition(":")
        found = getattr(import_module(module), attribute)
        holder = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
        if isinstance(found, typer.Typer):
            holder.add_typer(found, name=self.name)
        else:
            holder.command(self.name)(found)
        holder.callback()(lambda: None)  # a group, whatever it holds
        group = typer.main.get_group(holder)
        return group.commands[self.name]


LAZY: dict[str, Lazy] = {}


class LazyGroup(TyperGroup):
    """The top ``tongban`` group: its own commands, then the lazy ones of ``LAZY``."""

    def list_commands(self, ctx: Any) -> list[str]:
        own = super().list_commands(ctx)
        return [*own, *(name for name in LAZY if name not in own)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in LAZY:
            found = self.commands[cmd_name] = LAZY[cmd_name].load()
        return found

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """As typer does, with a stand-in holding the registered help for each group not
        loaded yet (so ``--help`` imports none of them)."""
        loaded = self.commands
        self.commands = {
            name: loaded.get(name) or TyperCommand(name=name, help=LAZY[name].help)
            for name in self.list_commands(ctx)
        }
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = loaded
