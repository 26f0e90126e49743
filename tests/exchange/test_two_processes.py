"""Two API processes under concurrent load: one chain, one entry per request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest
from exchange_world import ITEM, citizen_id, free_port

from exchange import AuditLog, ClientRegistry, ExchangeSettings
from tongban.pipeline import load_records
from tongban.store import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REQUESTS = 160


def test_two_workers_write_one_verifiable_chain(pg_url: str, tmp_path: Path):
    store = Store(pg_url)
    store.migrate()
    person = citizen_id("110105", "19900101", "123")
    load_records(
        store,
        "person",
        [("1", {"id_number": person, "name": "王伟", "gender": "1", "birth_date": "1990-01-01"})],
        source="gongan_population",
    )
    _, key = ClientRegistry(store, ExchangeSettings()).add("load", "压测", rate_limit=10_000)
    assert key is not None
    port = free_port()
    env = {**os.environ, "TONGBAN_DATABASE_URL": pg_url, "TONGBAN_DATA_DIR": str(tmp_path)}
    tongban = Path(sys.executable).with_name("tongban")
    server = subprocess.Popen(
        [str(tongban), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # a busy machine starts slowly
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(base + "/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
        workers = psutil.Process(server.pid).children(recursive=True)
        assert len([w for w in workers if "spawn_main" in " ".join(w.cmdline())]) == 2
        headers = {"X-API-Key": key, "X-Service-Item": ITEM}

        def one(i: int) -> int:
            h = {**headers, "X-Case-Number": f"LOAD-{i}"}
            # Every fourth request is refused (bad checksum): refusals are logged too.
            subject = person if i % 4 else person[:-1] + "0"
            return http.get(f"/v1/people/{subject}", headers=h).status_code

        limits = httpx.Limits(max_connections=16)
        with httpx.Client(base_url=base, timeout=60, limits=limits) as http:
            with ThreadPoolExecutor(16) as pool:
                codes = list(pool.map(one, range(REQUESTS)))
        assert codes.count(200) == REQUESTS - REQUESTS // 4
        assert codes.count(422) == REQUESTS // 4
    finally:
        server.terminate()
        server.wait(30)
    report = AuditLog(store).verify()
    assert report.ok, str(report.broken)
    assert report.entries == REQUESTS
    cases = {r["case_no"] for r in AuditLog(store).recent(limit=REQUESTS)}
    assert cases == {f"LOAD-{i}" for i in range(REQUESTS)}
    store.dispose()
