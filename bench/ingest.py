"""End-to-end ingest speed: the REST enterprise registry (sandbox, its own process) synced
into PostgreSQL through the whole path (fetch, map, normalize, validate, merge with
provenance and history), against plain COPY of the same normalized rows into a bare
table, measured in the same run.

    .venv/bin/python bench/ingest.py              # 200,000 enterprises, three times
    .venv/bin/python bench/ingest.py --n 1000000 --repeat 1
    .venv/bin/python bench/ingest.py --peer dlt   # after bench/peers/install-dlt

Each repetition syncs into a fresh database, then COPYs there; the figures are medians
over the repetitions (``--repeat``, three by default), and each repetition's own are
printed as it ends. The ratio is the median of each repetition's own ratio: sync and
COPY back to back see the machine in the same state.

Prints one figure a line: records_per_s, copy_rows_per_s (median of three), ratio_vs_copy
and peak_rss_mb (the syncing process and its worker together; the registry runs apart);
resync_records_per_s, a full pass over the same records again (all unchanged, the daily
case of a source that sends everything); then golden_copy_rows_per_s and
golden_copy_vs_copy: the same rows COPYed into a table shaped like the store's own, the
ceiling that table alone sets on ratio_vs_copy.

A bare pipeline runs in the same repetition: the same pages fetched again the same way
(the connector, prefetched) and COPYed as they came into text columns, with no mapping,
validation, merge or history: bare_pipeline_records_per_s and ratio_vs_bare_pipeline.
startup_s is a whole ``tongban sync`` process of a source with nothing to read. With
``--peer dlt``, each repetition also times whole processes from start to exit, each a
first load into a fresh database: ``tongban sync scjg_enterprise`` (whole_process_s) and
dlt's rest_api source merging on the credit code, loaded by COPY
(``bench/peers/dlt_ingest.py``; dlt_whole_process_s, and dlt_records_per_s over its
pipeline.run); ratio_vs_dlt is dlt's whole time over tongban's.

Last, where the CPU of the first sync went, in core-seconds: the syncing process (all its
threads), the PostgreSQL server (every ``postgres`` process: backends, WAL writer,
checkpointer) and the registry. Two cores give at most twice the wall time, so
``cpu_bound_ratio_vs_copy`` (the COPY's time against half the core-seconds spent) is the
ratio the same work would reach if it kept both cores busy from start to end; and
``gil_bound_ratio_vs_copy`` (against the syncing process's own CPU, which its GIL
serializes) the one it would reach if that process never waited.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._baselines import bare_pipeline, copy_baseline  # noqa: E402
from bench._pg import throwaway_database  # noqa: E402
from bench._whole import Whole, dlt_whole, tongban_whole  # noqa: E402
from connectors import load_definitions, sync_source, warm_up  # noqa: E402
from tongban import SyncOptions  # noqa: E402
from tongban.settings import Settings  # noqa: E402
from tongban.store import Store  # noqa: E402


class RssSampler:
    """Peak memory of this process and its descendants (``exclude`` leaves out the
    registry), sampled by ``bench/_rss.py`` in a process of its own."""

    def __init__(self, exclude: set[int]):
        self.exclude, self.peak_mb = exclude, 0.0
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "_rss.py"), str(os.getpid()),
             *map(str, self.exclude)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def stop(self) -> None:
        assert self._proc is not None
        out, _ = self._proc.communicate("", timeout=60)
        self.peak_mb = float(out.strip() or 0)


@contextmanager
def registry(n: int, port: int):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "enterprise", "--port", str(port), "--enterprises",
         str(n), "--prerender", "--no-dirt", "--app-secret", "bench-secret"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("listening"):
            raise SystemExit(f"the registry did not start: {line!r}")
        yield line.split()[1], proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def postgres_cpu() -> float:
    """Core-seconds used so far by the processes of the PostgreSQL server on this machine
    (0 where their CPU times cannot be read, such as a server on another host). A process
    that starts and ends between two readings (an autovacuum worker) is not counted, so
    the server's share is if anything understated."""
    servers = psutil.process_iter(["name"])
    return sum(_cpu(p) for p in servers if p.info["name"] in ("postgres", "postmaster"))


def process_cpu(pid: int | None) -> float:
    with suppress(psutil.Error):
        return _cpu(psutil.Process(pid)) if pid is not None else 0.0
    return 0.0  # it has gone


def _cpu(proc: psutil.Process) -> float:
    """User and system CPU of ``proc`` so far (0 once it has gone)."""
    with suppress(psutil.Error):
        times = proc.cpu_times()
        return times.user + times.system
    return 0.0


@dataclass
class Measured:
    """One repetition: a first sync into a fresh database, a full pass, the baselines."""

    n: int
    sync_s: float
    cpu_s: float
    resync_s: float
    resync_cpu_s: float
    copy_s: float
    golden_s: float
    bare_s: float
    timings: dict[str, float]
    peak_mb: float = 0.0
    own_mb: float = 0.0
    pss_mb: float = 0.0
    import_s: float = 0.0
    pg_cpu_s: float = 0.0
    registry_cpu_s: float = 0.0

    @property
    def core_s(self) -> float:
        """Core-seconds the first sync cost the machine: syncing process, server, registry."""
        return self.cpu_s + self.pg_cpu_s + self.registry_cpu_s

    @property
    def records_per_s(self) -> float:
        return self.n / self.sync_s

    @property
    def ratio(self) -> float:
        return self.copy_s / self.sync_s  # (n / sync_s) / (n / copy_s)

    @property
    def ratio_vs_bare(self) -> float:
        return self.bare_s / self.sync_s  # (n / sync_s) / (n / bare_s)


def measure_once(
    n: int, pg: str, env: dict[str, str], worker: bool, registry_pid: int | None = None
) -> Measured:
    """One repetition, in a process of its own (so its peak memory is its own)."""
    # One-time costs of a process, not of ingest: importing Great Expectations and
    # starting the worker's fork server. Timed and printed apart.
    t_start = time.perf_counter()
    import expectations  # noqa: F401  (validation runs in this process either way)

    if worker:
        warm_up()
    startup = time.perf_counter() - t_start
    definition = load_definitions()["scjg_enterprise"]
    settings = Settings()
    sampler = RssSampler(exclude=set())
    sampler.start()
    with throwaway_database(pg) as db:
        store = Store(db)
        store.migrate()
        pg0, reg0 = postgres_cpu(), process_cpu(registry_pid)
        t0, cpu0 = time.perf_counter(), time.process_time()
        options = SyncOptions(
            batch_size=settings.batch_size, quality_group=settings.quality_group, worker=worker
        )
        summary = sync_source(store, definition, options, env=env)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        pg_cpu, registry_cpu = postgres_cpu() - pg0, process_cpu(registry_pid) - reg0
        if summary.read != n or not summary.reconciles:
            raise SystemExit(f"sync read {summary.read} of {n}: {summary.counts()}")
        # The same records sent again (a full pass from the start): every one is unchanged.
        t1, cpu1 = time.perf_counter(), time.process_time()
        again = sync_source(store, definition, options.but(full=True), env=env)
        resync_elapsed = time.perf_counter() - t1
        resync_cpu = time.process_time() - cpu1
        if again.read != n or again.unchanged != n:
            raise SystemExit(f"the full pass did not find every record unchanged: {again.counts()}")
        sampler.stop()
        own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the baselines
        copy_s = statistics.median(copy_baseline(store) for _ in range(3))
        golden_s = statistics.median(copy_baseline(store, golden=True) for _ in range(3))
        bare_read, bare_s = bare_pipeline(store, env, settings.batch_size)
        if bare_read != n:
            raise SystemExit(f"the bare pipeline read {bare_read} of {n}")
        store.dispose()
    return Measured(
        n, elapsed, cpu, resync_elapsed, resync_cpu, copy_s, golden_s, bare_s,
        dict(summary.timings),
        # Conservative: the larger of the process's own peak RSS and the summed PSS.
        peak_mb=max(sampler.peak_mb, own_mb), own_mb=own_mb, pss_mb=sampler.peak_mb,
        import_s=startup, pg_cpu_s=pg_cpu, registry_cpu_s=registry_cpu,
    )  # fmt: skip


def registry_env(url: str) -> dict[str, str]:
    return {"TONGBAN_SCJG_URL": url, "TONGBAN_SCJG_APP_KEY": "tongban_scjg",
            "TONGBAN_SCJG_APP_SECRET": "bench-secret"}  # fmt: skip


def whole_commands(args: argparse.Namespace, url: str) -> Whole:
    """The start-up and, with ``--peer dlt``, tongban's and dlt's whole processes, each
    into a fresh database (tongban's migrated first, untimed, as ``tongban init`` does)."""
    with throwaway_database(args.pg) as db:
        store = Store(db)
        store.migrate()
        store.dispose()
        whole = tongban_whole(db, registry_env(url), args.n, sync=args.peer == "dlt")
    if args.peer == "dlt":
        with throwaway_database(args.pg) as db:
            dlt_whole(db, url, args.n, whole)
    return whole


def repetition(args: argparse.Namespace, url: str, registry_pid: int) -> Measured:
    """``measure_once`` in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", url, "--n", str(args.n),
               "--pg", args.pg, "--registry-pid", str(registry_pid),
               *(["--worker"] if args.worker else [])]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return Measured(**json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="enterprises to sync")
    parser.add_argument(
        "--repeat", type=int, default=3,
        help="repetitions, each in a fresh process and database; the figures are medians",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=18712)
    parser.add_argument(
        "--worker", action="store_true", help="extract, validate and normalize in a worker"
    )
    parser.add_argument(
        "--pg", default=os.environ.get(
            "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server URL (a throwaway database is created on it)",
    )  # fmt: skip
    parser.add_argument(
        "--peer", choices=["dlt"],
        help="also time whole processes: `tongban sync` and the peer (bench/peers/install-dlt)",
    )  # fmt: skip
    parser.add_argument("--one", metavar="URL", help=argparse.SUPPRESS)  # a repetition's process
    parser.add_argument("--registry-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        env = registry_env(args.one)
        worker = Settings().sync_worker or args.worker
        print(json.dumps(asdict(measure_once(args.n, args.pg, env, worker, args.registry_pid))))
        return
    print(f"# starting the registry with {args.n:,} enterprises (pre-rendered pages)", flush=True)
    runs: list[Measured] = []
    wholes: list[Whole] = []
    with registry(args.n, args.port) as (url, registry_pid):
        for i in range(max(1, args.repeat)):
            run = repetition(args, url, registry_pid)
            runs.append(run)
            whole = whole_commands(args, url)
            wholes.append(whole)
            t = run.timings
            print(
                f"# run {i + 1}: sync {run.sync_s:.1f}s ({run.records_per_s:,.0f} records/s,"
                f" CPU {run.cpu_s / args.n * 1e6:.0f} us a record: pages in"
                f" {t['extract']:.1f}s, map+validate+normalize {t['normalize']:.1f}s, validate"
                f" {t.get('validate', 0):.1f}s, write {t['write']:.1f}s on a thread);"
                f" bare COPY {args.n / run.copy_s:,.0f} rows/s; ratio {run.ratio:.3f};"
                f" full pass {args.n / run.resync_s:,.0f} records/s; peak {run.peak_mb:.0f} MB"
                f" (own RSS {run.own_mb:.0f}, summed PSS {run.pss_mb:.0f}); importing GX"
                f" {run.import_s:.1f}s, not counted; bare pipeline"
                f" {args.n / run.bare_s:,.0f} records/s; `tongban sync` of an empty source"
                f" {whole.startup_s:.1f}s",
                flush=True,
            )
            if args.peer:
                print(
                    f"# run {i + 1}, whole processes: `tongban sync` {whole.whole_s:.1f}s;"
                    f" dlt {whole.dlt_whole_s:.1f}s (imports {whole.dlt_import_s:.1f}s,"
                    f" pipeline.run {whole.dlt_run_s:.1f}s)",
                    flush=True,
                )

    def median(values: Iterable[float]) -> float:
        return statistics.median(values)

    cpu = median(r.cpu_s for r in runs)
    print(f"# medians of {len(runs)} run(s), each in a fresh process and database; the ratio is the"
          " median of each run's own ratio (sync and COPY measured back to back)")  # fmt: skip
    print(f"# CPU time of the syncing process: {cpu / args.n * 1e6:.0f} us a record")
    print(f"records_per_s: {median(r.records_per_s for r in runs):.0f}")
    copy_per_s = median(args.n / r.copy_s for r in runs)
    print(f"copy_rows_per_s: {copy_per_s:.0f}")
    print(f"ratio_vs_copy: {median(r.ratio for r in runs):.3f}")
    print(
        "# full pass over the same records (sync --full), every one unchanged: CPU"
        f" {median(r.resync_cpu_s for r in runs) / args.n * 1e6:.0f} us a record"
    )
    print(f"resync_records_per_s: {median(args.n / r.resync_s for r in runs):.0f}")
    print(
        "# the same rows COPYed into a table shaped like the store's (key, index, provenance,"
        " bookkeeping), no merge and no normalization: the ceiling the table itself sets"
    )
    print(f"golden_copy_rows_per_s: {median(args.n / r.golden_s for r in runs):.0f}")
    print(f"golden_copy_vs_copy: {median(r.copy_s / r.golden_s for r in runs):.3f}")
    print("# peak_rss_mb: the largest of the runs' peaks (each the larger of the syncing"
          " process's own peak RSS and the summed PSS of it and any worker)")  # fmt: skip
    print(f"peak_rss_mb: {max(r.peak_mb for r in runs):.0f}")
    print(
        "# core-seconds of the first sync: syncing process"
        f" {median(r.cpu_s for r in runs):.2f}"
        f"{' (its worker process not counted)' if args.worker else ''}, PostgreSQL server"
        f" {median(r.pg_cpu_s for r in runs):.2f}, registry"
        f" {median(r.registry_cpu_s for r in runs):.2f}; wall"
        f" {median(r.sync_s for r in runs):.2f} s on two cores"
    )
    print(f"sync_core_s: {median(r.core_s for r in runs):.2f}")
    print(
        "# a bare pipeline: the same pages fetched the same way and COPYed as they came"
        " (text columns), no mapping, validation, merge or history"
    )
    print(f"bare_pipeline_records_per_s: {median(args.n / r.bare_s for r in runs):.0f}")
    print(f"ratio_vs_bare_pipeline: {median(r.ratio_vs_bare for r in runs):.3f}")
    print("# startup_s: a whole `tongban sync` process of a source with nothing to read")
    print(f"startup_s: {median(w.startup_s for w in wholes):.2f}")
    if args.peer == "dlt":
        print(
            "# dlt (rest_api source, merge on the credit code, loaded by COPY from CSV) on the"
            " same registry into the same server; dlt_records_per_s over its pipeline.run,"
            " whole_process_s and dlt_whole_process_s each a whole process from start to"
            " exit, first load into a fresh database"
        )
        print(f"dlt_records_per_s: {median(args.n / w.dlt_run_s for w in wholes):.0f}")
        print(f"whole_process_s: {median(w.whole_s for w in wholes):.2f}")
        print(f"dlt_whole_process_s: {median(w.dlt_whole_s for w in wholes):.2f}")
        print(f"ratio_vs_dlt: {median(w.dlt_whole_s / w.whole_s for w in wholes):.3f}")
    print(f"cpu_bound_ratio_vs_copy: {median(r.copy_s / (r.core_s / 2) for r in runs):.3f}")
    print(f"gil_bound_ratio_vs_copy: {median(r.copy_s / r.cpu_s for r in runs):.3f}")


if __name__ == "__main__":
    main()
