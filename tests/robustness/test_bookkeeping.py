"""Honest bookkeeping: a run shows what it committed while it runs, so a run that never
finishes (killed) is seen with its real counts (``tests/connectors/test_crash.py`` kills
one for real)."""

from __future__ import annotations

from kit import definition, registry

from connectors import sync_source
from tongban import SyncOptions


def test_each_committed_batch_counts_in_its_run_before_the_run_ends(store):
    seen: list[tuple[int, int]] = []

    def on_batch(summary):
        [row] = [r for r in store.runs(source="scjg_enterprise") if r["run_id"] == summary.run_id]
        seen.append((row["read"], row["inserted"]))
        assert row["status"] == "running"

    d = definition("scjg_enterprise", pagination={"limit": 10})
    with registry() as env:
        sync_source(
            store, d, SyncOptions(batch_size=10, validate=False), env=env, on_batch=on_batch
        )
    assert sorted(set(seen)) == [(10, 10), (20, 20), (30, 30)]  # each batch as it committed
