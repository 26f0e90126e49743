"""Identifier validation speed, and store upserts into PostgreSQL against a plain COPY.

    .venv/bin/python bench/identifiers.py [--n 1000000] [--people 200000] [--pg URL]

Prints, one figure a line:
    id_validations_per_s   check_id_number over N mixed valid and invalid numbers, one core
    store_upserts_per_s    200,000 people through Store.write_batch (merge, provenance,
                           history) into a fresh PostgreSQL database
    copy_rows_per_s        the same normalized rows COPYed into a bare table, same run
    upsert_vs_copy_ratio   store_upserts_per_s / copy_rows_per_s
Rates are medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tongban.entities import PERSON
from tongban.errors import RecordError
from tongban.identifiers import check_id_number, id_check_char
from tongban.identifiers.regions import region_codes
from tongban.store import Incoming, Store

DEFAULT_PG = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def valid_numbers(rng: random.Random, n: int) -> list[str]:
    regions = sorted(c for c in region_codes() if not c.endswith("00"))
    out = []
    for _ in range(n):
        first17 = (
            f"{rng.choice(regions)}{rng.randrange(1930, 2020)}{rng.randrange(1, 13):02d}"
            f"{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
        )
        out.append(first17 + id_check_char(first17))
    return out


def mixed_numbers(rng: random.Random, n: int) -> list[str]:
    """80% valid (some lower-case x or 15 digits), 20% broken in the usual ways."""
    numbers = valid_numbers(rng, n)
    for i in range(n):
        roll = rng.random()
        s = numbers[i]
        if roll < 0.04:
            numbers[i] = s[:17] + ("0" if s[17] != "0" else "1")  # checksum
        elif roll < 0.08:
            numbers[i] = s[:10] + "1341" + s[14:]  # impossible date
        elif roll < 0.12:
            numbers[i] = "99" + s[2:]  # unknown region
        elif roll < 0.16:
            numbers[i] = s[:16]  # length
        elif roll < 0.20:
            numbers[i] = s[:5] + "A" + s[6:]  # charset
        elif roll < 0.23:
            numbers[i] = s[:6] + s[8:17]  # legacy 15 digits
        elif roll < 0.25:
            numbers[i] = s.lower()
    return numbers


def bench_validation(numbers: list[str], repeat: int) -> tuple[float, int]:
    rates, valid = [], 0
    for _ in range(repeat):
        valid = 0
        start = time.perf_counter()
        for s in numbers:
            try:
                check_id_number(s)
                valid += 1
            except RecordError:
                pass
        rates.append(len(numbers) / (time.perf_counter() - start))
    return statistics.median(rates), valid


def people(rng: random.Random, n: int) -> list[dict]:
    names = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    records = []
    for i, number in enumerate(valid_numbers(rng, n)):
        records.append(
            PERSON.normalize(
                {
                    "id_number": number,
                    "name": rng.choice(names) + rng.choice(names) + str(i % 97),
                    "ethnicity": "01",
                    "address": f"人民路{rng.randrange(1, 999)}号{i}室",
                    "phone": f"13{rng.randrange(10**9):09d}",
                }
            )
        )
    return records


def bench_store(pg_url: str, records: list[dict], batch: int) -> tuple[float, float]:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"tongban_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        store = Store(url)
        store.migrate()
        run_id = store.start_run("gongan_population", entity="person", kind="bench")
        incoming = [Incoming(r, "gongan_population", f"bench-{i}") for i, r in enumerate(records)]
        start = time.perf_counter()
        for i in range(0, len(incoming), batch):
            store.write_batch("person", incoming[i : i + batch], run_id=run_id)
        upserts = len(records) / (time.perf_counter() - start)

        cols = ["id_number", "name", "gender", "birth_date", "ethnicity", "address", "phone"]
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE person_copy (id_number varchar(18), name varchar(100),"
                    " gender varchar(1), birth_date date, ethnicity varchar(2),"
                    " address varchar(300), phone varchar(30))"
                )
            )
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            start = time.perf_counter()
            with cur.copy(f"COPY person_copy ({', '.join(cols)}) FROM STDIN") as copy:
                for r in records:
                    copy.write_row([r[c] for c in cols])
            raw.commit()
            copied = len(records) / (time.perf_counter() - start)
        finally:
            raw.close()
        store.dispose()
        return upserts, copied
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="ID numbers to validate")
    parser.add_argument("--people", type=int, default=200_000, help="people to upsert")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=DEFAULT_PG, help="admin URL of the PostgreSQL server")
    parser.add_argument("--skip-store", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    rng = random.Random(42)
    numbers = mixed_numbers(rng, args.n)
    rate, valid = bench_validation(numbers, args.repeat)
    print(f"id_validations_per_s: {rate:.0f}")
    print(f"id_valid_share: {valid / len(numbers):.3f}")
    if args.skip_store:
        return
    records = people(rng, args.people)
    upserts, copied = bench_store(args.pg, records, args.batch)
    print(f"store_upserts_per_s: {upserts:.0f}")
    print(f"copy_rows_per_s: {copied:.0f}")
    print(f"upsert_vs_copy_ratio: {upserts / copied:.3f}")


if __name__ == "__main__":
    main()
