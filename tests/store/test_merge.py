"""Merge priority, conflict recording, history, as-of reads and idempotent writes,
on SQLite and on PostgreSQL alike (the ``store`` fixture runs each test on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tongban.entities import ENTERPRISE, PERSON
from tongban.store import Incoming, QuarantineEntry

ID = "11010519491231002X"


def person(**fields):
    return PERSON.normalize({"id_number": ID, "name": "张三", **fields})


def write(store, source, *records, run=None):
    run_id = run or store.start_run(source, entity="person")
    batch = [Incoming(r, source, f"{source}-{i}") for i, r in enumerate(records)]
    return store.write_batch("person", batch, run_id=run_id)


def test_insert_then_reload_changes_nothing(store):
    first = write(store, "manual", person(address="人民路1号"))
    assert (first.inserted, first.updated, first.unchanged) == (1, 0, 0)
    before = store.get("person", ID)
    again = write(store, "manual", person(address="人民路1号"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert store.get("person", ID) == before
    assert len(store.history("person", ID)) == 1


def test_authoritative_source_wins_and_conflict_is_recorded(store):
    write(store, "renshe_insurance", person(name="张叁", address="社保地址"))
    write(store, "gongan_population", person(name="张三", address="户籍地址"))
    golden = store.get("person", ID)
    assert golden["name"] == "张三"
    assert golden["provenance"]["name"]["source"] == "gongan_population"
    conflicts = {c["field"]: c for c in store.conflicts("person", ID)}
    assert conflicts["name"]["kept_value"] == "张三"
    assert conflicts["name"]["offered_value"] == "张叁"
    assert conflicts["name"]["offered_source"] == "renshe_insurance"
    assert conflicts["name"]["resolution"] == "replaced"


def test_lower_priority_never_overwrites_but_conflict_is_kept(store):
    write(store, "gongan_population", person(name="张三"))
    result = write(store, "renshe_insurance", person(name="张叁", phone="13800000000"))
    golden = store.get("person", ID)
    assert golden["name"] == "张三"  # not overwritten
    assert golden["phone"] == "13800000000"  # a field the registry lacks is filled
    assert golden["provenance"]["phone"]["source"] == "renshe_insurance"
    assert result.conflicts == 1
    (conflict,) = store.conflicts("person", ID)
    assert (conflict["kept_source"], conflict["offered_source"]) == (
        "gongan_population",
        "renshe_insurance",
    )
    assert conflict["resolution"] == "kept"
    # The same disagreement offered again is not recorded twice.
    write(store, "renshe_insurance", person(name="张叁", phone="13800000000"))
    assert len(store.conflicts("person", ID)) == 1


def test_same_source_update_is_a_new_version_not_a_conflict(store):
    write(store, "gongan_population", person(address="旧址"))
    write(store, "gongan_population", person(address="新址"))
    assert store.conflicts("person", ID) == []
    history = store.history("person", ID)
    assert [v["data"]["address"] for v in history] == ["旧址", "新址"]
    assert history[0]["valid_to"] == history[1]["valid_from"]
    assert history[1]["valid_to"] is None


def test_as_of_reads_what_was_known_then(store):
    write(store, "gongan_population", person(address="旧址"))
    between = datetime.now(UTC)
    write(store, "gongan_population", person(address="新址"))
    old = store.as_of("person", ID, between)
    assert old is not None and old["data"]["address"] == "旧址"
    assert store.as_of("person", ID, datetime.now(UTC))["data"]["address"] == "新址"
    assert store.as_of("person", ID, between - timedelta(days=1)) is None


def test_same_key_twice_in_one_batch_is_applied_in_order(store):
    result = write(store, "manual", person(address="一"), person(address="二"))
    assert (result.inserted, result.updated) == (1, 1)
    assert store.get("person", ID)["address"] == "二"
    # One batch is one transaction: it makes one version, whatever it went through.
    [only] = store.history("person", ID)
    assert (only["version"], only["data"]["address"]) == (1, "二")
    write(store, "manual", person(address="三"), person(address="四"))
    assert [v["data"]["address"] for v in store.history("person", ID)] == ["二", "四"]
    assert store.get("person", ID)["version"] == 2


def test_a_key_twice_from_one_source_sent_again_changes_nothing(store):
    records = (person(address="一", phone="13800000000"), person(address="二"))
    write(store, "manual", *records)
    before = store.get("person", ID)
    # The later record's address, the earlier one's phone (the later offers none).
    assert (before["address"], before["phone"]) == ("二", "13800000000")
    assert before["provenance"]["address"]["record"] == "manual-1"
    assert before["provenance"]["phone"]["record"] == "manual-0"
    again = write(store, "manual", *records)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert store.get("person", ID) == before
    assert len(store.history("person", ID)) == 1
    # A batch that does change the row still makes one version, counted by record.
    changed = write(store, "manual", person(address="三"), person(address="四"))
    assert (changed.updated, changed.unchanged) == (2, 0)
    assert [v["data"]["address"] for v in store.history("person", ID)] == ["二", "四"]


def test_one_disagreement_is_one_conflict_whichever_side_was_held(store):
    run_id = store.start_run("renshe_insurance", entity="person")
    batch = [
        Incoming(person(name="张叁"), "renshe_insurance", "r-1"),
        Incoming(person(name="张三"), "gongan_population", "g-1"),
    ]
    store.write_batch("person", batch, run_id=run_id)
    (first,) = store.conflicts("person", ID)
    assert (first["resolution"], first["kept_source"]) == ("replaced", "gongan_population")
    # Sent again, the registry's value is held and the insurer's is kept out: the same
    # disagreement, already recorded.
    again = store.write_batch("person", batch, run_id=run_id)
    assert (again.updated, again.unchanged) == (0, 2)
    assert store.conflicts("person", ID) == [first]
    write(store, "renshe_insurance", person(name="张叁"))
    assert store.conflicts("person", ID) == [first]


def test_quarantine_is_idempotent_and_in_the_same_transaction(store):
    run_id = store.start_run("manual", entity="person")
    bad = QuarantineEntry(
        "person", "manual", "f.csv:3", {"id_number": "123"}, "id_number.length", "x"
    )
    for _ in range(2):
        store.write_batch("person", [Incoming(person(), "manual", "f.csv:2")], run_id=run_id,
                          quarantined=[bad], cursor=("manual", {"offset": 3}))  # fmt: skip
    assert store.count("quarantine") == 1
    assert store.cursor("manual") == {"offset": 3}


def test_enterprise_decimal_capital_reload_is_unchanged(store):
    rec = ENTERPRISE.normalize(
        {"credit_code": "91350100M000100Y43", "name": "测试有限公司", "registered_capital": "100"}
    )
    run_id = store.start_run("scjg_enterprise", entity="enterprise")
    store.write_batch("enterprise", [Incoming(rec, "scjg_enterprise", "1")], run_id=run_id)
    again = store.write_batch("enterprise", [Incoming(rec, "scjg_enterprise", "1")], run_id=run_id)
    assert again.unchanged == 1
    held = store.get("enterprise", "91350100M000100Y43")
    assert held["region_code"] == "350100"
    # The same decimal, at the column's scale, from either dialect.
    assert str(held["registered_capital"]) == "100.0000"


def test_provenance_is_stored_short_when_one_origin_gave_every_field(store):
    """A record from one source row is stored as its origin alone; a record whose fields
    came from two sources keeps its field map. Both read back field by field."""
    from sqlalchemy import select

    from tongban.store import schema

    write(store, "gongan_population", person(address="户籍地址"))

    def stored():
        with store.engine.connect() as conn:
            col = schema.person.c.provenance
            return conn.execute(select(col).where(schema.person.c.id_number == ID)).scalar_one()

    assert set(stored()) == {"origins"}
    golden = store.get("person", ID)
    assert {f for f, o in golden["provenance"].items() if o["source"] == "gongan_population"} == {
        f for f in PERSON.fields if golden[f] is not None
    }
    write(store, "renshe_insurance", person(address="户籍地址", phone="13800000000"))
    assert set(stored()) == {"origins", "fields"}
    golden = store.get("person", ID)
    assert golden["provenance"]["phone"]["source"] == "renshe_insurance"
    assert golden["provenance"]["name"]["source"] == "gongan_population"
    (old,) = store.history("person", ID)[:-1]
    assert set(old["provenance"]) == {f for f in PERSON.fields if old["data"].get(f) is not None}


def test_resent_record_then_a_change_in_one_batch_keeps_the_stored_version(store):
    """The first record offers what is stored (unchanged, decided without expanding the
    provenance); the second changes it: history holds the stored state, untouched."""
    write(store, "gongan_population", person(address="旧址"))
    result = write(store, "gongan_population", person(address="旧址"), person(address="新址"))
    assert (result.unchanged, result.updated) == (1, 1)
    history = store.history("person", ID)
    assert [v["data"]["address"] for v in history] == ["旧址", "新址"]
    assert history[0]["provenance"]["address"]["source"] == "gongan_population"


def test_same_values_from_a_higher_priority_source_take_over_the_provenance(store):
    write(store, "renshe_insurance", person(address="户籍地址"))
    result = write(store, "gongan_population", person(address="户籍地址"))
    assert (result.unchanged, result.updated) == (0, 1)
    golden = store.get("person", ID)
    assert golden["provenance"]["name"]["source"] == "gongan_population"
    assert store.conflicts("person", ID) == []
    again = write(store, "gongan_population", person(address="户籍地址"))
    assert (again.unchanged, again.updated) == (1, 0)
