"""Shared by the DAG tests: the environment of an Airflow process with a throwaway home."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, *, components: tuple[str, ...], timeout: float) -> dict:
    """Poll Airflow's health endpoint until every component is healthy; its last answer."""
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        try:
            url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
            with urllib.request.urlopen(url, timeout=5) as answer:
                last = json.loads(answer.read())
            if all((last.get(c) or {}).get("status") == "healthy" for c in components):
                return last
        except OSError:
            pass
        time.sleep(2)
    raise AssertionError(f"Airflow on port {port} not healthy after {timeout} s: {last}")


def stop_group(process, *, grace: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Stop a process started with ``start_new_session=True`` and everything it started:
    SIGTERM to its group, then SIGKILL to what is left after ``grace`` seconds."""
    import os
    import signal
    import time

    pgid = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        time.sleep(1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    process.wait()


def worker_name() -> str:
    """Airflow's hostname callable in the Celery test: each worker says which it is, so a
    task instance's hostname tells the two workers on this one machine apart."""
    return os.environ.get("TONGBAN_TEST_WORKER") or __import__("socket").getfqdn()


def start_weed(base: Path) -> tuple[Any, dict[str, str]]:
    """A real S3 server (:mod:`s3_kit`) for the Airflow workers; returns its process and
    the ``TONGBAN_VAULT_S3_*`` settings. Imported here, not at the top: the Airflow
    workers import this module (``worker_name``) with only this directory on the path."""
    import uuid

    from s3_kit import start_weed as start

    server = start(base)
    return server.process, {
        "TONGBAN_VAULT_STORAGE": "s3",
        "TONGBAN_VAULT_S3_ENDPOINT": server.endpoint,
        "TONGBAN_VAULT_S3_ACCESS_KEY": server.access_key,
        "TONGBAN_VAULT_S3_SECRET_KEY": server.secret_key,
        "TONGBAN_VAULT_S3_BUCKET": f"hub-{uuid.uuid4().hex[:10]}",
        "TONGBAN_VAULT_S3_SECURE": "false",
    }
