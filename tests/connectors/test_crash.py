"""A sync killed with SIGKILL in the middle, then run again, leaves the store exactly as
an uninterrupted sync does: no record lost, none repeated."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from source_kit import tongban_command

from connectors import load_definitions, sync_source
from connectors.definition import bundled_sources_dir
from sandbox import DirtRates, World
from sandbox.enterprise import EnterpriseServer
from tongban import SyncOptions
from tongban.store import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ENTERPRISES = 3000


def test_sigkill_mid_sync_then_rerun_matches_an_uninterrupted_sync(tmp_path, new_pg_database):
    # Small pages, each committed on its own, served at a pace that leaves time to kill.
    sources = tmp_path / "sources"
    sources.mkdir()
    data = yaml.safe_load((bundled_sources_dir() / "scjg_enterprise.yaml").read_text("utf-8"))
    data["transport"]["pagination"]["limit"] = 50
    (sources / "scjg_enterprise.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    world = World(seed=11, people=300, enterprises=ENTERPRISES)
    server = EnterpriseServer(world, DirtRates(), credentials={"k": "s"}, rate_limit=25)
    with server:
        env = {
            **os.environ,
            "TONGBAN_DATABASE_URL": new_pg_database,
            "TONGBAN_DATA_DIR": str(tmp_path / "data"),
            "TONGBAN_SOURCES_DIR": str(sources),
            "TONGBAN_BATCH_SIZE": "50",
            "TONGBAN_SCJG_URL": server.url,
            "TONGBAN_SCJG_APP_KEY": "k",
            "TONGBAN_SCJG_APP_SECRET": "s",
        }
        subprocess.run(tongban_command("init"), env=env, check=True, capture_output=True)
        store = Store(new_pg_database)
        sync = subprocess.Popen(
            tongban_command("sync", "scjg_enterprise"), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 180  # a wait limit: a loaded machine starts slowly
        while store.count("enterprise") < ENTERPRISES // 4 and time.monotonic() < deadline:
            assert sync.poll() is None, "the sync finished before it could be killed"
            time.sleep(0.02)
        sync.send_signal(signal.SIGKILL)
        sync.wait()
        [killed] = store.runs(source="scjg_enterprise")
        assert killed["status"] == "running"  # it never got to say anything
        partial = store.count("enterprise")
        assert 0 < partial < ENTERPRISES
        # ... but its counts say what it committed, batch by batch
        assert killed["inserted"] == partial
        assert killed["quarantined"] == store.count("quarantine")
        assert killed["read"] == sum(
            killed[k] for k in ("inserted", "updated", "unchanged", "quarantined")
        )

        rerun = subprocess.run(
            tongban_command("sync", "scjg_enterprise"), env=env, capture_output=True, text=True
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        runs = {r["run_id"]: r for r in store.runs(source="scjg_enterprise")}
        assert runs[killed["run_id"]]["status"] == "interrupted"
        assert runs[killed["run_id"]]["inserted"] == partial
        [resumed] = [r for r in runs.values() if r["run_id"] != killed["run_id"]]
        assert resumed["status"] == "succeeded"
        # The rerun read only what the killed run had not committed (its last page may
        # be read again only if the kill came between the page and its commit).
        assert resumed["read"] <= ENTERPRISES - partial + 50

        reference = Store(f"sqlite:///{tmp_path / 'reference.db'}")
        reference.migrate()
        definition = load_definitions(sources)["scjg_enterprise"]
        whole = sync_source(reference, definition, SyncOptions(batch_size=50), env=env)
        assert whole.read == ENTERPRISES
    assert store.checksum() == reference.checksum()
    assert store.count("enterprise") + store.count("quarantine") == ENTERPRISES
    store.dispose()
    reference.dispose()


def test_checksum_tells_stores_apart(tmp_path: Path):
    a = Store(f"sqlite:///{tmp_path / 'a.db'}")
    a.migrate()
    empty = a.checksum()
    from tongban.pipeline import load_records

    load_records(a, "person", [("1", {"id_number": "11010519491231002X", "name": "甲"})],
                 source="manual")  # fmt: skip
    assert a.checksum() != empty
