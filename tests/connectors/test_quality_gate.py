"""The data-quality gate inside the sync: a source gone bad is stopped before it touches
the store, its batch kept for review; ordinary dirt is quarantined under the name of the
expectation that caught it."""

from __future__ import annotations

import pytest

from connectors import load_definitions, sync_source
from sandbox import DirtRates, World
from sandbox.population import PopulationServer
from tongban import SyncOptions
from tongban.errors import BatchHeld
from tongban.store import schema

WORLD = World(seed=23, people=200, enterprises=10)


def _env(server: PopulationServer) -> dict[str, str]:
    return {
        "TONGBAN_GONGAN_WSDL": server.wsdl_url, "TONGBAN_GONGAN_ENDPOINT": server.endpoint,
        "TONGBAN_GONGAN_USERNAME": "u", "TONGBAN_GONGAN_PASSWORD": "p",
    }  # fmt: skip


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "worker"])
def test_a_source_sending_40_percent_empty_names_is_stopped_at_the_gate(store, worker):
    definition = load_definitions()["gongan_population"]
    with PopulationServer(WORLD, DirtRates.none(), username="u", password="p") as healthy:
        sync_source(store, definition, SyncOptions(), env=_env(healthy))
    cursor = store.cursor("gongan_population")
    # The registry breaks: 40% of the names it sends are empty.
    broken = DirtRates.only("name_missing", 0.4)
    with PopulationServer(WORLD, broken, username="u", password="p") as server:
        # Everything changed since the last run, so the whole registry comes again.
        store_cursor = {**cursor, "high_water": "2000-01-01T00:00:00+08:00"}
        with store.engine.begin() as conn:
            conn.execute(
                schema.sync_state.update().values(cursor=store_cursor)
                .where(schema.sync_state.c.source == "gongan_population")
            )  # fmt: skip
        before = store.checksum()
        with pytest.raises(BatchHeld) as info:
            sync_source(store, definition, SyncOptions(worker=worker), env=_env(server))
    reason = info.value.reason
    assert "expect_column_proportion_of_non_null_values_to_be_between" in reason
    assert "name.null_share" in reason and "% of name values are empty" in reason
    run = store.runs(source="gongan_population", limit=1)[0]
    assert run["status"] == "failed"
    assert "expect_column_proportion_of_non_null_values_to_be_between" in run["message"]
    assert "kept for review as held batch" in run["message"]
    assert store.checksum() == before  # nothing of the batch was written
    [held] = store.held_batches(source="gongan_population")
    assert held["size"] == 200 and held["cursor_before"] == store_cursor
    [failed] = [v for v in store.validation_results(source="gongan_population")
                if not v["gate_passed"]]  # fmt: skip
    assert failed["run_id"] == run["run_id"]


def test_dirt_is_quarantined_under_the_expectation_that_caught_it(store):
    definition = load_definitions()["gongan_population"]
    dirt = DirtRates.only("id_bad_check", 0.1)
    with PopulationServer(WORLD, dirt, username="u", password="p") as server:
        summary = sync_source(store, definition, SyncOptions(), env=_env(server))
    assert summary.quarantined > 5
    for entry in store.quarantined(source="gongan_population"):
        assert entry["rule"] == "id_number.checksum"
        assert entry["expectation"] == "expect_column_values_to_be_valid_id_number"
    [result] = store.validation_results(source="gongan_population")
    assert result["failed"] == summary.quarantined and result["gate_passed"]
