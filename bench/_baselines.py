"""The baselines ``bench/ingest.py`` sets a sync against, measured on the store it filled:
plain COPY of the stored rows into a bare table (or one shaped like the store's own), and
a bare pipeline that fetches the same pages and COPYs them as they came."""

from __future__ import annotations

import time

from connectors import load_definitions, open_connector
from connectors.sync import prefetch
from tongban.store import Store

__all__ = ["COLUMNS", "bare_pipeline", "copy_baseline"]

COLUMNS = [
    "credit_code", "name", "enterprise_type", "legal_rep_id_number", "legal_rep_name",
    "registered_capital", "established_on", "region_code", "address", "business_scope",
    "status", "registration_authority",
]  # fmt: skip


def copy_baseline(store: Store, chunk: int = 50_000, *, golden: bool = False) -> float:
    """Seconds to COPY the stored normalized rows into a bare table (reading not timed).

    With ``golden``, into a copy of the enterprise table itself (its key, its index, the
    provenance document and bookkeeping columns), rows as stored: what the store's own
    table costs PostgreSQL to fill, with no merge and no Python normalization at all."""
    engine = store.engine
    cols = ", ".join(COLUMNS)
    with engine.begin() as conn:
        if golden:
            cols = ", ".join([*COLUMNS, "version", "provenance", "created_at", "updated_at"])
            conn.exec_driver_sql(
                "DROP TABLE IF EXISTS bare_enterprise;"
                " CREATE TABLE bare_enterprise (LIKE enterprise INCLUDING ALL)"
            )
        else:
            conn.exec_driver_sql(
                f"DROP TABLE IF EXISTS bare_enterprise; CREATE TABLE bare_enterprise AS"
                f" SELECT {cols} FROM enterprise WITH NO DATA"
            )
    selected = cols.replace("provenance", "provenance::text")
    spent = 0.0
    with engine.connect() as conn:
        keys = [r[0] for r in conn.exec_driver_sql("SELECT credit_code FROM enterprise")]
    for i in range(0, len(keys), chunk):
        with engine.begin() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {selected} FROM enterprise WHERE credit_code = ANY(%(k)s)",
                {"k": keys[i : i + chunk]},
            ).all()
            raw = conn.connection.driver_connection
            t0 = time.perf_counter()
            with raw.cursor().copy(f"COPY bare_enterprise ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            spent += time.perf_counter() - t0
    return spent


def bare_pipeline(store: Store, env: dict[str, str], batch_size: int) -> tuple[int, float]:
    """Records and seconds to fetch every page of the source again, as a sync does (the
    same connector, prefetched in a thread), and COPY each record's fields as they came
    into a bare table of text columns: no mapping, no validation, no merge, no history.
    One transaction per ``batch_size`` records, as the sync commits."""
    definition = load_definitions()["scjg_enterprise"]
    connector = open_connector(definition, env=env)
    fields: list[str] = []
    read = pending = 0
    raw = store.engine.raw_connection()
    t0 = time.perf_counter()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        for page in prefetch(connector.pages(None), 2):
            if not page.records:
                continue
            if not fields:
                fields = list(page.records[0][1])
                columns = ", ".join(f'"{f}" text' for f in fields)
                cursor.execute(
                    f"DROP TABLE IF EXISTS bare_pages; CREATE TABLE bare_pages ({columns})"
                )
            names = ", ".join(f'"{f}"' for f in fields)
            with cursor.copy(f"COPY bare_pages ({names}) FROM STDIN") as copy:
                for _, record in page.records:
                    copy.write_row([record.get(f) for f in fields])
            read += len(page.records)
            pending += len(page.records)
            if pending >= batch_size:
                raw.commit()
                pending = 0
        raw.commit()
        return read, time.perf_counter() - t0
    finally:
        raw.close()
        connector.close()
