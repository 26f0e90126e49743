"""The reviewer's workflow from the command line: report, Data Docs, show, fix,
reprocess, reject."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from cli._common import state


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TONGBAN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), catch_exceptions=False)
    if state._store is not None:
        state._store.dispose()
        state._store = None


def test_a_reviewer_fixes_a_record_and_it_lands_with_the_correction(cli, tmp_path):
    cli("init")
    people = tmp_path / "people.csv"
    rows = [f"{number},某{i},{'男' if int(number[16]) % 2 else '女'}"
            for i, number in enumerate(_numbers(40))]  # fmt: skip
    rows.insert(1, "11010519491231002Y,李四,女")  # a typo in the check character
    people.write_text("id_number,name,gender\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert cli("load", str(people), "--entity", "person").exit_code == 0
    listed = cli("quarantine", "list").output
    assert "id_number.charset" in listed and "1 shown of 1" in listed
    shown = cli("quarantine", "show", "1")
    assert shown.exit_code == 0
    assert "expect_column_values_to_be_valid_id_number" in shown.output
    assert "李四" in shown.output

    fixed = cli("quarantine", "fix", "1", "--field", "id_number", "--value",
                "110105194912310062", "--by", "reviewer-07", "--why", "证件复印件核对")  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert cli("quarantine", "fix", "1", "--field", "name", "--value", "x", "--by", " ",
               "--why", "y").exit_code == 1  # fmt: skip
    again = cli("quarantine", "reprocess")
    assert again.exit_code == 0, again.output
    assert "landed record 1" in again.output
    person = cli("person", "110105194912310062").output
    assert "李四" in person and "people.csv:3" in person
    state._store = None
    from tongban.settings import load_settings
    from tongban.store import Store

    store = Store(load_settings().store_url)
    origin = store.get("person", "110105194912310062")["provenance"]["name"]
    assert origin["correction"]["by"] == ["reviewer-07"]
    assert origin["correction"]["fields"] == ["id_number"]
    entry = store.quarantine_entry(1)
    assert entry["status"] == "fixed" and entry["raw"]["id_number"] == "11010519491231002Y"
    store.dispose()

    again = tmp_path / "again.csv"
    again.write_text("id_number,name\n11010519491231002Z,无名\n" + "\n".join(
        f"{n},某" for n in _numbers(40)) + "\n", encoding="utf-8")  # fmt: skip
    assert cli("load", str(again), "--entity", "person").exit_code == 0
    rejected = cli("quarantine", "reject", "2", "--by", "reviewer-07", "--why", "无此人")
    assert rejected.exit_code == 0
    assert "rejected" in cli("quarantine", "show", "2").output
    assert cli("quarantine", "reject", "2", "--by", "a", "--why", "b").exit_code == 1
    assert "2 shown of 2" in cli("quarantine", "list", "--status", "all").output


def _numbers(n: int) -> list[str]:
    from tongban.identifiers import id_check_char

    return [f"11010119800101{seq:03d}" + id_check_char(f"11010119800101{seq:03d}")
            for seq in range(n)]  # fmt: skip


def test_quality_report_and_data_docs(cli, tmp_path):
    cli("init")
    people = tmp_path / "people.csv"
    people.write_text("id_number,name\n" + "\n".join(f"{n},某" for n in _numbers(5)) + "\n")
    cli("load", str(people), "--entity", "person")
    cli("load", str(people), "--entity", "person")
    report = cli("quality", "report")
    assert report.exit_code == 0
    assert "manual" in report.output and "person" in report.output
    assert "100.0%" in report.output and "vs 1 earlier" in report.output
    docs = cli("quality", "docs")
    assert docs.exit_code == 0
    index = tmp_path / "data" / "quality-docs" / "index.html"
    assert index.exists() and str(index) in docs.output.replace("\n", "")
    assert "person" in index.read_text(encoding="utf-8")
