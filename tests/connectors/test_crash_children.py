"""A sync of a source with child records (titles and their holders as people), killed with
SIGKILL in the middle and run again, leaves the store exactly as an uninterrupted sync
does: the children are written in their parent batch's transaction, with its cursor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from connectors import load_definitions, sync_source
from connectors.definition import bundled_sources_dir
from sandbox import DirtRates, World
from sandbox.realestate import RealEstateServer
from sandbox.titles import SOURCE, title_count
from tongban import SyncOptions
from tongban.store import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _tongban(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cli import main; main()", *args]


def test_sigkill_mid_sync_with_children_then_rerun_is_exact(tmp_path, new_pg_database):
    sources = tmp_path / "sources"
    sources.mkdir()
    data = yaml.safe_load((bundled_sources_dir() / f"{SOURCE}.yaml").read_text("utf-8"))
    data["transport"]["page_size"] = 20
    (sources / f"{SOURCE}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    world = World(seed=13, people=2400, enterprises=40)
    titles = title_count(world)
    with RealEstateServer(world, DirtRates.none(), username="u", password="p", pace=0.05) as server:
        env = {
            **os.environ,
            "TONGBAN_DATABASE_URL": new_pg_database,
            "TONGBAN_DATA_DIR": str(tmp_path / "data"),
            "TONGBAN_SOURCES_DIR": str(sources),
            "TONGBAN_BATCH_SIZE": "20",
            "TONGBAN_QUALITY_GROUP": "20",
            "TONGBAN_ZRZY_WSDL": server.wsdl_url,
            "TONGBAN_ZRZY_ENDPOINT": server.endpoint,
            "TONGBAN_ZRZY_USERNAME": "u",
            "TONGBAN_ZRZY_PASSWORD": "p",
        }
        subprocess.run(_tongban("init"), env=env, check=True, capture_output=True)
        store = Store(new_pg_database)
        sync = subprocess.Popen(
            _tongban("sync", SOURCE), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 180  # a wait limit: a loaded machine starts slowly
        while store.count("license") < titles // 4 and time.monotonic() < deadline:
            assert sync.poll() is None, "the sync finished before it could be killed"
            time.sleep(0.02)
        sync.send_signal(signal.SIGKILL)
        sync.wait()
        partial = store.count("license")
        assert 0 < partial < titles
        # every committed title brought its holders: a person each citizen holder (clean
        # data: groups of 20 would trip the gate's share of empty names)
        with store.engine.connect() as conn:
            from sqlalchemy import text

            held = conn.execute(text(
                "SELECT count(DISTINCT holder_id) FROM license_holder WHERE holder_id_type = '111'"
            )).scalar()  # fmt: skip
        assert store.count("person") == held and store.count("quarantine") == 0

        rerun = subprocess.run(_tongban("sync", SOURCE), env=env, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr

        reference = Store(f"sqlite:///{tmp_path / 'reference.db'}")
        reference.migrate()
        definition = load_definitions(sources)[SOURCE]
        whole = sync_source(
            reference, definition, SyncOptions(batch_size=20, quality_group=20), env=env
        )
        assert whole.read == titles and whole.children["person"]["inserted"] > titles
    assert store.checksum() == reference.checksum()
    assert store.count("person") == reference.count("person")
    assert store.count("license_holder") == reference.count("license_holder")
    store.dispose()
    reference.dispose()
