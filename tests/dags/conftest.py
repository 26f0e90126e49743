"""Airflow for the DAG tests: a throwaway AIRFLOW_HOME per test session, its metadata in
SQLite there, the dags folder pointing at the repository's ``dags/``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from airflow_kit import BIN, airflow_base_env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A migrated Airflow metadata database in a throwaway AIRFLOW_HOME; yields the env."""
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_base_env(home)
    done = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    yield env
