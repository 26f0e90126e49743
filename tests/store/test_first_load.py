"""A first load on PostgreSQL: once a batch of an entity found none of its keys stored,
the next batches are COPYed without a look-up, and a batch that meets a stored key after
all is rolled back to its savepoint and merged as usual, with nothing lost or doubled."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tongban.batch import Batch
from tongban.entities import ENTERPRISE
from tongban.identifiers import credit_check_char, org_code_check_char
from tongban.store import Store

pytestmark = pytest.mark.postgres


def _code(n: int) -> str:
    body = f"{n:08d}"
    first17 = f"91350100{body}{org_code_check_char(body)}"
    return first17 + credit_check_char(first17)


def _batch(numbers: list[int], name: str = "甲公司", source: str = "scjg") -> Batch:
    records = [ENTERPRISE.normalize({"credit_code": _code(n), "name": name}) for n in numbers]
    fields = tuple(records[0])
    columns = {f: [r[f] for r in records] for f in fields}
    return Batch.from_columns(columns, [f"r{n}" for n in numbers], source=source)


@pytest.fixture
def store(new_pg_store: Store) -> Store:
    return new_pg_store


def _lookups(store: Store) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM enterprise" in statement:
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    return seen


def test_later_batches_of_a_first_load_skip_the_look_up(store):
    lookups = _lookups(store)
    run_id = store.start_run("scjg", entity="enterprise")
    results = [
        store.write_batch("enterprise", _batch(list(range(i * 10, i * 10 + 10))), run_id=run_id)
        for i in range(3)
    ]
    assert [r.inserted for r in results] == [10, 10, 10]
    assert len(lookups) == 1  # the first batch only
    assert store.count("enterprise") == 30


def test_a_batch_meeting_a_stored_key_is_rolled_back_and_merged(store):
    run_id = store.start_run("scjg", entity="enterprise")
    store.write_batch("enterprise", _batch([1, 2, 3]), run_id=run_id)
    store.write_batch("enterprise", _batch([4, 5]), run_id=run_id)  # COPYed first
    # Key 2 is stored: the COPY meets it, rolls back, and the batch is merged.
    mixed = store.write_batch("enterprise", _batch([2, 6, 7], name="乙公司"), run_id=run_id)
    assert (mixed.inserted, mixed.updated, mixed.unchanged) == (2, 1, 0)
    assert store.count("enterprise") == 7
    assert store.get("enterprise", _code(2))["name"] == "乙公司"
    assert store.get("enterprise", _code(2))["version"] == 2
    assert store.get("enterprise", _code(6))["version"] == 1
    # Back to looking keys up: key 2 changes again, key 3 is as stored.
    again = store.write_batch("enterprise", _batch([2, 3]), run_id=run_id)
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    assert store.count("enterprise") == 7
