"""Merge rules by source priority, as properties of the store's public API on a SQLite
file and on PostgreSQL: whatever order the same records arrive in, the golden record is
the same; a source never overwrites a value held by a source ranked above it for that
field; a batch sent again changes nothing; history keeps every earlier version.

The ranking is written out here (``ORDER``) independently of :class:`MergeRules`, and
the rules given to the store say the same: three sources by priority, and for
``address`` an authority list that turns the order round (listed sources outrank every
unlisted one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tongban.entities import ENTERPRISE, PERSON
from tongban.store import BatchResult, Incoming, MergeRules, Store

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SOURCES = ("high", "mid", "low")
RULES = MergeRules(
    source_priority={"high": 30, "mid": 20, "low": 10},
    authoritative={"person": {"address": ["low", "mid"]}},
)
# Per field, the sources from the one that wins down.
ORDER = {f: SOURCES for f in PERSON.fields} | {"address": ("low", "mid", "high")}
OFFERS: dict[str, list[str | None]] = {
    "name": ["张三", "张叁", "章三"],
    "address": [None, "人民路1号", "解放路2号"],
    "phone": [None, "13800000000", "13900000000"],
    "marital_status": [None, "10", "20"],
    "ethnicity": [None, "01", "02"],
}
Values = dict[str, Any]

_numbers = itertools.count()


def fresh_key() -> str:
    """An ID number no earlier example used (the store is shared by a module's examples)."""
    n = next(_numbers)
    first17 = f"110105{date(1950, 1, 1) + timedelta(n // 1000):%Y%m%d}{n % 1000:03d}"
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A SQLite file of the module's own, or the session's PostgreSQL database (each
    example takes keys no other has used, so what other tests leave there is no matter)."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path_factory.mktemp('merge') / 'store.db'}", rules=RULES)
        s.migrate()
    else:
        s = Store(request.getfixturevalue("_migrated_pg"), rules=RULES)
    yield s
    s.dispose()


def send(store: Store, batch: Sequence[tuple[str, str, Values]]) -> BatchResult:
    """Write ``(source, key, values)`` records as one batch."""
    run_id = store.start_run(batch[0][0], entity="person")
    records = [
        Incoming(PERSON.normalize({"id_number": key, **values}), source, f"{source}:{key}:{i}")
        for i, (source, key, values) in enumerate(batch)
    ]
    return store.write_batch("person", records, run_id=run_id)


def golden(store: Store, key: str) -> tuple[Values, dict[str, str]]:
    """The golden record's fields and, for each field with a value, its source."""
    row = store.get("person", key)
    assert row is not None
    return {f: row[f] for f in PERSON.fields}, {
        f: o["source"] for f, o in row["provenance"].items()
    }


def outranks(field: str, a: str, b: str) -> bool:
    return ORDER[field].index(a) < ORDER[field].index(b)


offers = st.fixed_dictionaries({f: st.sampled_from(v) for f, v in OFFERS.items()})


# -- the arrival order does not matter --------------------------------------------------


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(SOURCES), st.lists(offers, min_size=2, max_size=2),
                    min_size=1),
    st.permutations(SOURCES),
    st.booleans(),
)  # fmt: skip
def test_the_golden_record_is_the_same_whatever_the_arrival_order(
    store: Store, sent: dict[str, list[Values]], order: list[str], one_batch: bool
) -> None:
    """Each source offers a record for each of two people; sent source by source in any
    order, or all in one batch, each field holds the value of the source ranked highest
    for it among those that offered one."""
    keys = [fresh_key(), fresh_key()]
    arrivals = [[(s, k, v) for k, v in zip(keys, sent[s], strict=True)] for s in order if s in sent]
    if one_batch:
        send(store, [record for batch in arrivals for record in batch])
    else:
        for batch in arrivals:
            send(store, batch)
    for i, key in enumerate(keys):
        values, sources = golden(store, key)
        for f in OFFERS:
            offering = [s for s in ORDER[f] if s in sent and sent[s][i][f] is not None]
            want = sent[offering[0]][i][f] if offering else None
            assert (values[f], sources.get(f)) == (want, offering[0] if offering else None), f


# -- a lower-ranked source never overwrites ----------------------------------------------

writes = st.lists(st.tuples(st.sampled_from(SOURCES), offers), min_size=1, max_size=6)


@SETTINGS
@given(writes)
def test_a_source_never_overwrites_a_value_of_a_source_ranked_above_it(
    store: Store, sequence: list[tuple[str, Values]]
) -> None:
    """After each write, field by field: a value held by a source ranked above the writer
    stays (with its source); otherwise the writer's value, when it offers one, replaces
    it (a source updates its own values)."""
    key = fresh_key()
    before: tuple[Values, dict[str, str]] = ({}, {})
    for source, values in sequence:
        send(store, [(source, key, values)])
        after = golden(store, key)
        for f in OFFERS:
            held, held_by = before[0].get(f), before[1].get(f)
            offered = values[f]
            if held is not None and held_by is not None and outranks(f, held_by, source):
                assert (after[0][f], after[1].get(f)) == (held, held_by), (f, source)
            elif offered is not None:
                assert (after[0][f], after[1].get(f)) == (offered, source), (f, source)
            else:
                assert (after[0][f], after[1].get(f)) == (held, held_by), (f, source)
        before = after


# -- a batch sent again changes nothing --------------------------------------------------


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[str, int, Values]]:
    """A batch of records for up to three people (by index), from one or more sources;
    a person may have several records of one source (a later page of it, in the batch)."""
    chosen = draw(
        st.lists(st.tuples(st.sampled_from(SOURCES), st.integers(0, 2)), min_size=1,
                 max_size=6)
    )  # fmt: skip
    return [(s, k, draw(offers)) for s, k in chosen]


def history_counts(store: Store, keys: Sequence[str]) -> list[int]:
    return [len(store.history("person", k)) for k in keys]


@SETTINGS
@given(st.lists(batches(), min_size=1, max_size=4))
def test_a_batch_sent_again_changes_nothing(
    store: Store, sequence: list[list[tuple[str, int, Values]]]
) -> None:
    keys = [fresh_key() for _ in range(3)]
    for batch in sequence:
        records = [(s, keys[k], v) for s, k, v in batch]
        send(store, records)
        touched = sorted({key for _, key, _ in records})
        state = [store.get("person", k) for k in touched]
        counts = history_counts(store, touched)
        again = send(store, records)
        assert (again.inserted, again.updated) == (0, 0)
        assert again.unchanged == len(records)
        assert [store.get("person", k) for k in touched] == state
        assert history_counts(store, touched) == counts


@SETTINGS
@given(st.sampled_from(SOURCES), st.sampled_from(OFFERS["address"][1:]))
def test_a_batch_with_a_key_twice_from_one_source_sent_again_changes_nothing(
    store: Store, source: str, first: str
) -> None:
    key = fresh_key()
    second = next(a for a in OFFERS["address"][1:] if a != first)
    records = [(source, key, {"name": "张三", "address": a}) for a in (first, second)]
    send(store, records)
    state = store.get("person", key)
    again = send(store, records)
    assert store.get("person", key) == state
    assert len(store.history("person", key)) == 1
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


@SETTINGS
@given(st.sampled_from([("mid", "high"), ("low", "mid"), ("low", "high")]))
def test_a_batch_sent_again_records_no_new_conflict(store: Store, pair: tuple[str, str]) -> None:
    lower, higher = pair
    key = fresh_key()
    records = [(lower, key, {"name": "张叁"}), (higher, key, {"name": "张三"})]
    send(store, records)
    assert len(store.conflicts("person", key)) == 1
    send(store, records)
    assert len(store.conflicts("person", key)) == 1


# -- history keeps every earlier value ---------------------------------------------------


def stored_form(values: Values) -> Values:
    return {f: v.isoformat() if isinstance(v, date) else v for f, v in values.items()}


@SETTINGS
@given(writes)
def test_history_keeps_every_earlier_version(
    store: Store, sequence: list[tuple[str, Values]]
) -> None:
    """Each write that changed the record left the state before it in history: the
    versions, oldest first, are exactly the states seen after each write."""
    key = fresh_key()
    seen: dict[int, Values] = {}
    for source, values in sequence:
        send(store, [(source, key, values)])
        row = store.get("person", key)
        assert row is not None
        seen.setdefault(row["version"], stored_form({"id_number": key, **golden(store, key)[0]}))
    history = store.history("person", key)
    assert [v["version"] for v in history] == sorted(seen) == list(range(1, len(seen) + 1))
    assert [v["data"] for v in history] == [seen[n] for n in sorted(seen)]
    assert all(a["valid_to"] == b["valid_from"] for a, b in itertools.pairwise(history))
    assert history[-1]["valid_to"] is None


# -- amounts and dates come back as sent -------------------------------------------------

CODE_HEAD = "91350100"  # 市场监管, enterprise, 福州市
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def fresh_code() -> str:
    """A credit code no earlier example used."""
    n = next(_numbers)
    body8 = f"{n:08d}"
    org = sum(int(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    first17 = CODE_HEAD + body8 + "0123456789X"[-org % 11]
    total = sum(CREDIT_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + CREDIT_ALPHABET[-total % 31]


def send_enterprise(store: Store, code: str, capital: object, founded: object) -> BatchResult:
    record = ENTERPRISE.normalize(
        {"credit_code": code, "name": "测试有限公司", "registered_capital": capital,
         "established_on": founded}
    )  # fmt: skip
    run_id = store.start_run("scjg_enterprise", entity="enterprise")
    return store.write_batch(
        "enterprise", [Incoming(record, "scjg_enterprise", code)], run_id=run_id
    )


# 注册资本 in 万元: up to 4 decimal places (the column's scale), 15 significant digits.
capitals = st.integers(0, 4).flatmap(
    lambda places: st.decimals(min_value=0, max_value=10**11 - 1, places=places)
)


@SETTINGS
@given(capitals, st.booleans(), st.dates(min_value=date(1949, 10, 1)))
def test_an_enterprise_sent_again_is_unchanged_whatever_its_capital(
    store: Store, capital: Decimal, as_text: bool, founded: date
) -> None:
    code = fresh_code()
    sent = f"{capital:,}" if as_text else capital
    send_enterprise(store, code, sent, founded.isoformat())
    row = store.get("enterprise", code)
    assert row is not None
    assert (row["registered_capital"], row["established_on"]) == (capital, founded)
    again = send_enterprise(store, code, sent, founded)
    assert (again.unchanged, again.updated) == (1, 0)
    assert len(store.history("enterprise", code)) == 1


@SETTINGS
@given(st.decimals(min_value=0, max_value=10**6, places=5).filter(lambda d: d != round(d, 4)))
@example(Decimal("100.12345"))
def test_a_capital_with_five_decimal_places_sent_again_is_unchanged(
    store: Store, capital: Decimal
) -> None:
    code = fresh_code()
    send_enterprise(store, code, capital, None)
    again = send_enterprise(store, code, capital, None)
    assert (again.unchanged, len(store.history("enterprise", code))) == (1, 1)


@SETTINGS
@given(st.decimals(min_value=10**12, max_value=10**16 - 1, places=4))
@example(Decimal("1234567890123.4567"))
def test_a_capital_of_17_significant_digits_comes_back_as_sent(
    store: Store, capital: Decimal
) -> None:
    code = fresh_code()
    send_enterprise(store, code, capital, None)
    row = store.get("enterprise", code)
    assert row is not None and row["registered_capital"] == capital
    again = send_enterprise(store, code, capital, None)
    assert (again.unchanged, again.updated) == (1, 0)
    assert store.history("enterprise", code)[0]["data"]["registered_capital"] == format(
        capital.normalize(), "f"
    )
