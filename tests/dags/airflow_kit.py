"""Shared by the DAG tests: the environment of an Airflow process with a throwaway home."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
BIN = Path(sys.executable).parent


def airflow_base_env(home: Path) -> dict[str, str]:
    """The environment of an Airflow process using ``home``, with nothing of the caller's
    own Airflow or tongban settings leaking in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "TONGBAN_"))}  # fmt: skip
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="false",
        AIRFLOW__CORE__UNIT_TEST_MODE="false",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env
