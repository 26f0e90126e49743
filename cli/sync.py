"""Sources and syncs: list the department systems, pull from them, run the sandbox."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cli._common import (
    app,
    console,
    errors,
    fail,
    one_line,
    print_summary,
    ready_store,
    state,
    ts,
)
from tongban.options import SyncOptions
from tongban.pipeline import RunSummary
from tongban.store import Store

if TYPE_CHECKING:
    from connectors import SourceDefinition, SourceSet

sandbox_app = typer.Typer(help="Stand-ins for the department systems.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


def definitions() -> dict[str, SourceDefinition]:
    """The definitions that load; the broken ones are in :func:`broken_definitions`."""
    return _source_set().definitions


def broken_definitions() -> dict[str, str]:
    """By source name, why its definition file did not load (file, line, key)."""
    return {name: str(exc) for name, exc in _source_set().problems.items()}


def _source_set() -> SourceSet:
    from connectors import load_sources

    return load_sources(state.settings.sources_dir)


@app.command()
def sources() -> None:
    """List the source systems with their last run and cursor."""
    found = definitions()
    store = state.store()
    ready = store.schema_revision() is not None
    cursors = store.sync_states() if ready else {}
    table = Table(title="sources")
    for col in ("source", "department", "transport", "entity", "schedule", "last run",
                "status", "read", "cursor"):  # fmt: skip
        table.add_column(col, overflow="fold")
    for name, d in found.items():
        recent = store.runs(source=name, limit=1) if ready else []
        last = recent[0] if recent else None
        cursor = cursors.get(name, {}).get("cursor")
        table.add_row(
            name, d.department, d.transport.kind, d.entity, d.schedule or "",
            ts(last["started_at"]) if last else "", last["status"] if last else "never",
            str(last["read"]) if last else "", _short(cursor),
        )  # fmt: skip
    console.print(table)
    broken = broken_definitions()
    for message in broken.values():  # reported, and skipped: the others still sync
        errors.print(Text.assemble(("error:", "bold red"), " ", one_line(message)))
    if broken:
        raise typer.Exit(1)


def _short(cursor: Any) -> str:
    if cursor is None:
        return ""
    if isinstance(cursor, dict) and "done" in cursor:  # file drops: count, not every hash
        cursor = {**cursor, "done": f"{len(cursor['done'])} files"}
    text = json.dumps(cursor, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def run_syncs(
    store: Store,
    names: list[str],
    env: Mapping[str, str],
    found: dict[str, SourceDefinition],
    options: SyncOptions,
) -> tuple[list[RunSummary], list[str]]:
    """Sync the named sources in order with a progress line each; failures are reported
    and the others still run. Returns the summaries and the failure messages."""
    from connectors import sync_source

    summaries, failures = [], []
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:  # fmt: skip
        for name in names:
            task = progress.add_task(f"{name}: starting", total=None)

            def show(s: RunSummary, task: Any = task, name: str = name) -> None:
                progress.update(
                    task,
                    description=f"{name}: {s.read} read, {s.inserted} new, {s.updated} updated,"
                    f" {s.quarantined} quarantined",
                )

            try:
                summary = sync_source(store, found[name], options, env=env, on_batch=show)
            except Exception as exc:
                progress.update(task, description=f"{name}: failed")
                failures.append(f"{name}: {exc}")
                continue
            show(summary)
            summaries.append(summary)
    return summaries, failures


@app.command()
def sync(
    names: Annotated[list[str] | None, typer.Argument(help="Sources to sync.")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Sync every source.")] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Read everything again from the beginning, not just what changed since the"
            " saved cursor (records the store holds already come out unchanged).",
        ),
    ] = False,
) -> None:
    """Pull what changed in the named source systems into the store."""
    found, broken = definitions(), broken_definitions()
    if all_sources:
        names = [*found, *broken]
    if not names:
        fail("name one or more sources, or give --all; `tongban sources` lists them")
    unknown = [n for n in names if n not in found and n not in broken]
    if unknown:
        fail(f"unknown sources {unknown}; known: {', '.join(found)}")
    store = ready_store()
    runnable = [n for n in names if n in found]
    options = SyncOptions.from_settings(state.settings, full=full)
    summaries, failures = run_syncs(store, runnable, os.environ, found, options)
    # a broken definition is one broken source: the others ran
    failures += [f"{n}: {broken[n]}" for n in names if n in broken]
    if summaries:
        print_summary(summaries, title="sync summary")
    for message in failures:
        errors.print(Text.assemble(("failed", "bold red"), " ", one_line(message)))
    if failures:
        raise typer.Exit(1)


@contextmanager
def running_sandbox(directory: Path, **config: Any) -> Iterator[Any]:
    from sandbox import Sandbox, SandboxConfig

    with Sandbox(directory, SandboxConfig(**config)) as sb:
        yield sb


@sandbox_app.command("up")
def sandbox_up(
    directory: Annotated[
        Path | None, typer.Option(help="Where the sandbox keeps its data.")
    ] = None,
    people: Annotated[int, typer.Option(help="People in the generated world.")] = 400,
    enterprises: Annotated[int, typer.Option(help="Enterprises in the world.")] = 120,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 20261122,
) -> None:
    """Run the department systems until interrupted, printing their settings."""
    from sandbox import SandboxConfig, serve

    directory = (directory or state.settings.data_dir / "sandbox").resolve()
    serve(directory, SandboxConfig(seed=seed, people=people, enterprises=enterprises))
