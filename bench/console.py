"""The console's quarantine list with 100,000 quarantined records on PostgreSQL.

    .venv/bin/python bench/console.py [--n 100000] [--loads 40] [--pg URL]

Fills a fresh PostgreSQL database with N open quarantined records (four sources, eight
rules), serves the console with uvicorn on a free loopback port, signs in as a reviewer
and loads pages of the quarantine list over HTTP, as a browser would. Prints, one figure
a line (milliseconds, medians of --loads page loads):
    quarantine_page_ms       a page of one source and rule, deep in the list (keyset after=)
    quarantine_first_page_ms the first page of every open record, with the total count
    bare_query_ms            the same page's two indexed queries alone (psycopg, no HTTP)
    page_vs_query_ratio      quarantine_page_ms / bare_query_ms
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# This file is bench/console.py: its own folder, first on the path, would hide the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

SOURCES = ("gongan_population", "minzheng_marriage", "renshe_insurance", "scjg_enterprise")
RULES = (
    "id_number.checksum",
    "id_number.region",
    "id_number.birth_date",
    "person.missing",
    "birth_date.format",
    "credit_code.checksum",
    "person.gender_matches_id",
    "license.validity_order",
)
PASSWORD = "bench password 1"


def fill(url: str, n: int) -> None:
    """N open quarantined records, COPYed in."""
    engine = create_engine(url)
    raw = engine.raw_connection()
    now = datetime.now(UTC)
    cols = (
        "fingerprint",
        "entity",
        "source",
        "source_record",
        "raw",
        "rule",
        "expectation",
        "field",
        "message",
        "status",
        "created_at",
        "updated_at",
    )
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY quarantine ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(n):
                source, rule = SOURCES[i % len(SOURCES)], RULES[(i // 4) % len(RULES)]
                number = f"11010519491231{i % 10000:04d}"
                copy.write_row(
                    (
                        hashlib.sha256(str(i).encode()).hexdigest(),
                        "person",
                        source,
                        f"R{i:08d}",
                        json.dumps({"sfzh": number, "xm": f"测试{i}"}, ensure_ascii=False),
                        rule,
                        "expect_column_values_to_be_valid_id_number",
                        "sfzh",
                        f"check character of {number!r} should be 9, not {i % 10}",
                        "open",
                        now,
                        now,
                    )
                )
        raw.commit()
        cur.execute("ANALYZE quarantine")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


def median_ms(call, loads: int) -> float:  # type: ignore[no-untyped-def]
    call()  # warm
    times = []
    for _ in range(loads):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(url: str, n: int, loads: int, data_dir: Path) -> dict[str, float]:
    from console import Console, ConsoleSettings, create_app
    from tongban.settings import load_settings
    from tongban.store import Store

    store = Store(url)
    store.migrate()
    fill(url, n)
    hub = load_settings(data_dir=data_dir, database_url=url)
    console = Console(
        store, hub, settings=ConsoleSettings(secret=uuid.uuid4().hex, data_dir=data_dir)
    )
    console.users.add("bench", "bench", PASSWORD, roles=["reviewer"], actor="bench")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = _Server(
        uvicorn.Config(create_app(console), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    source, rule = SOURCES[1], RULES[3]
    with store.engine.connect() as conn:  # a page deep in that source and rule's list
        after = conn.execute(
            text(
                "SELECT id FROM quarantine WHERE status='open' AND source=:s AND rule=:r"
                " ORDER BY id OFFSET :k LIMIT 1"
            ),
            {"s": source, "r": rule, "k": n // len(SOURCES) // len(RULES) // 2},
        ).scalar_one()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/console", timeout=60) as client:
            signed = client.post("/login", data={"username": "bench", "password": PASSWORD})
            assert signed.status_code == 303, signed.text

            def page() -> None:
                r = client.get(
                    "/quality/quarantine", params={"source": source, "rule": rule, "after": after}
                )
                assert r.status_code == 200 and "quarantine-list" in r.text

            def first() -> None:
                r = client.get("/quality/quarantine")
                assert r.status_code == 200

            page_ms = median_ms(page, loads)
            first_ms = median_ms(first, loads)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()

        def bare() -> None:
            cur.execute(
                "SELECT id, entity, source, source_record, rule, expectation, field, message,"
                " status, created_at FROM quarantine WHERE id > %s AND status = 'open'"
                " AND source = %s AND rule = %s ORDER BY id LIMIT 51",
                (after, source, rule),
            )
            cur.fetchall()
            cur.execute(
                "SELECT count(*) FROM quarantine WHERE status = 'open' AND source = %s"
                " AND rule = %s",
                (source, rule),
            )
            cur.fetchall()

        bare_ms = median_ms(bare, loads)
    finally:
        raw.close()
        store.dispose()
    return {
        "quarantine_page_ms": page_ms,
        "quarantine_first_page_ms": first_ms,
        "bare_query_ms": bare_ms,
        "page_vs_query_ratio": page_ms / bare_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="quarantined records")
    parser.add_argument("--loads", type=int, default=40, help="page loads to take the median of")
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="an administrative PostgreSQL URL (a database is made and dropped)",
    )
    args = parser.parse_args()
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"tongban_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    import tempfile

    try:
        with tempfile.TemporaryDirectory() as tmp:
            figures = measure(url, args.n, args.loads, Path(tmp))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"records: {args.n}")
    for key, value in figures.items():
        print(f"{key}: {value:.2f}")


if __name__ == "__main__":
    main()
