"""Exchange API throughput: signed, audited evidence lookups against a bare lookup.

    .venv/bin/python bench/exchange.py [--people 1000000] [--requests 20000] [--concurrency 32]

Loads --people people into a fresh PostgreSQL database (COPY, with provenance as the
store keeps it), starts the API with two worker processes (each its own uvicorn, as
`tongban serve --workers 2` runs them) and drives it from a separate load-generating process over
keep-alive connections. Each request is an evidence lookup of a random person
(`GET /v1/people/{id}`): API key, rate limit, stated purpose, share-catalog policy,
masking, the hub's detached JWS over the answer, and its hash-chained audit entry
committed before the answer leaves. In the same run, the same load goes to a bare
endpoint of the same processes doing the same indexed lookup with none of that.
Prints, one figure a line:
    requests_per_s, p50_ms, p99_ms           the evidence lookups
    bare_requests_per_s, bare_p50_ms, bare_p99_ms
    ratio_vs_bare                            requests_per_s / bare_requests_per_s
    busiest_worker_share, bare_busiest_worker_share
                                             the share of the requests one worker answered
                                             (0.50: evenly spread over two)
    server_cpu_ms_per_request, postgres_cpu_ms_per_request, loadgen_cpu_ms_per_request
                                             where the CPU of the evidence phase went
    bare_server_cpu_ms_per_request           the API processes' CPU for a bare lookup
    audit_append_*, store_pool_wait_*, sign_*   p50, p99 and total per request of those
                                             steps in the evidence phase (wall clock)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and its name would hide
# the `exchange` package: drop it.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in ("", _HERE) and Path(p).resolve() != Path(_HERE)]
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from contextlib import suppress  # noqa: E402
from datetime import UTC, date, datetime  # noqa: E402

import httpx  # noqa: E402
import psutil  # noqa: E402

from bench._pg import throwaway_database  # noqa: E402
from tongban.identifiers import id_check_char  # noqa: E402
from tongban.settings import Settings  # noqa: E402
from tongban.store import Store  # noqa: E402

ITEM = "11110000RS0201"
REGIONS = ("110105", "310104", "440305", "510107", "330106", "420102", "610113", "210102")
_LENGTH = re.compile(rb"content-length: *(\d+)", re.IGNORECASE)
_WORKER = re.compile(rb"x-worker: *(\d+)", re.IGNORECASE)


def people(n: int, seed: int = 16) -> list[str]:
    rnd = random.Random(seed)
    start = date(1950, 1, 1).toordinal()
    found: set[str] = set()
    while len(found) < n:
        born = date.fromordinal(start + rnd.randrange(20000)).strftime("%Y%m%d")
        first17 = f"{rnd.choice(REGIONS)}{born}{rnd.randrange(1000):03d}"
        found.add(first17 + id_check_char(first17))
    return sorted(found)


def load(store: Store, keys: list[str]) -> float:
    """COPY the people into the store's person table; returns seconds."""
    import psycopg

    now = datetime.now(UTC)
    prov = (
        '{"origins": [{"source": "gongan_population", "record": "bench", "run": null,'
        f' "at": "{now.isoformat()}"}}]}}'
    )
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        columns = "id_number, name, gender, birth_date, address, phone, version, provenance,"
        with cur.copy(f"COPY person ({columns} created_at, updated_at) FROM STDIN") as copy:
            for i, key in enumerate(keys):
                born = datetime.strptime(key[6:14], "%Y%m%d").date()
                gender = "1" if int(key[16]) % 2 else "2"
                copy.write_row(
                    (
                        key,
                        f"测试{i % 9973}",
                        gender,
                        born,
                        f"新华街{i % 500}号",
                        f"138{i % 100_000_000:08d}",
                        1,
                        prov,
                        now,
                        now,
                    )
                )
        cur.execute("ANALYZE person")
    return time.perf_counter() - t0


def cpu_s(procs: Iterable[psutil.Process]) -> float:
    """User and system CPU the processes have used so far (0 for one that has gone)."""
    total = 0.0
    for proc in procs:
        with suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system
    return total


def postgres_cpu() -> float:
    servers = psutil.process_iter(["name"])
    return cpu_s(p for p in servers if p.info["name"] in ("postgres", "postmaster"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the load generator (its own process) -----------------------------------------------


async def _drive(
    port: int, requests: list[bytes], concurrency: int
) -> tuple[list[float], int, dict[bytes, int]]:
    latencies: list[float] = []
    failures = 0
    served: dict[bytes, int] = {}  # requests answered by each worker process
    share = [requests[i::concurrency] for i in range(concurrency)]

    async def connection(batch: list[bytes]) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for raw in batch:
            t0 = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            m = _LENGTH.search(head)
            await reader.readexactly(int(m.group(1)) if m else 0)
            latencies.append(time.perf_counter() - t0)
            failures += head[9:12] != b"200"
            w = _WORKER.search(head)
            worker = w.group(1) if w else b"?"
            served[worker] = served.get(worker, 0) + 1
        writer.close()

    await asyncio.gather(*(connection(b) for b in share))
    return latencies, failures, served


def _loadgen(port: int, requests: list[bytes], concurrency: int, out: mp.Queue) -> None:
    t0 = time.perf_counter()
    latencies, failures, served = asyncio.run(_drive(port, requests, concurrency))
    wall = time.perf_counter() - t0
    times = psutil.Process().cpu_times()
    out.put((wall, latencies, failures, times.user + times.system, served))


def run_load(port: int, requests: list[bytes], concurrency: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_loadgen, args=(port, requests, concurrency, out))
    proc.start()
    wall, latencies, failures, cpu, served = out.get()
    proc.join()
    if failures:
        raise SystemExit(f"{failures} of {len(requests)} requests were not answered 200")
    latencies.sort()
    return {
        "rps": len(requests) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "loadgen_cpu": cpu,
        "wall": wall,
        "busiest_worker_share": max(served.values()) / len(requests),
    }


def requests_for(keys: list[str], n: int, path: str, headers: str, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    return [
        f"GET {path}{rnd.choice(keys)} HTTP/1.1\r\nHost: bench\r\n{headers}\r\n".encode()
        for _ in range(n)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = ap.parse_args()

    with throwaway_database(args.pg) as url, tempfile.TemporaryDirectory() as tmp:
        store = Store(url)
        store.migrate()
        t0 = time.perf_counter()
        keys = people(args.people)
        print(f"people_generated_s: {time.perf_counter() - t0:.1f}", flush=True)
        print(f"people_copied_s: {load(store, keys):.1f}", flush=True)

        from exchange import ClientRegistry, ExchangeSettings, Hub

        settings = Settings(data_dir=Path(tmp), database_url=url)
        timings = tempfile.mkdtemp(dir=tmp)
        Hub(settings, store=store).signer.chain()  # the answer seal, made once
        _, key = ClientRegistry(store, ExchangeSettings()).add(
            "bench", "压测审批系统", rate_limit=100_000_000
        )
        env = {
            **os.environ,
            "TONGBAN_DATABASE_URL": url,
            "TONGBAN_DATA_DIR": tmp,
            "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(dir=tmp),
            "TONGBAN_BENCH_TIMINGS": timings,
        }
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli.workers",
                "bench._exchange_app:make",
                "--workers",
                str(args.workers),
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            _wait(port, server)
            full_headers = (
                f"X-API-Key: {key}\r\nX-Service-Item: {ITEM}\r\nX-Case-Number: BENCH-1\r\n"
            )
            api = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
            warm = requests_for(keys, 2000, "/v1/people/", full_headers, 1)
            run_load(port, warm, args.concurrency)
            run_load(port, requests_for(keys, 2000, "/bare/people/", "", 2), args.concurrency)
            bare_before = cpu_s(api)
            bare = run_load(
                port, requests_for(keys, args.requests, "/bare/people/", "", 3), args.concurrency
            )
            bare_cpu = cpu_s(api) - bare_before
            before = (cpu_s(api), postgres_cpu())
            full_from = time.time()
            full = run_load(
                port,
                requests_for(keys, args.requests, "/v1/people/", full_headers, 4),
                args.concurrency,
            )
            after = (cpu_s(api), postgres_cpu())
            full_to = time.time()
        finally:
            server.terminate()
            server.wait(30)
        steps = _steps(Path(timings), full_from, full_to)
        n = args.requests
        print(f"requests_per_s: {full['rps']:.0f}")
        print(f"p50_ms: {full['p50']:.1f}")
        print(f"p99_ms: {full['p99']:.1f}")
        print(f"bare_requests_per_s: {bare['rps']:.0f}")
        print(f"bare_p50_ms: {bare['p50']:.1f}")
        print(f"bare_p99_ms: {bare['p99']:.1f}")
        print(f"ratio_vs_bare: {full['rps'] / bare['rps']:.2f}")
        print(f"busiest_worker_share: {full['busiest_worker_share']:.2f}")
        print(f"bare_busiest_worker_share: {bare['busiest_worker_share']:.2f}")
        print(f"server_cpu_ms_per_request: {(after[0] - before[0]) / n * 1000:.2f}")
        print(f"bare_server_cpu_ms_per_request: {bare_cpu / n * 1000:.2f}")
        print(f"postgres_cpu_ms_per_request: {(after[1] - before[1]) / n * 1000:.2f}")
        print(f"loadgen_cpu_ms_per_request: {full['loadgen_cpu'] / n * 1000:.2f}")
        for step, took in sorted(steps.items()):
            took.sort()
            print(f"{step}_p50_ms: {statistics.median(took) * 1000:.2f}")
            print(f"{step}_p99_ms: {took[int(len(took) * 0.99) - 1] * 1000:.2f}")
            print(f"{step}_ms_per_request: {sum(took) / n * 1000:.2f}")
        audit = store.engine.connect().exec_driver_sql("SELECT count(*) FROM audit_log").scalar()
        print(f"audit_entries: {audit}")
        store.dispose()


def _steps(folder: Path, start: float, end: float) -> dict[str, list[float]]:
    """The workers' step timings that ended within the evidence phase."""
    found: dict[str, list[float]] = {}
    for path in folder.glob("*.json"):
        for at, step, took in json.loads(path.read_text()):
            if start <= at <= end:
                found.setdefault(step, []).append(took)
    return found


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the API exited before it was ready")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("the API did not become ready")


if __name__ == "__main__":
    main()
