"""The batch a page travels in: what goes in comes out, whatever the types a dirty
source mixes in one field, and taking, slicing and joining batches keeps each record
with its id and its error."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.batch import Batch
from tongban.errors import RecordError

scalars = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=True, allow_infinity=False, places=3),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def same(got: Any, want: Any) -> bool:
    """Equal, and of the same type (NaN equal to NaN)."""
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and list(got) == list(want)
            and all(same(got[k], want[k]) for k in want)
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(same(g, w) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, Decimal):
        return isinstance(got, Decimal) and repr(got) == repr(want)
    return type(got) is type(want) and got == want


def uniform(draw: st.DrawFn, n: int, kind: st.SearchStrategy[Any]) -> list[Any]:
    return draw(st.lists(st.one_of(st.none(), kind), min_size=n, max_size=n))


@st.composite
def columns(draw: st.DrawFn) -> tuple[dict[str, list[Any]], list[str | None]]:
    n = draw(st.integers(0, 8))
    cols: dict[str, list[Any]] = {
        "text": uniform(draw, n, st.text(max_size=5)),
        "dates": uniform(draw, n, st.dates()),
        "amounts": uniform(draw, n, st.decimals(allow_nan=True, allow_infinity=False, places=2)),
        "holders": uniform(
            draw,
            n,
            st.lists(
                st.fixed_dictionaries(
                    {"name": st.text(max_size=3), "id": st.text(max_size=3)},
                    optional={"share": st.text(max_size=2)},
                ),
                max_size=3,
            ),
        ),
        "mixed": draw(st.lists(values, min_size=n, max_size=n)),
    }
    ids = draw(st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=n, max_size=n))
    return cols, ids


def surrogate_safe(cols: dict[str, list[Any]]) -> bool:
    text = repr(cols)
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=200, deadline=None)
@given(columns())
def test_every_value_comes_out_as_it_went_in(page):
    cols, ids = page
    batch = Batch.from_columns(cols, ids)
    assert len(batch) == len(ids) and batch.record_ids == ids
    for name, sent in cols.items():
        got = batch.column(name)
        if batch.table.schema.field(name).metadata == {b"tongban.codec": b"json"}:
            sent = [_as_json_reads(v) for v in sent]  # a column Arrow cannot type
        assert all(same(g, w) for g, w in zip(got, sent, strict=True)), (name, got, sent)


def _as_json_reads(value: Any) -> Any:
    """What a value of a column kept as JSON text reads back as, when Arrow could not
    type the column: text, numbers, booleans and structures as they were, dates and
    amounts as their text."""
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_as_json_reads(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_json_reads(v) for k, v in value.items()}
    return value


@settings(max_examples=200, deadline=None)
@given(columns(), st.data())
def test_take_slice_and_concat_keep_each_record_with_its_id_and_error(page, data):
    cols, ids = page
    n = len(ids)
    errors = {i: RecordError("x.rule", f"row {i}") for i in range(n) if i % 3 == 0}
    batch = Batch.from_columns(cols, ids, errors, source="src")
    rows = data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=n)) if n else []
    taken = batch.take(rows)
    assert taken.record_ids == [ids[i] for i in rows]
    assert {i: e.message for i, e in taken.errors.items()} == {
        j: f"row {i}" for j, i in enumerate(rows) if i in errors
    }
    cut = data.draw(st.integers(0, n))
    parts = [batch.slice(0, cut), batch.slice(cut, n)]
    joined = Batch.concat(parts)
    assert joined.record_ids == ids and joined.source == "src"
    assert {i: e.message for i, e in joined.errors.items()} == {
        i: e.message for i, e in errors.items()
    }
    assert all(
        same(g, w) for name in cols for g, w in zip(joined.column(name), batch.column(name),
                                                    strict=True)
    )  # fmt: skip
    assert batch.good().record_ids == [ids[i] for i in range(n) if i not in errors]


def test_a_field_sent_as_a_number_and_as_text_keeps_both():
    batch = Batch.from_columns({"phone": [123, "123", None, 1.5]}, ["a", "b", "c", "d"])
    assert batch.column("phone") == [123, "123", None, 1.5]
    assert [type(v) for v in batch.column("phone")] == [int, str, type(None), float]
    assert batch.row(1) == {"phone": "123"}


def test_a_list_beside_a_text_and_structures_with_different_keys_read_back_as_sent():
    holders = [[{"name": "甲", "id": "1"}], "甲", [{"name": "乙", "share": "50%"}], None]
    batch = Batch.from_columns({"holders": holders}, list("abcd"))
    assert batch.column("holders") == holders
    fields = [{"a": 1}, {"b": [1, "x"]}, None]
    assert Batch.from_columns({"fields": fields}, list("abc")).column("fields") == fields


def test_decimals_keep_their_scale_and_dates_their_type():
    amounts = [Decimal("1"), Decimal("1.50"), None, Decimal("NaN")]
    batch = Batch.from_columns(
        {"amount": amounts, "on": [date(2020, 1, 2), None, None, date(2021, 1, 2)]},
        list("abcd"),
    )
    got = batch.column("amount")
    assert [repr(v) for v in got] == [repr(v) for v in amounts]
    assert batch.column("on")[0] == date(2020, 1, 2) and type(batch.column("on")[0]) is date


def test_a_lone_surrogate_is_kept_written_out():
    batch = Batch.from_columns({"name": ["王\udc80五", "李四"]}, ["a", "b"])
    assert batch.column("name") == ["王\\udc80五", "李四"]


def test_pages_whose_column_types_differ_join():
    first = Batch.from_columns({"a": [None, None], "b": ["x", "y"]}, ["1", "2"])
    second = Batch.from_columns({"a": ["t", None], "c": [1, 2]}, ["3", "4"])
    third = Batch.from_columns({"a": [1, "1"]}, ["5", "6"])  # kept as JSON text
    joined = Batch.concat([first, second, third])
    assert joined.record_ids == ["1", "2", "3", "4", "5", "6"]
    assert joined.column("a") == [None, None, "t", None, 1, "1"]
    assert joined.column("b") == ["x", "y", None, None, None, None]
    assert joined.column("c") == [None, None, 1, 2, None, None]


def test_with_columns_keeps_ids_and_shares_the_columns_a_rule_left_as_they_were() -> None:
    names = ["浙江某某科技有限公司", None, "杭州某某商贸有限公司"]
    sent = Batch.from_columns(
        {"name": names, "capital": ["100", "x", None]}, ["p.json:1", "p.json:2", "p.json:3"]
    )
    error = RecordError("enterprise.registered_capital", "not an amount", value="x")
    done = sent.with_columns(
        {"name": sent.column("name"), "registered_capital": [Decimal("100"), None, None]},
        {1: error},
    )
    assert done.fields == ("name", "registered_capital")
    assert done.record_ids == ["p.json:1", "p.json:2", "p.json:3"]
    assert done.column("name") == names
    assert done.column("registered_capital") == [Decimal("100"), None, None]
    assert done.errors == {1: error}
    # The untouched column is the same Arrow data, not a copy.
    shared = done.table.column("name").chunk(0).buffers()[2]
    assert shared is not None
    assert shared.address == sent.table.column("name").chunk(0).buffers()[2].address
    # A column of equal but new objects is converted anew, and reads back the same.
    again = sent.with_columns({"name": [str(n) if n else None for n in names]}, {})
    assert again.column("name") == names
    # Taken, sliced and joined, every record keeps its values.
    both = Batch.concat([done.take([2, 0]), done.slice(1, 2)])
    assert both.record_ids == ["p.json:3", "p.json:1", "p.json:2"]
    assert both.column("name") == [names[2], names[0], None]
