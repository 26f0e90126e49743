"""How fast the person suite validates, and its share of an end-to-end ingest.

    .venv/bin/python tests/expectations/bench_validation.py [--n 200000] [--pg URL | --sqlite]

Prints, one figure a line (no assertions; timings vary by machine):
    validated_records_per_s   N person records through the full suite in one batch
    validated_records_per_s_batch_<size>   the same records in batches of <size>
    ingest_records_per_s      the same records through tongban.pipeline.load_records
                              (normalize and merge into a fresh store)
    validation_share          validation time / (validation time + ingest time)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from quality_records import people

from expectations import validate_batch
from tongban.pipeline import load_records
from tongban.store import Store

DEFAULT_PG = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _validate(records: list[dict], size: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(records), size):
        validate_batch("person", records[i : i + size], source="bench")
    return time.perf_counter() - started


def _ingest(records: list[dict], url: str) -> float:
    store = Store(url)
    store.migrate()
    try:
        started = time.perf_counter()
        load_records(store, "person", ((f"bench:{i}", r) for i, r in enumerate(records)),
                     source="bench")  # fmt: skip
        return time.perf_counter() - started
    finally:
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--sqlite", action="store_true", help="ingest into SQLite instead")
    parser.add_argument("--batch-sizes", default="5000,50000")
    args = parser.parse_args()

    records = people(args.n)
    validate_batch("person", records[:1000], source="bench")  # context, suite, first import
    seconds = _validate(records, len(records))
    print(f"validated_records_per_s: {args.n / seconds:,.0f}")
    for size in (int(s) for s in args.batch_sizes.split(",") if s):
        rate = args.n / _validate(records, size)
        print(f"validated_records_per_s_batch_{size}: {rate:,.0f}")

    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            ingest = _ingest(records, f"sqlite:///{tmp}/bench.db")
    else:
        name = f"tongban_bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
            ingest = _ingest(records, url)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"ingest_records_per_s: {args.n / ingest:,.0f}")
    print(f"validation_share: {seconds / (seconds + ingest):.3f}")


if __name__ == "__main__":
    main()
