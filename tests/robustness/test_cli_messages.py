"""Every message is plain text, and a failure is one line on stderr: strict definitions
(a key twice, not UTF-8, a YAML syntax error, a transform of the wrong type), a strict
``tongban load``, and upstream messages holding ``[`` are printed as written."""

from __future__ import annotations

import json
import sys

import pytest
from kit import registry

from cli import main
from cli._common import state
from connectors.definition import bundled_sources_dir

RENSHE = (bundled_sources_dir() / "renshe_insurance.yaml").read_text("utf-8")


@pytest.fixture
def tongban(store, tmp_path, monkeypatch, capsys):
    """Run the ``tongban`` command in this process against ``store``; gives back the exit
    status, stdout and stderr."""
    monkeypatch.setenv("TONGBAN_DATABASE_URL", store.url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "300")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["tongban", *args])
        state._store = None
        try:
            main()
            code = 0
        except SystemExit as exit:
            code = int(exit.code or 0)
        finally:
            if state._store is not None:
                state._store.dispose()
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


def _one_line_error(code: int, err: str) -> str:
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def _line(text: str, needle: str) -> int:
    """The line of the bundled definition that ``needle`` starts on (1-based)."""
    return text[: text.index(needle)].count("\n") + 1


NAME = _line(RENSHE, "  name: {from: 姓名")
PAGE = _line(RENSHE, "  page_size: 1000")
BIRTH = _line(RENSHE, "  birth_date: {from:")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (RENSHE.replace("  name: {from: 姓名", "  name: 单位名称\n  name: {from: 姓名"),
         f"line {NAME + 1}, column 3: key 'name' given twice (first on line {NAME})"),
        (RENSHE.replace("page_size: 1000", "page_size: [/1000"),
         f"line {PAGE + 1}, column 8: while parsing a flow sequence"),  # where the parser stops
        (RENSHE.replace("transforms: [date]", "transforms: [{date: 5}]"),
         f"line {BIRTH}: mapping.birth_date: Value error, birth_date: transform date: date"
         " takes a strptime format or a list of them, not 5"),
        (RENSHE.encode("gbk"), "line 1: not UTF-8 (byte"),
        (b"\x00\x01\x02binary\xff", "not UTF-8 (byte 9"),
    ],
    ids=["key-twice", "syntax", "transform-type", "gbk", "binary"],
)  # fmt: skip
def test_a_bad_definition_is_one_line_with_file_line_and_key(tongban, tmp_path, monkeypatch,
                                                             text, said):  # fmt: skip
    sources = tmp_path / "sources"
    sources.mkdir()
    path = sources / "renshe_insurance.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    monkeypatch.setenv("TONGBAN_SOURCES_DIR", str(sources))
    code, _, err = tongban("sources")
    line = _one_line_error(code, err)
    assert str(path) in line and said in line


def test_load_refuses_unknown_and_duplicate_columns_as_written(tongban, tmp_path, store):
    before = store.checksum()
    odd = tmp_path / "odd.csv"
    odd.write_text("id_number,name,[/x]\n11010519491231002X,张三,1\n", encoding="utf-8")
    line = _one_line_error(*tongban("load", str(odd), "--entity", "person")[::2])
    assert "columns ['[/x]'] are not fields of this entity" in line
    twice = tmp_path / "twice.csv"
    twice.write_text("id_number,name,name\n11010519491231002X,张三,李四\n", encoding="utf-8")
    line = _one_line_error(*tongban("load", str(twice), "--entity", "person")[::2])
    assert "the header names the columns ['name'] more than once" in line
    assert store.checksum() == before


def test_load_quarantines_extra_cells_nested_values_and_keys_twice(tongban, tmp_path, store):
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id_number,name,gender\n11010519491231002X,张三,2\n110101199003074477,李四,1,多余\n",
        encoding="utf-8",
    )
    code, out, err = tongban("load", str(rows), "--entity", "person")
    assert code == 0, out + err
    records = tmp_path / "records.jsonl"
    records.write_text(
        "\n".join([
            json.dumps({"id_number": "110105194912310062", "name": {"given": "五"}}),
            '{"id_number": "110105194912310062", "name": "王五", "name": "王六"}',
            json.dumps({"id_number": "110105194912310062", "name": "王五", "shoe_size": 42}),
            json.dumps({"id_number": "110105194912310062", "name": "王五"}),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    code, out, err = tongban("load", str(records), "--entity", "person", "--min-success-ratio", "0")
    assert code == 0, out + err
    rules = {q["source_record"]: q["rule"] for q in store.quarantined()}
    assert rules == {
        "rows.csv:3": "row.too_many_cells",
        "records.jsonl:#0": "record.nested_value",
        "records.jsonl:#1": "record.duplicate_field",
        "records.jsonl:#2": "record.unknown_field",
    }
    assert store.get("person", "110105194912310062")["name"] == "王五"
    assert store.count("person") == 2


def test_rule_names_and_messages_print_as_written(tongban, tmp_path, store):
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id_number,name\n11010519491231002X,张三\n110101199003074477,=[name.null_share][/x]\n",
        encoding="utf-8",
    )
    assert tongban("load", str(rows), "--entity", "person")[0] == 0
    code, out, _ = tongban("quarantine", "list")
    assert code == 0
    assert "text.formula" in out and "=[name.null_share][/x]" in out


def test_an_upstream_message_holding_brackets_is_one_plain_line(tongban, store, monkeypatch):
    from fault_proxy import Hit, Reply

    def refuse(hit: Hit) -> Reply | None:
        body = json.dumps({"error": "bad_request", "message": "参数 [/cursor] 与 [bold]x 无效"})
        return Reply(400, body.encode(), {"Content-Type": "application/json"})

    assert tongban("init")[0] == 0
    with registry(refuse) as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code, _, err = tongban("sync", "scjg_enterprise")
    assert code == 1
    [line] = [x for x in err.splitlines() if x.strip()]
    assert line.startswith("failed scjg_enterprise: scjg_enterprise: HTTP 400")
    assert "参数 [/cursor] 与 [bold]x 无效" in line


def test_one_bad_definition_is_one_bad_source(tongban, tmp_path, monkeypatch, store):
    sources, drop = tmp_path / "sources", tmp_path / "drop"
    sources.mkdir()
    drop.mkdir()
    good = RENSHE.replace("name: renshe_insurance", "name: renshe_copy").replace(
        "${TONGBAN_RENSHE_DROP_DIR}", str(drop)
    )
    (sources / "renshe_copy.yaml").write_text(good, encoding="utf-8")
    (sources / "broken_one.yaml").write_text(RENSHE + "\nname: twice\n", encoding="utf-8")
    (drop / "shebao_20261101.csv").write_text(
        "公民身份号码,姓名,性别,出生日期,联系电话,参保状态,参保日期,单位统一社会信用代码\n"
        "11010519491231002X,张三,女,1949-12-31,13800138000,参保,2020-01-01,\n",
        encoding="gbk",
    )
    monkeypatch.setenv("TONGBAN_SOURCES_DIR", str(sources))
    assert tongban("init")[0] == 0
    code, out, err = tongban("sources")
    line = _one_line_error(code, err)
    assert "broken_one.yaml" in line and "key 'name' given twice" in line
    assert "renshe_copy" in out and "gongan_population" in out
    code, out, err = tongban("sync", "renshe_copy", "broken_one")
    assert code == 1
    [failed] = [x for x in err.splitlines() if x.strip()]
    assert failed.startswith("failed broken_one: ") and "given twice" in failed
    assert store.get("person", "11010519491231002X")["name"] == "张三"  # the good one ran
