"""A batch is stored as written: whatever text, amounts, dates and record ids it holds,
through COPY on PostgreSQL and executemany on SQLite, each golden row reads back as its
record, with the record's id in its provenance; a batch sent again changes nothing; and
a batch mixing new, stored, changed and repeated keys gets each what the merge rules
give it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tongban.batch import Batch
from tongban.entities import ENTERPRISE
from tongban.store import Store
from tongban.store.schema import metadata

NASTY_TEXT = [
    "a\tb", "line\nbreak", "cr\rhere", "crlf\r\n", "back\\slash", "\\", "\\\\", "\\N",
    "\\.", 'quote"s', "it's", " ", "\u2028", "\x7f", "\x1b[0m", "普通文本", "\t", "\n",
    "end\\", "\\t", '{"a": 1}', "NULL", "null",
]  # fmt: skip
NASTY_IDS = [
    None, "r1", 'id"quote', "id\\back", "tab\tid", "nl\nid", "\\N", "", "记录-1", "\u2028",
    '"', "\\", "cr\r", "\x01",
]  # fmt: skip
TEXT = st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=["Cs"])
LENGTH = {"credit_code": 18, "legal_rep_id_number": 18, "region_code": 6, "status": 20}


def values_of(field: str) -> st.SearchStrategy[Any]:
    if field == "registered_capital":
        return st.one_of(
            st.none(),
            st.decimals(min_value=-(10**12), max_value=10**12, places=4),
            st.sampled_from([Decimal("1.0000"), Decimal("1E+3"), Decimal("-0"), Decimal("5")]),
        )
    if field == "established_on":
        return st.one_of(st.none(), st.dates(min_value=date(1, 1, 1)))
    length = LENGTH.get(field, 30)
    return st.one_of(
        st.none(),
        st.sampled_from([t for t in NASTY_TEXT if len(t) <= length]),
        st.text(TEXT, max_size=length),
    )


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    keys = draw(
        st.lists(
            st.one_of(st.sampled_from(NASTY_TEXT[:12]), st.text(TEXT, min_size=1, max_size=18)),
            max_size=8,
            unique=True,
        )
    )
    n = len(keys)
    columns: dict[str, list[Any]] = {"credit_code": keys}
    for field in ENTERPRISE.fields:
        if draw(st.integers(0, 4)):
            columns[field] = draw(st.lists(values_of(field), min_size=n, max_size=n))
    ids = draw(
        st.lists(st.one_of(st.sampled_from(NASTY_IDS), st.text(TEXT, max_size=6)),
                 min_size=n, max_size=n)
    )  # fmt: skip
    source = draw(st.sampled_from(["t", "scjg_enterprise", 'we"ird\\src', "中文\t源"]))
    return Batch.from_columns(columns, ids, source=source)


def clear(store: Store) -> None:
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=batches())
def test_a_batch_is_stored_as_written_and_sent_again_changes_nothing(store, batch):
    clear(store)
    store._writer._all_new.clear()  # each example starts a first load of its own
    run_id = store.start_run(batch.source or "", entity="enterprise")
    first = store.write_batch("enterprise", batch, run_id=run_id)
    assert (first.inserted, first.updated, first.unchanged) == (len(batch), 0, 0)
    for i, key in enumerate(batch.column("credit_code")):
        row = store.get("enterprise", key)
        assert row is not None, key
        for field in ENTERPRISE.fields:
            sent = batch.column(field)[i]
            assert row[field] == sent, (field, row[field], sent)
            assert sent is None or type(row[field]) is type(sent), field
        for origin in row["provenance"].values():  # by field: where each value came from
            assert (origin["source"], origin["record"]) == (batch.source, batch.record_ids[i])
        assert row["version"] == 1
    again = store.write_batch("enterprise", batch, run_id=run_id)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(batch))
    assert store.count("record_version") == 0


def _records(names: dict[str, str], source: str) -> Batch:
    keys = list(names)
    return Batch.from_columns(
        {"credit_code": keys, "name": [names[k] for k in keys]},
        [f"{source}:{k}" for k in keys],
        source=source,
    )


@pytest.mark.parametrize("twice", [False, True])
def test_new_stored_unchanged_changed_and_repeated_keys_in_one_batch(store, twice):
    clear(store)
    store._writer._all_new.clear()
    run_id = store.start_run("scjg", entity="enterprise")
    store.write_batch("enterprise", _records({"K1": "甲", "K2": "乙"}, "scjg"), run_id=run_id)
    keys = ["K1", "K2", "K3", *(["K3"] if twice else [])]
    names = ["甲", "乙二", "丙", *(["丙二"] if twice else [])]
    batch = Batch.from_columns(
        {"credit_code": keys, "name": names}, [f"r{i}" for i in range(len(keys))], source="scjg"
    )
    result = store.write_batch("enterprise", batch, run_id=run_id)
    # K3 twice: inserted by its first record, updated by its second, in order.
    assert (result.inserted, result.updated, result.unchanged) == (1, 2 if twice else 1, 1)
    assert store.get("enterprise", "K1")["version"] == 1
    assert store.get("enterprise", "K2")["name"] == "乙二"
    assert store.get("enterprise", "K2")["version"] == 2
    assert store.get("enterprise", "K3")["name"] == ("丙二" if twice else "丙")
    assert store.history("enterprise", "K2")[0]["data"]["name"] == "乙"
