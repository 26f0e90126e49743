"""One large source through Airflow, as one task and as parallel partitions.

Starts the sandbox population registry (SOAP) with ``--people`` records, a fresh
PostgreSQL store, and Airflow as the scaled deployment runs it (API server, scheduler,
DAG processor and two Celery workers, one task at a time each, Redis as the broker, the
metadata in a second fresh database; ``--executor local`` for the LocalExecutor
instead). Syncs the registry through a copy of its definition with one partition
(``single_task_records_per_s``), empties the store, and syncs it through the bundled
definition, split over its partitions (``partitioned_records_per_s``); ``speedup`` is
their ratio. Each figure is records read over the DAG run's wall time, scheduling
included; after a warm-up run, the pair runs ``--repeat`` times (alternating which goes first);
each repetition prints a line, and the figures printed last are medians.

    .venv/bin/python bench/scale.py                  # --people 20000 --repeat 3
    .venv/bin/python bench/scale.py --no-preload     # workers import nothing ahead

The workers use ``dags.celery_config`` (Great Expectations and the connectors
imported once per worker, not once per task) unless ``--no-preload``.

Then where each run's wall time went, from Airflow's task instances and the store's run
log (seconds; a partition's figures are the slower partition's):

- ``scheduling_s``: no task process running (waiting for the scheduler and executor
  between tasks, and for the run to be marked done);
- ``task_overhead_s``: task processes running but not syncing: starting (DAG file,
  imports, definitions, store connection) and exiting, and the whole of ``plan`` and
  ``finish`` (also printed alone, ``plan_s`` and ``finish_s``);
- ``setup_s``: the sync's own start: the Great Expectations suite (GX imported then,
  unless preloaded) and the SOAP client (its WSDL);
- ``fetch_s``, ``normalize_s``, ``validate_s``, ``write_s``: the sync itself (fetching
  overlaps with the rest; writes overlap with preparing the next batch in a single task).

``gx_import_s`` is the import of the validation package in a fresh process, measured in
the same run. On two cores expect little from partitions: every partition reads and
validates the whole source and writes its share, so the split pays where writes
dominate and cores are many.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sandbox import Sandbox, SandboxConfig
from tongban.store import Store
from tongban.store.schema import metadata

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("TONGBAN_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _database() -> Iterator[str]:
    name = f"tongban_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait()


def _at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _span(start: Any, end: Any) -> float:
    return (_at(end) - _at(start)).total_seconds()


def _figures(run: dict, tis: list[dict], logged: list[dict]) -> dict[str, float]:
    """Where one DAG run's wall time went (see the module's docstring)."""
    syncs = {r["source"]: r for r in logged if r["kind"] in ("sync", "sync partition")}
    wall = _span(run["start_date"], run["end_date"])
    read = sum(r["read"] for r in syncs.values())
    # Stages of the run: tasks that run side by side (the partitions) are one stage.
    stages: dict[int, list[dict]] = {}
    order = {"plan": 0, "sync": 1, "sync_partition": 1, "finish": 2}
    for ti in tis:
        stages.setdefault(order[ti["task_id"]], []).append(ti)
    running = 0.0
    overhead = 0.0
    syncing: dict[str, float] = {}
    alone: dict[str, float] = {}
    for _, stage in sorted(stages.items()):
        first = min(_at(t["start_date"]) for t in stage)
        last = max(_at(t["end_date"]) for t in stage)
        running += (last - first).total_seconds()
        slowest = max(stage, key=lambda t: _span(t["start_date"], t["end_date"]))
        if slowest["task_id"] in ("plan", "finish"):
            alone[f"{slowest['task_id']}_s"] = _span(slowest["start_date"], slowest["end_date"])
            overhead += alone[f"{slowest['task_id']}_s"]
            continue
        name = next(n for n in syncs if slowest["task_id"] == "sync" or
                    n.startswith(_partition_prefix(slowest["map_index"], len(stage))))  # fmt: skip
        log = syncs[name]
        timings = log["timings"] or {}
        inside = _span(log["started_at"], log["finished_at"])
        overhead += _span(slowest["start_date"], slowest["end_date"]) - inside
        syncing = {
            "setup_s": inside - timings["total"] + timings.get("setup", 0.0),
            "fetch_s": max(0.0, timings["extract"] - timings["normalize"]
                           - timings.get("validate", 0.0)),
            "normalize_s": timings["normalize"],
            "validate_s": timings.get("validate", 0.0),
            "write_s": timings["write"],
        }  # fmt: skip
    return {
        "records_per_s": read / wall,
        "wall_s": wall,
        "scheduling_s": wall - running,
        "task_overhead_s": overhead,
        **alone,
        **syncing,
    }


def _partition_prefix(map_index: int, of: int) -> str:
    return f"gongan_population~{map_index + 1}of{of}"


def _gx_import_seconds(env: dict[str, str]) -> float:
    """Importing the validation package (and Great Expectations) in a fresh process."""
    code = ("import time; t = time.perf_counter(); import expectations.validator;"
            " print(time.perf_counter() - t)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, timeout=300)  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def _airflow_env(
    base: Path, args: argparse.Namespace, sandbox: Sandbox, store_url: str, airflow_url: str
) -> dict[str, str]:
    port = _free_port()
    meta = make_url(airflow_url).set(drivername="postgresql+psycopg2")
    meta_url = meta.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TONGBAN_"))}
    env.update(sandbox.env)
    env.update(
        AIRFLOW_HOME=str(base / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor" if args.executor == "celery" else "LocalExecutor",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=meta_url,
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
        TONGBAN_DATABASE_URL=store_url,
        TONGBAN_DATA_DIR=str(base / "hub"),
        TONGBAN_SOURCES_DIR=str(base / "sources"),
        TONGBAN_AIRFLOW_SCHEDULES="manual",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if args.executor == "celery":
        env.update(
            AIRFLOW__CELERY__BROKER_URL=REDIS,
            AIRFLOW__CELERY__RESULT_BACKEND=f"db+{meta_url}",
            # Our own queue on the shared Redis: no other deployment's worker takes our tasks.
            AIRFLOW__OPERATORS__DEFAULT_QUEUE=f"tongban_bench_{uuid.uuid4().hex[:10]}",
        )
        if args.preload:
            env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] = "dags.celery_config.CELERY_CONFIG"
    return env


def _start(base: Path, env: dict[str, str], name: str, args: list[str], **extra: str) -> Any:
    log = (base / f"{name}.log").open("w")
    return subprocess.Popen([str(BIN / "airflow"), *args], env={**env, **extra}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def _wait_ready(base: Path, api: str, wanted: set[str], workers: list[str]) -> None:
    deadline = time.monotonic() + 300
    while True:
        try:
            dags = httpx.get(f"{api}/dags", params={"limit": 100}, timeout=10).json()
            ready = all(" ready." in (base / f"{w}.log").read_text(errors="replace")
                        for w in workers)  # fmt: skip
            if wanted <= {d["dag_id"] for d in dags["dags"]} and ready:
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"Airflow did not parse the DAGs within 300 s; logs in {base}")
        time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--executor", choices=("celery", "local"), default="celery")
    parser.add_argument("--no-preload", dest="preload", action="store_false")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tongban-scale-"))
    processes: list[subprocess.Popen] = []
    try:
        with (
            _database() as store_url,
            _database() as airflow_url,
            Sandbox(
                base / "sandbox", SandboxConfig(seed=7, people=args.people, enterprises=10)
            ) as sandbox,
        ):
            store = Store(store_url)
            store.migrate()
            sources = base / "sources"
            sources.mkdir()
            raw = yaml.safe_load((REPO / "connectors/sources/gongan_population.yaml").read_text())
            partitions = int(raw.get("partitions", 1))
            raw.update(name="gongan_single", partitions=1)
            (sources / "gongan_single.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
            env = _airflow_env(base, args, sandbox, store_url, airflow_url)
            subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True,
                           capture_output=True, timeout=600)  # fmt: skip
            port = env["AIRFLOW__API__PORT"]
            processes.append(_start(base, env, "api-server", ["api-server", "--port", port]))
            processes.append(_start(base, env, "scheduler", ["scheduler"]))
            processes.append(_start(base, env, "dag-processor", ["dag-processor"]))
            workers = ["worker-a", "worker-b"] if args.executor == "celery" else []
            for name in workers:
                processes.append(_start(
                    base, env, name, ["celery", "worker", "-H", f"{name}@%h", "-q",
                                      env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"], "-c", "1",
                                      "--without-gossip", "--without-mingle"],
                    AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
                ))  # fmt: skip
            api = f"http://127.0.0.1:{port}/api/v2"
            _wait_ready(base, api, {"sync_gongan_single", "sync_gongan_population"}, workers)

            def run(dag_id: str) -> dict[str, float]:
                with store.engine.begin() as conn:
                    tables = ", ".join(t.name for t in metadata.sorted_tables)
                    conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                made = httpx.post(f"{api}/dags/{dag_id}/dagRuns", json={"logical_date": None},
                                  timeout=30).json()  # fmt: skip
                run_url = f"{api}/dags/{dag_id}/dagRuns/{made['dag_run_id']}"
                while True:
                    got = httpx.get(run_url, timeout=30).json()
                    if got["state"] in ("success", "failed"):
                        break
                    time.sleep(0.5)
                if got["state"] != "success":
                    raise SystemExit(f"{dag_id} failed; logs in {base}")
                tis = httpx.get(f"{run_url}/taskInstances", timeout=30).json()["task_instances"]
                logged = [dict(r) for r in store.runs(limit=100)]
                return _figures(got, tis, logged)

            run("sync_gongan_single")  # warm-up: the first task of a fresh deployment is slow
            found: dict[str, list[dict[str, float]]] = {"single": [], "partitioned": []}
            for i in range(args.repeat):
                pair = [("single", "sync_gongan_single"),
                        ("partitioned", "sync_gongan_population")]  # fmt: skip
                for label, dag_id in pair if i % 2 == 0 else reversed(pair):
                    found[label].append(run(dag_id))
                one, two = found["single"][-1], found["partitioned"][-1]
                print(f"# repetition {i + 1}: single {one['records_per_s']:.0f} records/s"
                      f" ({one['wall_s']:.1f} s), partitioned {two['records_per_s']:.0f}"
                      f" records/s ({two['wall_s']:.1f} s)", flush=True)  # fmt: skip
            store.dispose()
            gx = _gx_import_seconds(env)
            single, parted = (_medians(found[k]) for k in ("single", "partitioned"))
            print(f"people: {args.people}")
            print(f"partitions: {partitions}")
            print(f"executor: {args.executor}" + (" (no preload)" if not args.preload else ""))
            print(f"single_task_records_per_s: {single['records_per_s']:.0f}")
            print(f"partitioned_records_per_s: {parted['records_per_s']:.0f}")
            pairs = zip(found["single"], found["partitioned"], strict=True)
            speedups = [p["records_per_s"] / s["records_per_s"] for s, p in pairs]
            print(f"speedup: {statistics.median(speedups):.2f}")
            for label, figures in (("single", single), ("partitioned", parted)):
                for name, value in figures.items():
                    if name != "records_per_s":
                        print(f"{label}_{name}: {value:.1f}")
            print(f"gx_import_s: {gx:.1f}")
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(base, ignore_errors=True)


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


if __name__ == "__main__":
    main()
