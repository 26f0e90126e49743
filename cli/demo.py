"""``tongban demo``: the whole main job on one machine, with nothing to configure.

Starts the sandbox department systems, syncs every source into the embedded store, and
shows what landed: the run summaries, the quarantine against the sandbox's manifest of
injected dirt, and golden records with their provenance.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer
from rich.table import Table
from rich.text import Text

from cli import demo_federation
from cli._common import (
    app,
    console,
    errors,
    fail,
    one_line,
    print_summary,
    redact,
    state,
    styled,
)
from cli.records import show_record
from cli.sync import definitions, run_syncs, running_sandbox
from tongban.options import SyncOptions
from tongban.store import Store

if TYPE_CHECKING:
    from sandbox import Manifest


@app.command()
def demo(
    people: Annotated[int, typer.Option(help="People in the sandbox world.")] = 400,
    enterprises: Annotated[int, typer.Option(help="Enterprises in the sandbox world.")] = 120,
    seed: Annotated[int, typer.Option(help="Seed of the sandbox data.")] = 20261122,
) -> None:
    """Start the sandbox, sync every source into the embedded store, show the result."""
    store = state.store()
    store.migrate()
    console.print(f"store: {redact(store.url)}")
    found = definitions()
    directory = (state.settings.data_dir / "sandbox").resolve()
    with running_sandbox(directory, seed=seed, people=people, enterprises=enterprises) as sb:
        env = {**os.environ, **sb.env}
        names = [n for n in found if n in sb.manifest.records]
        options = SyncOptions.from_settings(state.settings)
        summaries, failures = run_syncs(store, names, env, found, options)
    print_summary(summaries, title="sync summary")
    for message in failures:
        errors.print(Text.assemble(("failed", "bold red"), " ", one_line(message)))

    counts = Table(title="quarantined, by source and rule")
    for col in ("source", "rule", "records"):
        counts.add_column(col)
    for row in store.quarantine_counts():
        counts.add_row(row["source"], row["rule"], str(row["n"]))
    console.print(counts)

    manifest = sb.manifest
    expected = sum(manifest.invalid_count(source=n) for n in names)
    held = sum(store.count("quarantine", source=n, status="open") for n in names)
    verdict = styled("matches", "green") if held == expected else styled("differs from", "red")
    console.print(
        Text.assemble(
            f"quarantined records: {held}, ",
            verdict,
            f" the {expected} the sandbox's manifest"
            " of injected dirt expects to be held back (manifest.json)",
        )
    )
    _quality(store)
    issued, refused = _issue_licenses(store)
    for key in _interesting_people(store, manifest):
        show_record("person", key, None)
    for key in store.keys("enterprise", limit=1):
        show_record("enterprise", key, None)
    if issued:
        console.print(
            f"verify one yourself: tongban license verify {issued.pdf_path}  (or"
            f" {issued.json_path}); identifier {issued.identifier}"
        )
    # The demo's later parts (an HTTP client, the case world) load only when it runs.
    from cli.demo_cases import run_cases_demo
    from cli.demo_console import show_console
    from cli.demo_exchange import show_exchange

    exchanged = show_exchange(store, state.settings)
    if failures or held != expected or not all(s.reconciles for s in summaries) or refused:
        fail("the demo did not come out as expected (see above)")
    if not exchanged:
        fail("the exchange API did not answer as expected (see above)")
    run_cases_demo(store)
    show_console(store)
    demo_federation.suggest()


def _quality(store: Store) -> None:
    """What the data-quality gate saw, and the Data Docs a reviewer can open."""
    from expectations import build_data_docs

    latest = store.validation_results(limit=20, with_result=True)
    table = Table(title="data quality (Great Expectations), latest validations")
    for col in ("source", "suite", "evaluated", "passed", "failed", "success", "gate"):
        table.add_column(col)
    seen = set()
    for row in latest:  # a source's children have a suite of their own
        if (row["source"], row["suite"]) in seen:
            continue
        seen.add((row["source"], row["suite"]))
        table.add_row(
            row["source"], row["suite"], str(row["evaluated"]), str(row["passed"]),
            str(row["failed"]), f"{row['success_ratio']:.1%}",
            "passed" if row["gate_passed"] else styled("held back", "red"),
        )  # fmt: skip
    console.print(table)
    index = build_data_docs(
        state.settings.data_dir / "quality-docs", results=[r["result"] for r in latest]
    )
    console.print(f"Data Docs: {index}", highlight=False, soft_wrap=True)


class _Sample(NamedTuple):
    """An issued e-license saved for the reader to verify by hand."""

    identifier: str
    pdf_path: str
    json_path: str


def _issue_licenses(store: Store) -> tuple[_Sample | None, int]:
    """Issue, e-seal and store an e-license for every license record; verify one."""
    from license_vault import Vault, load_vault_settings

    vault = Vault(store, load_vault_settings(state.settings))
    report = vault.issue_all()
    new = sum(1 for i in report.issued if i.new)
    withheld = ", ".join(f"{n} {s}" for s, n in sorted(report.withheld_by_status().items()))
    console.print(
        f"e-licenses: {len(report.issued)} issued and sealed ({new} new), stored with"
        f" their PDF (PAdES B-LTA) and JSON (JWS) forms; {len(report.not_in_force)} not in"
        f" force at the source and not sealed as valid ({withheld or 'none'});"
        f" {len(report.refused)} refused, {len(report.failed)} failed"
    )
    for key, nif in report.not_in_force[:3]:
        console.print(
            Text.assemble(
                "  ", styled("not in force", "yellow"), f" {key}: {nif.rule}: {nif.message}"
            )
        )
    for key, exc in report.refused[:5]:
        console.print(
            Text.assemble("  ", styled("refused", "red"), f" {key}: {exc.rule}: {exc.message}")
        )
    for key, line in report.failed[:5]:
        console.print(Text.assemble("  ", styled("failed", "red"), f" {key}: {line}"))
    failures = len(report.refused) + len(report.failed)
    if not report.issued:
        return None, failures
    first = report.issued[0]
    out = state.settings.data_dir / "demo-license"
    out.mkdir(parents=True, exist_ok=True)
    pdf, jws = out / f"{first.identifier}.pdf", out / f"{first.identifier}.jws"
    pdf.write_bytes(vault.document(first.identifier, "pdf"))
    jws.write_bytes(vault.document(first.identifier, "jws"))
    verdict = vault.verify(pdf.read_bytes())
    status = styled("valid", "green") if verdict.ok else styled("not valid", "red")
    console.print(Text.assemble(f"verified {first.identifier} ({first.license_key}): ", status))
    for reason in verdict.reasons:
        console.print(f"  {reason}")
    return _Sample(first.identifier, str(pdf), str(jws)), failures


def _interesting_people(store: Store, manifest: Manifest) -> list[str]:
    """A person other systems disagree about, and one upgraded from a 15-digit number."""
    keys = []
    for dirt in ("conflict", "id_15"):
        for entry in manifest.by_expect("conflict" if dirt == "conflict" else "normalized"):
            if entry.dirt == dirt and entry.key and store.get("person", entry.key):
                keys.append(entry.key)
                break
    return keys
