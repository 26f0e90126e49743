"""``airflow dags test`` of every sync DAG, in the order ``tongban sync --all`` takes, against
the sandbox systems and a fresh store, ends with the same store as ``tongban sync --all``;
then the license issuance DAG issues an e-license for every license record."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow_kit import BIN

from connectors import load_definitions
from sandbox import Sandbox, SandboxConfig
from tongban.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = SandboxConfig(seed=20261122, people=400, enterprises=120)
    with Sandbox(tmp_path_factory.mktemp("sandbox"), config) as sb:
        yield sb


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _hub_env(base: dict[str, str], sandbox: Sandbox, data_dir: Path) -> dict[str, str]:
    env = {**base, **sandbox.env, "TONGBAN_DATA_DIR": str(data_dir)}
    _run([str(BIN / "tongban"), "init"], env)
    return env


def test_each_sync_dag_ends_as_tongban_sync_all(airflow_home, sandbox, tmp_path):
    reference_env = _hub_env(airflow_home, sandbox, tmp_path / "reference")
    _run([str(BIN / "tongban"), "sync", "--all"], reference_env)
    reference = Store(f"sqlite:///{tmp_path / 'reference' / 'tongban.db'}")

    env = _hub_env(airflow_home, sandbox, tmp_path / "airflow")
    for name in load_definitions():  # the order `sync --all` takes
        _run([str(BIN / "airflow"), "dags", "test", f"sync_{name}"], env)
    store = Store(f"sqlite:///{tmp_path / 'airflow' / 'tongban.db'}")
    try:
        assert store.checksum() == reference.checksum()
        # The partitioned source ran as its partitions, and left no progress cursor behind.
        parts = store.runs(source="gongan_population~1of2") + store.runs(
            source="gongan_population~2of2"
        )
        assert len(parts) == 2 and {r["status"] for r in parts} == {"succeeded"}
        assert set(store.sync_states()) == set(reference.sync_states())

        _run([str(BIN / "airflow"), "dags", "test", "issue_licenses"], env)
        from license_vault import Vault, load_vault_settings
        from tongban.settings import load_settings

        settings = load_vault_settings(load_settings(data_dir=tmp_path / "airflow"))
        again = Vault(store, settings).issue_all()
        # Everything issuable was issued by the DAG: issuing again makes nothing new.
        assert again.issued and not any(i.new for i in again.issued)
        assert len(again.issued) + len(again.refused) == store.count("license")
    finally:
        store.dispose()
        reference.dispose()
