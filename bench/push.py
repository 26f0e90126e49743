"""Case events end to end: intake over HTTP (the exchange app, ``tongban serve``) into
PostgreSQL, and on through the outbox to the sandbox provincial platform's
acknowledgement, with the receiver healthy. Baseline in the same run: the same messages
POSTed straight to a receiver of their own (no intake, no store, no outbox).

    .venv/bin/python bench/push.py                  # 100,000 events
    .venv/bin/python bench/push.py --n 20000

Everything runs in its own process on free loopback ports: the API, two dispatchers
(``tongban outbox dispatch``), the two receivers (``python -m sandbox receiver``) and
this driver, which sends ``--senders`` requests at a time of ``--batch`` events (whole
cases, five events each) and polls the receiver until it holds every event.

Prints one figure a line: events_per_s (first request sent to last event acknowledged),
intake_events_per_s (the intake alone), direct_events_per_s (the baseline) and
ratio_vs_direct.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import throwaway_database  # noqa: E402

from exchange import Hub  # noqa: E402
from exchange.outbox import province_auth  # noqa: E402
from tongban.identifiers import id_check_char  # noqa: E402
from tongban.settings import Settings  # noqa: E402
from tongban.store import Store  # noqa: E402

ITEM = "11110000RS0201"  # 生育津贴申领
CST = timezone(timedelta(hours=8))
TONGBAN = str(Path(sys.executable).with_name("tongban"))
STEPS = ("received", "accepted", "correction", "reviewed", "concluded")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cases(n_cases: int) -> Iterator[list[dict[str, Any]]]:
    start = datetime(2026, 11, 2, 9, tzinfo=CST)
    for i in range(n_cases):
        no = f"B{i:07d}"
        body = f"110105{1960 + i % 40}{1 + i % 9:02d}{10 + i % 18}{i % 1000:03d}"
        applicant = body + id_check_char(body)
        events = []
        for k, kind in enumerate(STEPS):
            e: dict[str, Any] = {
                "type": kind,
                "event_id": f"{no}-{k + 1}",
                "case_no": no,
                "at": (start + timedelta(minutes=i % 900, hours=k)).isoformat(),
            }
            if kind == "received":
                e.update(item_code=ITEM, applicant_id=applicant, channel="online")
            elif kind == "correction":
                e["materials"] = ["医学诊断证明"]
            elif kind == "concluded":
                e["result"] = "approved"
            events.append(e)
        yield events


@contextmanager
def process(args: list[str], env: dict[str, str], ready: str) -> Iterator[str]:
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = ""
        while proc.stdout is not None:
            line = proc.stdout.readline()
            if not line or ready in line:
                break
        if ready not in line:
            raise SystemExit(f"{args[:3]} did not start: {line!r}")
        yield line
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def receiver(system: str, env: dict[str, str]) -> Any:
    return process([sys.executable, "-m", "sandbox", "receiver", "--system", system,
                    "--secret", "bench", "--token", "bench"], env, "listening")  # fmt: skip


def wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get("/health/live").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the API did not answer /health/live")


def received(url: str) -> int:
    return int(httpx.get(url + "/_sandbox/stats", timeout=30).json()["messages"])


def run_parallel(jobs: list[Any], senders: int, send: Any) -> None:
    lock = threading.Lock()
    todo = iter(jobs)
    errors: list[BaseException] = []

    def worker() -> None:
        while not errors:
            with lock:
                job = next(todo, None)
            if job is None:
                return
            try:
                send(job)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def direct(env: dict[str, str], batches: list[list[dict[str, Any]]], senders: int) -> float:
    """The same messages straight to a receiver: the ceiling of the last hop."""
    with receiver("province", env) as line:
        url = line.split()[1]
        sign = province_auth("tongban", "bench")
        client = httpx.Client(timeout=60)

        def send(batch: list[dict[str, Any]]) -> None:
            msgs = [{"idempotency_key": f"province:{e['case_no']}:{k % 5 + 1}", "seq": k % 5 + 1,
                     **e} for k, e in enumerate(batch)]  # fmt: skip
            body = httpx.Request("POST", "/", json={"messages": msgs}).content
            path = "/api/province/v1/messages"
            r = client.post(url + path, content=body,
                            headers={"Content-Type": "application/json",
                                     **sign("POST", path, body)})  # fmt: skip
            r.raise_for_status()

        t0 = time.perf_counter()
        run_parallel(batches, senders, send)
        elapsed = time.perf_counter() - t0
        assert received(url) == sum(len(b) for b in batches)
    return sum(len(b) for b in batches) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="events (five a case)")
    parser.add_argument("--batch", type=int, default=1000, help="events a request")
    parser.add_argument("--senders", type=int, default=2, help="requests at a time")
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    per_batch = max(1, args.batch // len(STEPS))
    all_cases = list(cases(args.n // len(STEPS)))
    batches = [[e for c in all_cases[i : i + per_batch] for e in c]
               for i in range(0, len(all_cases), per_batch)]  # fmt: skip
    total = sum(len(b) for b in batches)
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}

    with throwaway_database(args.pg) as url, tempfile.TemporaryDirectory() as data:
        store = Store(url)
        store.migrate()
        settings = Settings(data_dir=Path(data), database_url=url)
        _, key = Hub(settings, store=store).clients.add("bench-qlb", "审批系统 bench",
                                                        rate_limit=1_000_000)  # fmt: skip
        store.dispose()
        env = {**base_env, "TONGBAN_DATABASE_URL": url, "TONGBAN_DATA_DIR": data}
        direct_rate = direct(env, batches, args.senders)
        port = free_port()
        with receiver("province", env) as p_line, receiver("supervision", env) as s_line:
            p_url, s_url = p_line.split()[1], s_line.split()[1]
            env.update({
                "TONGBAN_OUTBOX_PROVINCE_URL": p_url, "TONGBAN_OUTBOX_PROVINCE_APP_KEY": "tongban",
                "TONGBAN_OUTBOX_PROVINCE_SECRET": "bench", "TONGBAN_OUTBOX_SUPERVISION_URL": s_url,
                "TONGBAN_OUTBOX_SUPERVISION_TOKEN": "bench", "TONGBAN_OUTBOX_POLL_SECONDS": "0.05",
                "TONGBAN_OUTBOX_LANES_PER_CLAIM": "400",
            })  # fmt: skip
            api = process([TONGBAN, "serve", "--port", str(port)], env, "exchange API on")
            dispatchers = [subprocess.Popen([TONGBAN, "outbox", "dispatch", "--name", f"d{i}"],
                                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
                           for i in range(args.dispatchers)]  # fmt: skip
            try:
                with api:
                    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                          headers={"X-API-Key": key or ""})  # fmt: skip
                    wait_until_up(client)

                    def send(batch: list[dict[str, Any]]) -> None:
                        r = client.post("/v1/cases/events/batch", json={"events": batch})
                        if r.status_code != 200:
                            raise SystemExit(f"intake refused: {r.status_code} {r.text[:300]}")

                    t0 = time.perf_counter()
                    run_parallel(batches, args.senders, send)
                    intake = time.perf_counter() - t0
                    while received(p_url) < total:
                        time.sleep(0.05)
                    elapsed = time.perf_counter() - t0
            finally:
                for d in dispatchers:
                    d.send_signal(signal.SIGTERM)
                for d in dispatchers:
                    d.wait(timeout=60)
    print(f"events: {total}")
    print(f"events_per_s: {total / elapsed:.0f}")
    print(f"intake_events_per_s: {total / intake:.0f}")
    print(f"direct_events_per_s: {direct_rate:.0f}")
    print(f"ratio_vs_direct: {(total / elapsed) / direct_rate:.3f}")


if __name__ == "__main__":
    main()
