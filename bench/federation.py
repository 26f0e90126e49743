"""What one hop between hubs costs: evidence asked of the hub that holds it, and the same
evidence asked of a county hub that relays it to the province.

    .venv/bin/python bench/federation.py [--requests 2000] [--concurrency 32] [--repeat 2]

Starts the sandbox federation (``sandbox.levels``: the province on a fresh PostgreSQL
database, two counties on SQLite, each ``tongban serve`` in its own process on a free
loopback port). The same person records are fetched

- locally: the province's approval system asks the province, which holds them;
- federated: a county's approval system asks its county hub, which does not hold them,
  signs a peer request, the province answers under its own grants and seal, and the
  county checks the seal and passes the answer on — two audit entries, one per hub.

Prints, one figure a line (rates at --concurrency, medians of --repeat alternating runs):
    local_requests_per_s
    federated_requests_per_s
    federation_overhead_ms      p50 latency federated minus p50 local, at --concurrency
    federation_overhead_ms_c1   the same, one request at a time (the hop without queueing)
    evidence_overhead_ms_c1     p50 of a county's evidence directory whose three materials
                                the province supplies (asked at once), minus the same
                                directory at the province, one request at a time
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/exchange.py would
# hide the `exchange` package: drop it.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in ("", _HERE) and Path(p).resolve() != Path(_HERE)]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from sandbox.levels import LevelHub, Levels, start_levels  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def _database() -> Iterator[str]:
    name = f"tongban_bench_fed_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def _run(hub: LevelHub, paths: list[str], concurrency: int) -> tuple[float, list[float]]:
    """Requests per second and each request's latency (s); every answer must be a 200."""
    queue = iter(paths)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=hub.url, limits=limits, timeout=60) as client:

        async def worker(n: int) -> None:
            for i, path in enumerate(queue):
                start = time.perf_counter()
                r = await client.get(path, headers=hub.headers(case_no=f"B-{n}-{i}"))
                latencies.append(time.perf_counter() - start)
                if r.status_code != 200:
                    raise SystemExit(f"{hub.hub_id} {path}: {r.status_code} {r.text[:300]}")

        start = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - start
    return len(paths) / elapsed, latencies


def _measure(levels: Levels, n: int, concurrency: int) -> dict[str, float]:
    people = [p.id_number for p in levels.people]
    paths = [f"/v1/people/{people[i % len(people)]}" for i in range(n)]
    local_rate, local_lat = asyncio.run(_run(levels["province"], paths, concurrency))
    fed_rate, fed_lat = asyncio.run(_run(levels["county-a"], paths, concurrency))
    few = paths[: max(50, n // 10)]
    _, local_c1 = asyncio.run(_run(levels["province"], few, 1))
    _, fed_c1 = asyncio.run(_run(levels["county-a"], few, 1))
    med = statistics.median
    return {
        "local_requests_per_s": local_rate,
        "federated_requests_per_s": fed_rate,
        "federation_overhead_ms": (med(fed_lat) - med(local_lat)) * 1000,
        "federation_overhead_ms_c1": (med(fed_c1) - med(local_c1)) * 1000,
    }


def _grant_evidence(levels: Levels) -> None:
    """Marriage and insurance records for the evidence item, granted at both ends (the
    province grants the county's client, enrolled by its first request)."""
    from exchange import GrantRegistry
    from exchange.catalog import load_share_catalog
    from sandbox.levels import ITEM
    from tongban.store import Store

    catalog = load_share_catalog()
    for hub, client in (("province", "zwfw-fj"), ("county-a", "zwfw-mh"),
                        ("province", "county-a.zwfw-mh")):  # fmt: skip
        store = Store(levels[hub].database_url)
        for name in ("marriage", "insurance"):
            GrantRegistry(store, catalog).add(
                client, name, service_items=[ITEM], fields=list(catalog.resource(name).fields),
                days=1, approved_by="bench",
            )  # fmt: skip
        store.dispose()


def _evidence(levels: Levels, n: int) -> dict[str, float]:
    from sandbox.levels import ITEM

    people = [p.id_number for p in levels.people if p.married and p.insured]
    paths = [f"/v1/items/{ITEM}/evidence?applicant={people[i % len(people)]}" for i in range(n)]
    county = levels["county-a"]
    got = httpx.get(county.url + paths[0], headers=county.headers(), timeout=60).json()
    if [m.get("hub") for m in got.get("supplied", [])] != ["province"] * 3:
        raise SystemExit(f"the county's evidence is not the province's three materials: {got}")
    _, local = asyncio.run(_run(levels["province"], paths, 1))
    _, federated = asyncio.run(_run(levels["county-a"], paths, 1))
    return {
        "evidence_overhead_ms_c1": (statistics.median(federated) - statistics.median(local)) * 1000
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--people", type=int, default=200)
    args = parser.parse_args()
    with (
        _database() as province_db,
        tempfile.TemporaryDirectory(prefix="tongban-bench-fed-") as tmp,
    ):
        started = time.perf_counter()
        with start_levels(
            Path(tmp),
            database_urls={"province": province_db},
            people=args.people,
            rate_limit=10_000_000,
            timeout_s=30,
        ) as levels:
            print(f"start_s: {time.perf_counter() - started:.1f}", flush=True)
            _measure(levels, min(200, args.requests), args.concurrency)  # warm both paths
            _grant_evidence(levels)
            runs = []
            for i in range(args.repeat):
                figures = _measure(levels, args.requests, args.concurrency)
                figures.update(_evidence(levels, max(50, args.requests // 10)))
                for name, value in figures.items():
                    print(f"run{i + 1}_{name}: {value:.1f}", flush=True)
                runs.append(figures)
    for name in runs[0]:
        print(f"{name}: {statistics.median(r[name] for r in runs):.1f}")


if __name__ == "__main__":
    main()
