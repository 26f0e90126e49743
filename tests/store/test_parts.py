"""The store's parts agree with the rest of the hub: its golden tables are the canonical
model's, each dialect answers for itself, and the facade reads what the writer wrote
through lists of keys longer than one statement's chunk."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import create_engine
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.dialects.sqlite import pysqlite as sqlite_dialect

from tongban.batch import Batch
from tongban.entities import ENTERPRISE, ENTITIES
from tongban.identifiers import credit_check_char, org_code_check_char
from tongban.store import Store
from tongban.store.dialect import POSTGRESQL, SQLITE, ExactNumeric, dialect_of
from tongban.store.golden import golden_table


def _code(n: int) -> str:
    body = f"{n:08d}"
    first17 = f"91350100{body}{org_code_check_char(body)}"
    return first17 + credit_check_char(first17)


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_the_store_s_golden_tables_are_the_canonical_model_s(name: str) -> None:
    spec, model = golden_table(name), ENTITIES[name]
    assert (spec.table, spec.key, spec.fields) == (model.table, model.key, model.fields)


def test_an_unknown_entity_is_named_in_one_line(store: Store) -> None:
    with pytest.raises(ValueError, match=r"unknown entity 'company'; expected one of"):
        store.get("company", "x")


def test_each_engine_gets_its_own_dialect(store: Store) -> None:
    postgres = store.engine.dialect.name == "postgresql"
    assert dialect_of(store.engine) is (POSTGRESQL if postgres else SQLITE)
    assert dialect_of(store.engine).copies is postgres
    assert dialect_of(create_engine("sqlite://")) is SQLITE


def test_keys_beyond_one_chunk_are_found_and_rewritten_unchanged(store: Store) -> None:
    numbers = list(range(0, 12_000, 1000))
    records = [ENTERPRISE.normalize({"credit_code": _code(n), "name": "甲公司"}) for n in numbers]
    fields = tuple(records[0])
    batch = Batch.from_columns(
        {f: [r[f] for r in records] for f in fields}, [f"r{n}" for n in numbers], source="scjg"
    )
    run_id = store.start_run("scjg", entity="enterprise")
    assert store.write_batch("enterprise", batch, run_id=run_id, cursor=("scjg", 12)).inserted == 12
    wanted = [_code(n) for n in range(12_000)]  # three chunks of keys, twelve of them stored
    assert store.existing_keys("enterprise", wanted) == {_code(n) for n in numbers}
    again = store.write_batch("enterprise", batch, run_id=run_id)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 12)
    assert store.cursor("scjg") == 12
    run = store.run(run_id)
    assert run is not None and (run["read"], run["inserted"], run["unchanged"]) == (24, 12, 12)


def test_an_exact_decimal_is_numeric_on_postgresql_and_text_at_its_scale_on_sqlite() -> None:
    amount = ExactNumeric(20, 4)
    sqlite, postgresql = sqlite_dialect.dialect(), psycopg_dialect.dialect()
    assert amount.process_bind_param(Decimal("7.5"), postgresql) == Decimal("7.5")
    bind = partial(amount.process_bind_param, dialect=sqlite)
    # Rounded half away from zero to the scale, as PostgreSQL's NUMERIC rounds.
    assert [bind(v) for v in (Decimal("0.00005"), Decimal("-0.00005"), 12, 0.1, "1e2")] == [
        "0.0001", "-0.0001", "12.0000", "0.1000", "100.0000"
    ]  # fmt: skip
    assert bind(Decimal("9999999999999999.9999")) == "9999999999999999.9999"
    for too_big in (Decimal("1e16"), Decimal("9999999999999999.99995")):
        with pytest.raises(ValueError, match=r"does not fit NUMERIC\(20, 4\)"):
            bind(too_big)
    with pytest.raises(ValueError, match="'十万' is not a decimal number"):
        bind("十万")
    with pytest.raises(ValueError, match="does not fit"):
        bind(Decimal("NaN"))
    read = partial(amount.process_result_value, dialect=sqlite)
    # Text as stored, and what SQLite's NUMERIC column held before: a float, an integer.
    assert [read(v) for v in ("1234567890123.4567", 1234567890123.4568, 100, None)] == [
        Decimal("1234567890123.4567"), Decimal("1234567890123.4568"), Decimal("100.0000"), None
    ]  # fmt: skip
    assert str(read(100.5)) == "100.5000"
