"""``tongban demo``: load the bundled samples into the embedded store and show them."""

from __future__ import annotations

from importlib import resources

from rich.table import Table

from tongban.cli._common import app, console, fail, print_summary, redact, state
from tongban.cli.records import load_file, show_record


@app.command()
def demo() -> None:
    """Initialise the embedded store, load the bundled samples and show what landed."""
    store = state.store()
    store.migrate()
    console.print(f"store: {redact(store.url)}")
    samples = resources.files("tongban.data").joinpath("samples")
    summaries = []
    for entity, name in (("person", "people.csv"), ("enterprise", "enterprises.csv"),
                         ("license", "licenses.csv")):  # fmt: skip
        with resources.as_file(samples.joinpath(name)) as path:
            summaries.append(load_file(store, path, entity, "manual", "utf-8-sig", None))
    print_summary(summaries)
    counts = Table(title="quarantined, by rule")
    for col in ("source", "rule", "records"):
        counts.add_column(col)
    for row in store.quarantine_counts():
        counts.add_row(row["source"], row["rule"], str(row["n"]))
    console.print(counts)
    for key in store.keys("person", limit=1):
        show_record("person", key, None)
    if not all(s.reconciles for s in summaries):
        fail("counts do not reconcile")
