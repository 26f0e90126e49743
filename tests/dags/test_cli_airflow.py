"""``tongban airflow`` prepares a home, points Airflow at ``dags/`` and runs it standalone
against the embedded store: every component comes up healthy and every DAG is listed."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from airflow_kit import BIN, DAGS, airflow_base_env, free_port, stop_group, wait_healthy

from connectors import load_definitions

pytestmark = pytest.mark.slow


def test_prepare_only_prints_the_environment(tmp_path):
    env = airflow_base_env(tmp_path / "unused")
    env.pop("AIRFLOW_HOME")
    env["TONGBAN_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run([str(BIN / "tongban"), "airflow", "--prepare-only", "--port", "8999"],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.split("\n")
                 if line.startswith("export "))  # fmt: skip
    assert lines["AIRFLOW_HOME"] == str(tmp_path / "data" / "airflow")
    assert lines["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS)
    assert lines["AIRFLOW__API__PORT"] == "8999"
    assert (tmp_path / "data" / "tongban.db").exists()  # the store was created


def test_standalone_runs_every_dag(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TONGBAN_"))}
    env.update(
        TONGBAN_DATA_DIR=str(tmp_path / "data"),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    )
    log = (tmp_path / "standalone.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "tongban"), "airflow", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_healthy(port, components=("metadatabase", "scheduler", "dag_processor"),
                     timeout=240)  # fmt: skip
        home = {**env, "AIRFLOW_HOME": str(tmp_path / "data" / "airflow"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS)}  # fmt: skip
        wanted = {f"sync_{n}" for n in load_definitions()} | {"issue_licenses"}
        listed: set[str] = set()
        for _ in range(10):  # the DAG processor writes each file's DAGs as it parses it
            done = subprocess.run(
                [str(BIN / "airflow"), "dags", "list", "-o", "json"],
                env=home,
                capture_output=True,
                text=True,
                timeout=120,
            )
            found = [line for line in done.stdout.splitlines() if line.startswith("[")]
            listed = {d["dag_id"] for d in json.loads(found[-1])} if found else set()
            if wanted <= listed:
                break
            time.sleep(3)
        log_tail = (tmp_path / "standalone.log").read_text()[-3000:]
        assert wanted <= listed, (wanted - listed, log_tail)
    finally:
        stop_group(process)
        log.close()
