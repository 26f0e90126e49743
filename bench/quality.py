"""Data-quality speed: person records through the full Great Expectations suite, and the
share of an end-to-end ingest spent validating.

    .venv/bin/python bench/quality.py            # 200,000 person records

Prints one figure a line:
    validated_records_per_s   records through the person suite, in the pipeline's groups
                              of 50,000 (median of three passes)
    ingest_records_per_s      the same records through the whole load path (map, validate,
                              normalize, merge with provenance and history) into PostgreSQL
    validation_share          time validating / total time of that ingest (target < 0.30)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import throwaway_database  # noqa: E402

from connectors.quality import batch_check  # noqa: E402
from sandbox import World  # noqa: E402
from tongban.pipeline import load_records  # noqa: E402
from tongban.prepare import QUALITY_GROUP  # noqa: E402
from tongban.store import Store  # noqa: E402

GROUP = QUALITY_GROUP


def people(n: int) -> list[dict[str, str]]:
    """Person records as a department sends them (dates as text), from the sandbox world."""
    world = World(seed=99, people=n, enterprises=1)
    out = []
    for i in range(n):
        p = world.person(i)
        out.append({
            "id_number": p.id_number, "name": p.name, "gender": p.gender,
            "birth_date": p.birth_date.isoformat(), "ethnicity": p.ethnicity,
            "marital_status": p.marital_status, "address": p.address, "phone": p.phone,
        })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--group", type=int, default=GROUP, help="records per validation")
    parser.add_argument(
        "--pg", default=os.environ.get(
            "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )  # fmt: skip
    args = parser.parse_args()
    print(f"# generating {args.n:,} person records", flush=True)
    records = people(args.n)
    check = batch_check(None, entity="person", source="bench")
    check("person", records[:100])  # GX loads and builds the suite once, outside the timing
    passes = []
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(0, len(records), args.group):
            verdict = check("person", records[i : i + args.group])
            assert verdict.gate_passed, verdict.reason
        passes.append(time.perf_counter() - t0)
    with throwaway_database(args.pg) as url:
        store = Store(url)
        store.migrate()
        t0 = time.perf_counter()
        summary = load_records(
            store, "person", ((str(i), r) for i, r in enumerate(records)), source="bench",
            check=check, group=args.group,
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
        store.dispose()
    if summary.read != args.n or summary.quarantined:
        raise SystemExit(f"unexpected outcome: {summary.counts()}")
    t = summary.timings
    print(f"# ingest {elapsed:.1f}s: validate {t['validate']:.1f}s, map+validate+normalize"
          f" {t['normalize']:.1f}s, write {t['write']:.1f}s")  # fmt: skip
    print(f"validated_records_per_s: {args.n / statistics.median(passes):.0f}")
    print(f"ingest_records_per_s: {args.n / elapsed:.0f}")
    print(f"validation_share: {t['validate'] / t['total']:.3f}")


if __name__ == "__main__":
    main()
