"""Two syncs of different sources writing the same person at once, on PostgreSQL.

Each looks the key up, finds nothing, and COPYs a new golden row; the second COPY meets
the first's row on the primary key. The batch must then be planned again against what
is stored now (a merge), not fail the run. Both lanes of the write are covered: records
(``Incoming``) and a batch (``Batch``).
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tongban.batch import Batch
from tongban.entities import PERSON
from tongban.store import Incoming, Store
from tongban.store.golden import golden_table

pytestmark = pytest.mark.postgres

ID = "11010519491231002X"


def _raw_url(store: Store) -> str:
    url = store.engine.url.set(drivername="postgresql")
    return make_url(url).render_as_string(hide_password=False)


def _wait_for_lock(conninfo: str, timeout: float = 10.0) -> None:
    """Until some backend waits on a lock (our COPY, held up by the open insert)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second writer never waited on the first one's row")


@pytest.fixture
def store(new_pg_store: Store) -> Store:
    return new_pg_store


@pytest.mark.parametrize("form", ["records", "columns"])
def test_a_key_inserted_by_another_writer_meanwhile_is_merged(form, store):
    first = PERSON.normalize({"id_number": ID, "name": "张三", "address": "户籍地址"})
    second = PERSON.normalize({"id_number": ID, "name": "张三", "phone": "13800138000"})
    run_id = store.start_run("renshe_insurance", entity="person")
    batch: list[Incoming] | Batch
    if form == "records":
        batch = [Incoming(second, "renshe_insurance", "a.csv:2")]
    else:
        fields = tuple(second)
        batch = Batch.from_columns(
            {f: [second[f]] for f in fields}, ["a.csv:2"], source="renshe_insurance"
        )
    conninfo = _raw_url(store)
    # The other writer: the first person inserted, not yet committed (so the lookup of
    # our batch does not see it, and our COPY waits on its key).
    other = Store(store.engine.url.render_as_string(hide_password=False))
    try:
        outcome: dict[str, object] = {}

        def ours() -> None:
            try:
                outcome["result"] = store.write_batch("person", batch, run_id=run_id)
            except BaseException as exc:  # reported by the assertion below
                outcome["error"] = exc

        with other.engine.begin() as conn:
            other_run = other.start_run("gongan_population", entity="person")
            other._writer._write(  # the same write path, inside a transaction we hold open
                conn, golden_table("person"), [Incoming(first, "gongan_population", "p1")],
                other_run, (), None,
            )  # fmt: skip
            writer = threading.Thread(target=ours)
            writer.start()
            _wait_for_lock(conninfo)
        writer.join(timeout=30)
        assert not writer.is_alive()
        assert "error" not in outcome, f"the write failed: {outcome.get('error')!r}"
        result = outcome["result"]
        assert (result.inserted, result.updated) == (0, 1)  # type: ignore[attr-defined]
        golden = store.get("person", ID)
        assert golden is not None
        assert golden["address"] == "户籍地址" and golden["phone"] == "13800138000"
        assert golden["version"] == 2
    finally:
        other.dispose()
