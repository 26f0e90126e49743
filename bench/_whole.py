"""Whole commands, timed from the outside as a user or an Airflow task sees them: a
``tongban sync`` process from start to exit (imports, settings, store, the sync), and the
same for the peer (dlt, from its own environment). Used by ``bench/ingest.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DLT_PYTHON = ROOT / "bench" / "peers" / ".venv-dlt" / "bin" / "python"
DLT_SCRIPT = ROOT / "bench" / "peers" / "dlt_ingest.py"


@dataclass
class Whole:
    """One repetition of the whole commands (seconds of wall time)."""

    startup_s: float  # ``tongban sync`` of a source with nothing to read
    whole_s: float = 0.0  # ``tongban sync scjg_enterprise``, first load into a fresh store
    dlt_whole_s: float = 0.0  # the dlt process, first load into a fresh database
    dlt_run_s: float = 0.0  # its ``pipeline.run`` alone (imports not counted)
    dlt_import_s: float = 0.0


def _tongban(*args: str, env: dict[str, str]) -> float:
    """Seconds of ``tongban *args`` (the installed command), from start to exit."""
    command = [str(Path(sys.executable).parent / "tongban"), *args]
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)  # fmt: skip
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"tongban {' '.join(args)} failed: {done.stderr.strip()[-400:]}")
    return elapsed


def _rows(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def tongban_whole(db: str, source_env: dict[str, str], n: int, *, sync: bool) -> Whole:
    """In a migrated store at ``db``: the start-up (a sync of an empty file drop), then,
    with ``sync``, the whole first sync of the enterprise registry."""
    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as work:
        drop = Path(work) / "drop"
        drop.mkdir()
        env = {**os.environ, **source_env, "TONGBAN_DATABASE_URL": db,
               "TONGBAN_DATA_DIR": str(Path(work) / "data"),
               "TONGBAN_RENSHE_DROP_DIR": str(drop)}  # fmt: skip
        measured = Whole(startup_s=_tongban("sync", "renshe_insurance", env=env))
        if sync:
            measured.whole_s = _tongban("sync", "scjg_enterprise", env=env)
            if (stored := _rows(db, "enterprise")) != n:
                raise SystemExit(f"tongban sync stored {stored} of {n} enterprises")
    return measured


def dlt_whole(db: str, registry_url: str, n: int, measured: Whole) -> None:
    """The dlt peer's whole process into the database ``db`` (its own dataset)."""
    if not DLT_PYTHON.is_file():
        raise SystemExit("dlt is not installed for the bench: run bench/peers/install-dlt")
    url = make_url(db)
    # dlt's PostgreSQL credentials want a password; a server that trusts loopback ignores it.
    target = url.set(drivername="postgresql", password=url.password or "unused")
    command = [str(DLT_PYTHON), str(DLT_SCRIPT), "--url", registry_url,
               "--pg", target.render_as_string(hide_password=False)]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    measured.dlt_whole_s = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"the dlt peer failed: {done.stderr.strip()[-600:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["rows"] != n:
        raise SystemExit(f"dlt loaded {report['rows']} of {n} enterprises")
    if "csv" not in report["formats"]:
        raise SystemExit(f"dlt did not load by COPY (csv): {report['formats']}")
    measured.dlt_run_s, measured.dlt_import_s = report["run_s"], report["import_s"]
