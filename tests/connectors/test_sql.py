"""Front-end database: incremental by change time with a tie-breaker, on SQLite and on
a real PostgreSQL database the department would write to."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert

from connectors import load_definitions, sync_source
from connectors.sql import SqlConnector
from tongban import SyncOptions
from tongban.errors import FatalError
from tongban.identifiers import id_check_char


def _number(seq: int) -> str:
    body = f"11010519800101{seq % 1000:03d}"
    return body + id_check_char(body)


def _frontdb(url: str, rows: int, *, start_id: int = 1, when: datetime | None = None) -> None:
    engine = create_engine(url)
    meta = MetaData()
    table = Table(
        "mz_hydj", meta,
        Column("id", Integer, primary_key=True), Column("djbh", String(30)),
        Column("sfzh", String(30)), Column("xm", String(30)), Column("xb", String(4)),
        Column("hyzk", String(4)), Column("djrq", String(20)), Column("updated_at", DateTime),
    )  # fmt: skip
    meta.create_all(engine)
    base = when or datetime(2026, 11, 1, 9, 0, 0)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {"id": i, "djbh": f"J{i:06d}", "sfzh": _number(i), "xm": f"某{i}",
                 "xb": "男" if i % 2 else "女",
                 "hyzk": "20", "djrq": "2026-11-01",
                 # Batches of 7 rows share one timestamp: ties across page boundaries.
                 "updated_at": base + timedelta(seconds=(i - start_id) // 7)}
                for i in range(start_id, start_id + rows)
            ],
        )  # fmt: skip
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def frontdb_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'frontdb.sqlite'}"
    else:
        yield request.getfixturevalue("new_pg_database")


def test_ties_are_neither_skipped_nor_repeated_at_any_page_size(frontdb_url):
    _frontdb(frontdb_url, 50)
    definition = load_definitions()["minzheng_marriage"]
    for size in (1, 3, 7, 10, 49, 50, 51):
        t = definition.transport.model_copy(update={"url": frontdb_url, "page_size": size})
        connector = SqlConnector("m", t, record_id="id", secrets={})
        ids = [rid for page in connector.pages(None) for rid, _ in page.records]
        assert ids == [str(i) for i in range(1, 51)], size
        connector.close()


def test_incremental_runs_pick_up_new_rows_only(store, frontdb_url):
    _frontdb(frontdb_url, 30)
    definition = load_definitions()["minzheng_marriage"]
    env = {"TONGBAN_MINZHENG_DB_URL": frontdb_url}
    first = sync_source(store, definition, SyncOptions(batch_size=8), env=env)
    assert (first.read, first.inserted) == (30, 30)
    assert sync_source(store, definition, SyncOptions(), env=env).read == 0
    # The department writes more rows, some with the very timestamp already read.
    _frontdb(frontdb_url, 10, start_id=31, when=datetime(2026, 11, 1, 9, 0, 4))
    third = sync_source(store, definition, SyncOptions(), env=env)
    assert third.read == 10
    assert store.count("person") == 40
    assert store.get("person", _number(35))["marital_status"] == "20"
    assert store.cursor("minzheng_marriage")["tie"] == 40


def test_a_missing_table_is_fatal_and_logged(store, tmp_path):
    definition = load_definitions()["minzheng_marriage"]
    env = {"TONGBAN_MINZHENG_DB_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    with pytest.raises(FatalError, match="table 'mz_hydj' does not exist"):
        sync_source(store, definition, SyncOptions(), env=env)
    [run] = store.runs(source="minzheng_marriage")
    assert run["status"] == "failed" and "mz_hydj" in run["message"]
