"""The hub's Celery settings are Airflow's own plus the modules its workers import before
forking tasks, and those modules import (a worker that cannot import them does not start)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from airflow_kit import airflow_base_env

_READ = textwrap.dedent(
    """
    import importlib, json, sys
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
    from dags.celery_config import CELERY_CONFIG, PRELOADED
    for name in PRELOADED:
        importlib.import_module(name)
    print(json.dumps({
        "same_otherwise": {k: v for k, v in CELERY_CONFIG.items() if k != "imports"}
        == {k: v for k, v in DEFAULT_CELERY_CONFIG.items() if k != "imports"},
        "imports": list(CELERY_CONFIG["imports"]),
        "preloaded": list(PRELOADED),
        "loaded": sorted(m for m in ("great_expectations", "zeep") if m in sys.modules),
    }))
    """
)


def test_workers_import_validation_and_connectors_before_forking_tasks(tmp_path):
    env = airflow_base_env(tmp_path / "home")
    done = subprocess.run([sys.executable, "-c", _READ], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["same_otherwise"]
    assert found["preloaded"] == ["expectations.validator", "connectors"]
    assert set(found["preloaded"]) <= set(found["imports"])
    assert found["loaded"] == ["great_expectations", "zeep"]
