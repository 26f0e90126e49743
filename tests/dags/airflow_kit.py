"""Shared by the DAG tests: the environment of an Airflow process with a throwaway home."""

from __future__ import annotations

import contextlib
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
