"""Data-quality speed: person records through the full Great Expectations suite, and the
share of an end-to-end ingest spent validating.

    .venv/bin/python bench/quality.py            # 200,000 person records

The records are written as a department's daily CSV drop (GBK) and synced into a fresh
PostgreSQL database by a source definition written for the run: the file connector,
mapping, the validation gate, normalization and the merge, as any sync runs them.

Prints one figure a line:
    validated_records_per_s   records through the person suite, in the pipeline's groups
                              (median of three passes)
    ingest_records_per_s      the same records synced end to end
    validation_share          time validating / total time of that sync (target < 0.30)
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import throwaway_database  # noqa: E402

from connectors import compile_mapping, load_definitions, sync_source  # noqa: E402
from connectors.quality import batch_check  # noqa: E402
from sandbox import World  # noqa: E402
from tongban import SyncOptions  # noqa: E402
from tongban.settings import Settings  # noqa: E402
from tongban.store import Store  # noqa: E402

COLUMNS = {  # source column -> canonical field
    "公民身份号码": "id_number", "姓名": "name", "性别": "gender", "出生日期": "birth_date",
    "民族": "ethnicity", "婚姻状况": "marital_status", "住址": "address", "联系电话": "phone",
}  # fmt: skip
SOURCE = {
    "name": "bench_people",
    "title": "人口信息 (benchmark drop)",
    "department": "benchmark",
    "entity": "person",
    "transport": {"kind": "files", "directory": "${BENCH_DROP}", "pattern": "*.csv",
                  "encoding": "gbk", "page_size": 1000},
    "mapping": {
        "id_number": "公民身份号码",
        "name": {"from": "姓名", "transforms": ["clean"]},
        "gender": {"from": "性别", "transforms": ["gender"]},
        "birth_date": {"from": "出生日期", "transforms": ["date"]},
        "ethnicity": {"from": "民族", "transforms": ["ethnicity"]},
        "marital_status": "婚姻状况",
        "address": {"from": "住址", "transforms": ["clean"]},
        "phone": {"from": "联系电话", "transforms": ["digits"]},
    },
    "quality": {"min_success_ratio": 0.9},
}  # fmt: skip


def write_drop(directory: Path, n: int, per_file: int = 50_000) -> None:
    world = World(seed=99, people=n, enterprises=1)
    for start in range(0, n, per_file):
        path = directory / f"people_{start // per_file:03d}.csv"
        with path.open("w", encoding="gbk", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(COLUMNS)
            for i in range(start, min(n, start + per_file)):
                p = world.person(i)
                out.writerow([p.id_number, p.name, "男" if p.gender == "1" else "女",
                              p.birth_date.isoformat(), p.ethnicity, p.marital_status,
                              p.address, p.phone])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument(
        "--pg", default=os.environ.get(
            "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )  # fmt: skip
    args = parser.parse_args()
    settings = Settings()
    group = settings.quality_group
    with tempfile.TemporaryDirectory() as tmp:
        drop, sources = Path(tmp) / "drop", Path(tmp) / "sources"
        drop.mkdir()
        sources.mkdir()
        print(f"# writing {args.n:,} person records as GBK CSV files", flush=True)
        write_drop(drop, args.n)
        (sources / "bench_people.yaml").write_text(yaml.safe_dump(SOURCE, allow_unicode=True))
        definition = load_definitions(sources)["bench_people"]

        # The suite alone, over the mapped records, in the pipeline's groups.
        mapper = compile_mapping(definition.fields())
        with (drop / "people_000.csv").open(encoding="gbk") as fh:
            sample = [mapper(row) for row in csv.DictReader(fh)]
        mapped = (sample * (args.n // len(sample) + 1))[: args.n]
        check = batch_check(definition)
        check("person", mapped[:100])  # GX builds the suite once, outside the timing
        passes = []
        for _ in range(3):
            t0 = time.perf_counter()
            for i in range(0, len(mapped), group):
                verdict = check("person", mapped[i : i + group])
                assert verdict.gate_passed, verdict.reason
            passes.append(time.perf_counter() - t0)
        del mapped, sample

        with throwaway_database(args.pg) as url:
            store = Store(url)
            store.migrate()
            t0 = time.perf_counter()
            options = SyncOptions(batch_size=settings.batch_size, quality_group=group)
            summary = sync_source(store, definition, options, env={"BENCH_DROP": str(drop)})
            elapsed = time.perf_counter() - t0
            store.dispose()
    if summary.read != args.n or summary.quarantined:
        raise SystemExit(f"unexpected outcome: {summary.counts()}")
    t = summary.timings
    print(f"# sync {elapsed:.1f}s: validate {t['validate']:.1f}s, map+validate+normalize"
          f" {t['normalize']:.1f}s, write {t['write']:.1f}s (a thread, overlapping);"
          f" groups of {group:,}")  # fmt: skip
    print(f"validated_records_per_s: {args.n / statistics.median(passes):.0f}")
    print(f"ingest_records_per_s: {args.n / elapsed:.0f}")
    print(f"validation_share: {t['validate'] / t['total']:.3f}")


if __name__ == "__main__":
    main()
