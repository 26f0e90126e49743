"""The column lane of people gives what ``PERSON.normalize`` gives each record.

ID numbers are judged whole and the birth date and gender read from them by array
operations; a stated birth date or gender is compared column-wise. Any record the column
checks cannot decide is normalized on its own, so every record must come out exactly as
the row lane makes it: same values of the same types, same rule when it fails.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.definition import FieldMapping
from connectors.transforms import compile_mapping
from tongban.entities import PERSON
from tongban.errors import RecordError
from tongban.identifiers import id_check_char

REGIONS = ["110105", "330106", "440305", "510107", "652801", "340000"]  # 340000: a province


def _id(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@st.composite
def id_numbers(draw: st.DrawFn) -> Any:
    born = draw(births)
    number = _id(draw(st.sampled_from(REGIONS)), born, draw(st.integers(0, 999)))
    kind = draw(st.sampled_from(["clean"] * 6 + ["lower", "space", "bad", "short", "none", ""]))
    if kind == "lower":
        return number.lower()
    if kind == "space":
        return f" {number} "
    if kind == "bad":
        return number[:17] + ("0" if number[17] != "0" else "1")
    if kind == "short":  # a legacy 15-digit number
        return number[:6] + number[8:17]
    if kind == "none":
        return None
    return "" if kind == "" else number


def _stated_birth(draw: st.DrawFn, number: Any) -> Any:
    choice = draw(st.sampled_from(["none", "same", "other", "text", "datetime"]))
    real = None
    if isinstance(number, str) and len(number.strip()) == 18 and number.strip()[6:14].isdigit():
        digits = number.strip()[6:14]
        try:
            real = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            real = None
    if choice == "same" and real is not None:
        return real
    if choice == "other":
        return draw(births)
    if choice == "text":
        return draw(st.sampled_from(["1990-01-01", "19900101", "1990年1月1日", "bad"]))
    if choice == "datetime" and real is not None:
        return datetime(real.year, real.month, real.day, 8, 30)
    return None


@st.composite
def pages(draw: st.DrawFn) -> tuple[dict[str, list[Any]], int]:
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        number = draw(id_numbers())
        rows.append({
            "id_number": number,
            "name": draw(st.sampled_from(["张三", " 李四 ", "王　五", "", None, "ＡＢＣ"])),
            "gender": draw(st.sampled_from([None, "1", "2", "0", "9", "男", " 1"])),
            "birth_date": _stated_birth(draw, number),
            "phone": draw(st.sampled_from([None, "13800138000", "138 0013 8000"])),
        })  # fmt: skip
    fields = draw(st.sets(st.sampled_from(["gender", "birth_date", "phone"])))
    columns = {f: [r[f] for r in rows] for f in ("id_number", "name", *sorted(fields))}
    return columns, n


@settings(max_examples=150, deadline=None)
@given(pages(), st.sampled_from(["historical", "province"]))
def test_person_columns_give_what_normalize_gives(page, region_check):
    columns, n = page
    sent = copy.deepcopy(columns)
    blank_free: set[str] = set()
    done = PERSON.normalize_columns(columns, n, region_check=region_check, blank_free=blank_free)
    assert done is not None
    out, errors = done
    assert columns == sent, "the input columns were changed"
    for i in range(n):
        record = {f: values[i] for f, values in columns.items()}
        try:
            want = PERSON.normalize(record, region_check=region_check)
        except RecordError as exc:
            assert i in errors, f"row {i} {record}: the row lane fails it with {exc.rule}"
            assert errors[i].rule == exc.rule
            continue
        assert i not in errors, f"row {i} {record}: {errors[i]} in the column lane only"
        got = {f: values[i] for f, values in out.items()}
        assert list(got) == list(want)
        for f in want:
            assert type(got[f]) is type(want[f]) and got[f] == want[f], (i, f, got[f], want[f])
        for f in blank_free:  # a column said to be free of blank text has none
            v = columns[f][i]
            assert not (isinstance(v, str) and not v.strip()), (f, v)


def test_a_clean_page_is_decided_without_the_slow_way():
    born = [date(1949, 12, 31), date(2000, 2, 29), date(1985, 7, 1)]
    ids = [_id("110105", b, 2 * k + 1) for k, b in enumerate(born)]
    columns = {"id_number": ids, "name": ["甲", "乙", "丙"], "birth_date": born}
    out, errors = PERSON.normalize_columns(columns, 3)  # type: ignore[misc]
    assert errors == {}
    assert out["birth_date"] == born and all(type(b) is date for b in out["birth_date"])
    assert out["gender"] == ["1", "1", "1"]
    assert out["id_number"] is ids  # handed back as it was: nothing to clean


def test_person_mapping_columns_give_what_lenient_gives():
    mapper = compile_mapping({
        "id_number": FieldMapping.model_validate({"from": "sfzh"}),
        "name": FieldMapping.model_validate({"from": "xm", "transforms": ["clean"]}),
        "gender": FieldMapping.model_validate({"from": "xb", "transforms": ["gender"]}),
        "ethnicity": FieldMapping.model_validate({"from": "mz", "transforms": ["ethnicity"]}),
        "phone": FieldMapping.model_validate({"from": "lxdh", "transforms": ["digits"]}),
    })  # fmt: skip
    raws = [
        {"sfzh": "11010519491231002X", "xm": " 张三 ", "xb": "女", "mz": "汉族", "lxdh": "138"},
        {"sfzh": "x", "xm": "李四", "xb": "?", "mz": "01", "lxdh": "１３８"},
        {"sfzh": "y", "xm": None, "xb": 1, "mz": "火星族", "lxdh": None},
        {"sfzh": "z", "xm": "", "xb": "M", "mz": None, "lxdh": "010-1234"},
        {"xm": "王五", "xb": True},
    ]
    columns, errors = mapper.columns(raws)
    for i, raw in enumerate(raws):
        want, error = mapper.lenient(raw)
        got = {f: values[i] for f, values in columns.items()}
        assert got == want and [type(v) for v in got.values()] == [type(want[f]) for f in got]
        assert (errors.get(i).rule if i in errors else None) == (error.rule if error else None)
