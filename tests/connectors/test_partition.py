"""A sync split into partitions ends exactly as one plain sync, and a retried or
inconsistent partition cannot make it end otherwise."""

from __future__ import annotations

import pytest

from connectors import (
    PartitionEnd,
    finish_partitions,
    load_definitions,
    plan_partitions,
    sync_partition,
    sync_source,
)
from tongban import SyncOptions
from tongban.errors import FatalError
from tongban.store import Store

BATCH = 150  # several batches a source, so batch boundaries matter


def _partitioned(store: Store, sandbox, name: str, of: int) -> list[PartitionEnd]:
    definition = load_definitions()[name]
    start = plan_partitions(store, definition)
    ends = [
        sync_partition(
            store, definition, start, SyncOptions(batch_size=BATCH), part=i, of=of, env=sandbox.env
        )
        for i in range(of)
    ]
    finish_partitions(store, definition, ends)
    return ends


def test_partitions_end_as_one_sync(store, sandbox, tmp_path):
    found = load_definitions()
    for name in found:  # every source, partitioned three ways
        _partitioned(store, sandbox, name, 3)
    reference = Store(f"sqlite:///{tmp_path / 'reference.db'}")
    reference.migrate()
    for definition in found.values():
        sync_source(reference, definition, SyncOptions(batch_size=BATCH), env=sandbox.env)
    assert store.checksum() == reference.checksum()
    assert set(store.sync_states()) == set(found)  # no partition's progress is left behind
    runs = store.runs(source="gongan_population~2of3")
    assert [r["status"] for r in runs] == ["succeeded"] and runs[0]["read"] > 0
    timings = runs[0]["timings"]  # where a partition's time went, as a plain sync says
    steps = ("setup", "extract", "normalize", "validate", "write")
    assert set(timings) == {*steps, "total"} and timings["validate"] > 0, timings
    assert sum(timings[k] for k in ("setup", "extract", "write")) <= timings["total"]
    reference.dispose()


@pytest.fixture
def sqlite_store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    s.migrate()
    yield s
    s.dispose()


def test_a_finished_partition_run_again_returns_where_it_ended(sqlite_store, sandbox):
    store = sqlite_store
    definition = load_definitions()["gongan_population"]
    start = plan_partitions(store, definition)
    first = sync_partition(store, definition, start, SyncOptions(), part=0, of=2, env=sandbox.env)
    before = store.checksum(cursors=False)
    again = sync_partition(store, definition, start, SyncOptions(), part=0, of=2, env=sandbox.env)
    assert again == first and store.checksum(cursors=False) == before
    [latest, _] = store.runs(source="gongan_population~1of2")
    assert latest["message"] == "finished by an earlier attempt"


def test_partitions_that_ended_apart_leave_the_cursor(sqlite_store, sandbox):
    store = sqlite_store
    definition = load_definitions()["scjg_enterprise"]
    ends = [PartitionEnd(0, {"a": 1}, {}), PartitionEnd(1, {"a": 2}, {})]
    with pytest.raises(FatalError, match="different cursors"):
        finish_partitions(store, definition, ends)
    assert store.cursor("scjg_enterprise") is None
    with pytest.raises(ValueError, match="not one of"):
        sync_partition(store, definition, None, SyncOptions(), part=2, of=2, env=sandbox.env)
