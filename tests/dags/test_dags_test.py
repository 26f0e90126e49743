"""``airflow dags test`` of a sync DAG against the sandbox systems and a fresh store: a
failed attempt says why in one line, and Airflow's connections and variables supply the
endpoint and the secret.

That every sync DAG ends with the store ``tongban sync --all`` makes, and that the license
issuance DAG then issues every e-license, is tested on the deployed scheduler with Celery
workers (``test_celery.py``)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from airflow_kit import BIN, REPO

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
