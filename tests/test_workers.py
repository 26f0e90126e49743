"""API worker processes (``cli.workers``): connections spread over the workers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

# An app factory that answers with the pid of the worker process serving it.
APP = """
import os
from fastapi import FastAPI

def make():
    app = FastAPI()

    @app.get("/pid")
    def pid():
        return {"pid": os.getpid()}

    return app
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(sock: socket.socket) -> int:
    """One keep-alive request on an open connection; the pid in its answer."""
    sock.sendall(b"GET /pid HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"}" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the worker closed the connection"
        data += chunk
    return int(data.rsplit(b'"pid":', 1)[1].split(b"}")[0])


def test_a_burst_of_connections_reaches_every_worker(tmp_path: Path) -> None:
    (tmp_path / "pid_app.py").write_text(APP)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.workers", "pid_app:make", "--port", str(port)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"},
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/pid", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        # Both workers listen once one answers? Wait until a second pid has been seen on
        # fresh connections, or give up: with one socket shared, a burst goes to one.
        seen: set[int] = set()
        while len(seen) < 2 and time.monotonic() < deadline:
            with socket.create_connection(("127.0.0.1", port)) as s:
                seen.add(_get(s))
        assert len(seen) == 2, "only one worker ever answered"
        # 32 connections opened at once, held open (keep-alive), as a load balancer would.
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        try:
            pids = [_get(c) for c in conns]
            assert [_get(c) for c in conns] == pids  # each stays with its worker
        finally:
            for c in conns:
                c.close()
        per_worker = sorted(pids.count(p) for p in set(pids))
        assert len(per_worker) == 2, f"all 32 connections went to one worker: {per_worker}"
        assert per_worker[0] >= 4, f"the connections are spread unevenly: {per_worker}"
    finally:
        server.terminate()
        assert server.wait(30) == 0
