from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect

from tongban.entities import ENTERPRISE, PERSON
from tongban.store import Incoming, Store, schema
from tongban.store.merge import conflict_fingerprint
from tongban.store.schema import metadata


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("tongban.store").joinpath("migrations"))
    )
    return cfg


def _downgrade(store: Store, revision: str) -> None:
    cfg = _config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _head() -> str:
    cfg = _config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _check_from_empty(url: str) -> None:
    store = Store(url)
    assert store.schema_revision() is None
    store.migrate()
    assert store.schema_revision() == _head()
    tables = set(inspect(store.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    # The migrations build exactly what the models describe.
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    store.migrate()  # a second run is a no-op
    assert store.schema_revision() == _head()
    store.dispose()


def test_migrate_from_empty_sqlite(tmp_path):
    _check_from_empty(f"sqlite:///{tmp_path / 'empty.db'}")


def test_migrate_from_empty_postgres(new_pg_database):
    _check_from_empty(new_pg_database)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("new_pg_database"))


def _held_first(entity: str, key: str, field: str, held: tuple, offered: tuple) -> str:
    """A conflict's fingerprint before revision 0014: the side held, then the other."""
    parts = [entity, key, field, held[1], held[0], offered[1], offered[0]]
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_0014_makes_one_conflict_row_of_a_disagreement_recorded_both_ways(empty_url):
    store = Store(empty_url)
    store.migrate("0013")
    registry, insurer = ("gongan_population", "张三"), ("renshe_insurance", "张叁")
    ID = "11010519491231002X"

    def row(held: tuple, offered: tuple, wins: bool, at: datetime) -> dict:
        kept, other = (offered, held) if wins else (held, offered)
        return {
            "fingerprint": _held_first("person", ID, "name", held, offered),
            "entity": "person", "entity_key": ID, "field": "name",
            "kept_source": kept[0], "kept_value": kept[1],
            "offered_source": other[0], "offered_value": other[1],
            "resolution": "replaced" if wins else "kept", "detected_at": at,
        }  # fmt: skip

    first = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        row(insurer, registry, True, first),  # the registry's record replaced the insurer's
        row(registry, insurer, False, first + timedelta(days=1)),  # and kept it out again
        row(registry, ("minzheng_marriage", "章三"), False, first),
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(schema.merge_conflict), rows)
    store.migrate()
    held = store.conflicts("person", ID)
    assert [(c["offered_value"], c["resolution"]) for c in held] == [
        ("张叁", "replaced"),
        ("章三", "kept"),
    ]
    assert [c["fingerprint"] for c in held] == [
        conflict_fingerprint("person", ID, "name", registry, insurer),
        conflict_fingerprint("person", ID, "name", ("minzheng_marriage", "章三"), registry),
    ]
    # Met again, either way round, the disagreement is the row already there.
    for source, name in (insurer, registry):
        run_id = store.start_run(source, entity="person")
        record = PERSON.normalize({"id_number": ID, "name": name})
        store.write_batch("person", [Incoming(record, source, "1")], run_id=run_id)
    assert len(store.conflicts("person", ID)) == 2
    _downgrade(store, "0013")  # and back: one row each still, as that revision made them
    assert {c["fingerprint"] for c in store.conflicts("person", ID)} == {
        rows[0]["fingerprint"], rows[2]["fingerprint"]
    }  # fmt: skip
    store.dispose()


def test_0015_keeps_capitals_exact_on_sqlite_and_reads_those_stored_as_numbers(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate("0014")
    code = "91350100M000100Y43"

    def send(capital: str) -> None:
        record = ENTERPRISE.normalize(
            {"credit_code": code, "name": "测试有限公司", "registered_capital": capital}
        )
        run_id = store.start_run("scjg_enterprise", entity="enterprise")
        store.write_batch("enterprise", [Incoming(record, "scjg_enterprise", "1")], run_id=run_id)

    def stored() -> tuple[object, str]:
        with store.engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.exec_driver_sql(
                    "SELECT registered_capital, typeof(registered_capital) FROM enterprise"
                ).one()
            )

    # Before 0015 the column's NUMERIC affinity makes a float of the text.
    send("1234567890123.4567")
    assert stored() == (1234567890123.4568, "real")
    capital = store.get("enterprise", code)["registered_capital"]
    assert capital == Decimal("1234567890123.4568")  # read as NUMERIC read it
    store.migrate()
    assert stored() == ("1234567890123.4568", "text")
    assert store.get("enterprise", code)["registered_capital"] == capital
    send("1234567890123.4567")
    assert stored() == ("1234567890123.4567", "text")
    assert store.get("enterprise", code)["registered_capital"] == Decimal("1234567890123.4567")
    _downgrade(store, "0014")
    assert stored()[1] == "real"
    store.dispose()
