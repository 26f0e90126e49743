"""Text checked where it enters: a NUL, another control character, a lone surrogate or a
value that would act as a formula, from a file drop or a REST field, quarantines its
record under a named rule, kept in a form both stores hold; the run goes on, and runs
again cleanly."""

from __future__ import annotations

import pytest
from kit import GOOD, HEADER, WORLD, definition, edit_first_item, registry, write_drop

from connectors import sync_source
from tongban import SyncOptions


@pytest.fixture
def drop(tmp_path):
    directory = tmp_path / "drop"
    directory.mkdir()
    return directory


@pytest.mark.parametrize(
    ("name", "phone", "rule", "kept"),
    [
        ("王\x00五", "13800138000", "text.control_character", "王\\u0000五"),
        ("王\x07五", "13800138000", "text.control_character", "王\\u0007五"),
        ("=cmd|' /C calc'!A0", "13800138000", "text.formula", "=cmd|' /C calc'!A0"),
        ("王五", "=1+1", "text.formula", "王五"),
        ("王五", "@SUM(A1)", "text.formula", "王五"),
        ("-2+3", "13800138000", "text.formula", "-2+3"),
    ],
)
def test_a_bad_text_in_a_file_drop_quarantines_its_record(store, drop, name, phone, rule, kept):
    line = f"110105194912310062,{name},女,1949-12-31,{phone},参保,2020-01-01,"
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join([*GOOD, line]) + "\n", "utf-8")
    d = definition("renshe_insurance", encoding="utf-8")
    env = {"TONGBAN_RENSHE_DROP_DIR": str(drop)}
    summary = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted, summary.quarantined) == (3, 2, 1)
    assert summary.status == "succeeded" and summary.reconciles
    [held] = store.quarantined(source="renshe_insurance")
    assert held["rule"] == rule
    assert held["source_record"] == "shebao_20261101.csv:4"
    assert held["raw"]["姓名"] == kept
    assert store.get("person", "110105194912310062") is None
    assert sync_source(store, d, SyncOptions(full=True), env=env).status == "succeeded"  # and again


def test_signed_numbers_and_phones_are_not_formulas(store, drop):
    line = "110105194912310062,王五,女,1949-12-31,+86 138 0013 8000,参保,-,"
    write_drop(drop, "shebao_20261101.csv", HEADER + line + "\n", "utf-8")
    summary = sync_source(
        store,
        definition("renshe_insurance", encoding="utf-8"),
        SyncOptions(),
        env={"TONGBAN_RENSHE_DROP_DIR": str(drop)},
    )
    assert (summary.inserted, summary.quarantined) == (1, 0)
    assert store.get("person", "110105194912310062")["phone"] == "8613800138000"


@pytest.mark.parametrize(
    ("value", "rule", "kept"),
    [
        ("王\u0000五有限公司", "text.control_character", "王\\u0000五有限公司"),
        ("王\ud800五有限公司", "text.control_character", "王\\ud800五有限公司"),
        ('=HYPERLINK("http://x")', "text.formula", '=HYPERLINK("http://x")'),
    ],
)
def test_a_bad_text_in_a_rest_field_quarantines_its_record(store, value, rule, kept):
    d = definition("scjg_enterprise", pagination={"limit": 10})
    with registry(edit_first_item("entname", value, page=2)) as env:
        summary = sync_source(store, d, SyncOptions(), env=env)
        assert (summary.read, summary.quarantined) == (30, 1)
        assert summary.inserted == 29 and summary.status == "succeeded"
        [held] = store.quarantined(source="scjg_enterprise")
        assert held["rule"] == rule and held["raw"]["entname"] == kept
        assert held["field"] == "entname"
        assert store.count("enterprise") == 29
        again = sync_source(store, d, SyncOptions(full=True), env=env)  # sent clean this time
    assert again.status == "succeeded" and (again.unchanged, again.inserted) == (29, 1)
    for e in map(WORLD.enterprise, range(WORLD.enterprises)):
        stored = store.get("enterprise", e.credit_code)
        assert stored is None or stored["name"] == e.name  # nothing else changed


def test_a_nul_in_a_record_that_is_also_invalid_is_kept_escaped(store, drop):
    line = "11010519491231002Y,王\x00五,女,1949-12-31,,参保,2020-01-01,"  # bad ID as well
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join([*GOOD, line]) + "\n", "utf-8")
    summary = sync_source(
        store,
        definition("renshe_insurance", encoding="utf-8"),
        SyncOptions(),
        env={"TONGBAN_RENSHE_DROP_DIR": str(drop)},
    )
    assert (summary.read, summary.quarantined) == (3, 1)
    [held] = store.quarantined(source="renshe_insurance")
    assert held["rule"] == "text.control_character"  # named first: it is why it was refused
    assert "\x00" not in held["message"] and "U+0000" in held["message"]
    assert held["raw"]["公民身份号码"] == "11010519491231002Y"
