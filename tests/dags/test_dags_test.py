"""``airflow dags test`` of every sync DAG, in the order ``tongban sync --all`` takes, against
the sandbox systems and a fresh store, ends with the same store as ``tongban sync --all``;
then the license issuance DAG issues an e-license for every license record."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from airflow_kit import BIN, REPO

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
        assert len(again.issued) + len(again.refused) + len(again.not_in_force) == store.count(
            "license"
        )
    finally:
        store.dispose()
        reference.dispose()


def test_a_failed_sync_says_why_and_airflow_supplies_the_endpoint_and_secret(
    airflow_home, sandbox, tmp_path
):
    sources = tmp_path / "sources"  # the same source without retries: one failed attempt
    sources.mkdir()
    raw = yaml.safe_load((REPO / "connectors/sources/scjg_enterprise.yaml").read_text())
    (sources / "scjg_enterprise.yaml").write_text(yaml.safe_dump({**raw, "retries": 0}))
    env = _hub_env({**airflow_home, "TONGBAN_SOURCES_DIR": str(sources)}, sandbox,
                   tmp_path / "hub")  # fmt: skip
    env["TONGBAN_SCJG_APP_SECRET"] = "wrong-secret"
    args = [str(BIN / "airflow"), "dags", "test", "sync_scjg_enterprise"]
    failed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    output = failed.stdout + failed.stderr
    # One line naming the DAG, the task, the attempt and the system's own refusal.
    reasons = [line for line in output.splitlines() if '"tongban_failure"' in line]
    assert reasons and "sync_scjg_enterprise.sync" in reasons[0], output[-3000:]
    store = Store(f"sqlite:///{tmp_path / 'hub' / 'tongban.db'}")
    try:
        [run] = store.runs(source="scjg_enterprise")
        assert run["status"] == "failed" and run["message"], run
        assert run["message"].split(":")[0] in reasons[0]  # the same error class

        # The right secret from an Airflow connection wins over the environment, and the
        # endpoint comes from an Airflow variable.
        secret = sandbox.env["TONGBAN_SCJG_APP_SECRET"]
        env["AIRFLOW_CONN_TONGBAN_SCJG_ENTERPRISE"] = json.dumps(
            {"conn_type": "generic", "extra": {"TONGBAN_SCJG_APP_SECRET": secret}}
        )
        env["AIRFLOW_VAR_TONGBAN_SCJG_ENTERPRISE"] = json.dumps(
            {"TONGBAN_SCJG_URL": env.pop("TONGBAN_SCJG_URL")}
        )
        _run(args, env)
        assert store.runs(source="scjg_enterprise")[0]["status"] == "succeeded"
    finally:
        store.dispose()
