"""Bad input: the bundled samples load their good rows, quarantine every bad one under
its rule, the counts reconcile, and nothing stored before is touched."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from tongban import SyncOptions
from tongban.loader import read_records
from tongban.pipeline import load_records

SAMPLES = resources.files("tongban.data").joinpath("samples")
MANIFEST = json.loads(SAMPLES.joinpath("manifest.json").read_text("utf-8"))
FILES = {"person": "people", "enterprise": "enterprises", "license": "licenses"}


def _load(store, entity):
    with resources.as_file(SAMPLES.joinpath(f"{FILES[entity]}.csv")) as path:
        return load_records(
            store,
            entity,
            list(read_records(path)),
            options=SyncOptions(batch_size=7),
            source="manual",
        )


def _snapshot(store):
    tables = ("person", "enterprise", "license", "record_version", "merge_conflict")
    return {t: store.count(t) for t in tables}, [
        store.get("person", k) for k in store.keys("person")
    ]


@pytest.mark.parametrize("entity", ["person", "enterprise", "license"])
def test_samples_quarantine_every_bad_row_with_its_rule(store, entity):
    summary = _load(store, entity)
    expected = {f"{FILES[entity]}.csv:{m['line']}": m["rule"] for m in MANIFEST[FILES[entity]]}
    got = {q["source_record"]: q["rule"] for q in store.quarantined(source="manual", limit=None)}
    assert got == expected
    assert summary.status == "succeeded"
    assert summary.quarantined == len(expected)
    assert summary.reconciles
    assert summary.inserted == summary.read - len(expected)
    run = store.run(summary.run_id)
    assert run["status"] == "succeeded" and run["quarantined"] == len(expected)


def test_normalizable_rows_are_normalized(store):
    _load(store, "person")
    for line in (2, 3, 4, 5):  # lower-case x, spaces, full-width digits, 15 digits
        version = next(
            v
            for k in store.keys("person", limit=1000)
            for v in store.history("person", k)
            if v["provenance"]["name"]["record"] == f"people.csv:{line}"
        )
        number = version["entity_key"]
        assert len(number) == 18 and number == number.upper() and number.isascii()


def test_reload_changes_nothing_and_bad_file_leaves_store_untouched(store, tmp_path):
    first = _load(store, "person")
    before = _snapshot(store)
    again = _load(store, "person")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
    assert again.quarantined == first.quarantined
    assert store.count("quarantine") == first.quarantined
    assert _snapshot(store) == before

    # A file whose rows are all bad: nothing stored before changes.
    bad = tmp_path / "bad.csv"
    bad.write_text("id_number,name\n123,甲\n11010519491231002Y,乙\n,丙\n", encoding="utf-8")
    summary = load_records(store, "person", read_records(bad), source="manual")
    assert (summary.read, summary.quarantined, summary.inserted) == (3, 3, 0)
    assert _snapshot(store) == before


def test_failure_mid_run_is_logged_and_keeps_committed_batches(store):
    good = [(f"r{i}", {"id_number": "11010519491231002X", "name": "张三"}) for i in range(3)]

    def records():
        yield from good
        raise ConnectionError("source went away")

    with pytest.raises(ConnectionError):
        load_records(store, "person", records(), options=SyncOptions(batch_size=3), source="manual")
    (run,) = store.runs(limit=1)
    assert run["status"] == "failed"
    assert "source went away" in run["message"]
    assert run["read"] == 3
    assert store.count("person") == 1
