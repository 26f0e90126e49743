"""File drops: GBK CSVs and XLSX workbooks, each file exactly once, resumable mid-file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from connectors import load_definitions, sync_source
from connectors.files import FilesConnector
from tongban import SyncOptions
from tongban.errors import FatalError

HEADER = "公民身份号码,姓名,性别,出生日期,联系电话,参保状态,参保日期,单位统一社会信用代码\n"
ROWS = [
    "11010519491231002X,张三,女,1949-12-31,13800138000,参保,2020-01-01,",
    "110105491231002,张三,女,19491231,13900139000,参保,2020-01-01,",  # 15 digits
    "11010519491231002Y,王五,男,1949-12-31,,参保,2020-01-01,",  # bad charset
    "11010519491231002X,张三,女,1949年12月31日,13900139000,参保,2020-01-01,",
]


def _drop(directory: Path, name: str, rows: list[str], encoding: str = "gbk") -> Path:
    path = directory / name
    path.write_bytes((HEADER + "\n".join(rows) + "\n").encode(encoding))
    return path


@pytest.fixture
def drop(tmp_path) -> Path:
    directory = tmp_path / "drop"
    directory.mkdir()
    return directory


@pytest.fixture
def definition():
    return load_definitions()["renshe_insurance"]


def test_gbk_files_load_once_each(store, drop, definition):
    env = {"TONGBAN_RENSHE_DROP_DIR": str(drop)}
    _drop(drop, "shebao_20261101.csv", ROWS[:2])
    first = sync_source(store, definition, SyncOptions(), env=env)
    assert (first.read, first.inserted, first.quarantined) == (2, 1, 0)
    assert first.updated == 1  # the 15-digit number is the same person, a new phone
    assert store.get("person", "11010519491231002X")["name"] == "张三"

    again = sync_source(store, definition, SyncOptions(), env=env)
    assert again.read == 0

    _drop(drop, "shebao_20261102.csv", ROWS[2:])
    _drop(drop, "shebao_20261102_copy.csv", ROWS[2:])  # same bytes again: skipped
    third = sync_source(store, definition, SyncOptions(), env=env)
    assert (third.read, third.quarantined, third.unchanged) == (2, 1, 1)
    [held] = store.quarantined(source="renshe_insurance")
    assert held["source_record"] == "shebao_20261102.csv:2"
    assert held["rule"] == "id_number.charset"
    assert held["raw"]["姓名"] == "王五"
    done = store.cursor("renshe_insurance")["done"]
    assert sorted(done.values()) == ["shebao_20261101.csv", "shebao_20261102.csv"]


def test_a_run_stopped_mid_file_resumes_after_the_last_stored_page(store, drop, definition):
    rows = [f"{n},某{i},男,,,参保,," for i, n in enumerate(_numbers(25))]
    _drop(drop, "shebao_20261101.csv", rows)
    t = definition.transport.model_copy(update={"directory": str(drop), "page_size": 10})
    connector = FilesConnector("renshe_insurance", t, record_id=None, secrets={})
    pages = connector.pages(None)
    first = next(pages)
    assert first.cursor["current"] == {
        "name": "shebao_20261101.csv",
        "sha256": first.cursor["current"]["sha256"],
        "line": 11,
    }
    # The next run starts after line 11, the cursor the first page was stored with.
    rest = list(connector.pages(first.cursor))
    ids = [r for p in rest for r, _ in p.records]
    assert ids[0] == "shebao_20261101.csv:12" and ids[-1] == "shebao_20261101.csv:26"
    assert len(ids) == 15
    assert rest[-1].cursor["current"] is None


def test_a_file_changed_after_a_partial_load_stops_the_run(drop, definition):
    path = _drop(drop, "shebao_20261101.csv", [f"{n},某,男,,,参保,," for n in _numbers(3)])
    t = definition.transport.model_copy(update={"directory": str(drop), "page_size": 1})
    connector = FilesConnector("renshe_insurance", t, record_id=None, secrets={})
    first = next(connector.pages(None))
    path.write_bytes(path.read_bytes() + "11010519491231002X,新,女,,,参保,,\n".encode("gbk"))
    with pytest.raises(FatalError, match="changed or disappeared after lines up to 2"):
        next(connector.pages(first.cursor))


def test_a_file_in_the_wrong_encoding_fails_with_the_file_and_line(store, drop, definition):
    _drop(drop, "shebao_20261101.csv", ROWS[:1], encoding="utf-8")
    with pytest.raises(FatalError, match=r"shebao_20261101.csv is UTF-8 text, not gbk as declared"):
        sync_source(store, definition, SyncOptions(), env={"TONGBAN_RENSHE_DROP_DIR": str(drop)})
    [run] = store.runs(source="renshe_insurance")
    assert run["status"] == "failed" and "not valid gbk at byte 2 (line 1)" in run["message"]


def test_a_missing_drop_directory_is_a_clear_failure(store, tmp_path, definition):
    with pytest.raises(FatalError, match=r"drop directory .* does not exist"):
        sync_source(
            store,
            definition,
            SyncOptions(),
            env={"TONGBAN_RENSHE_DROP_DIR": str(tmp_path / "nope")},
        )


def _workbook(path: Path, rows: list[list], sheet: str = "参保人员") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(HEADER.strip().split(","))
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def _xlsx(definition, drop: Path, **update):
    transport = definition.transport.model_copy(
        update={"format": "xlsx", "pattern": "shebao_*.xlsx", **update}
    )
    return definition.model_copy(update={"transport": transport})


def test_xlsx_workbooks_load_with_cells_read_as_their_text(store, drop, definition):
    """Typed cells (a date, a phone number typed as a number) come as the text a CSV of the
    same columns would hold; blank rows are skipped, row numbers name the records."""
    _workbook(drop / "shebao_20261101.xlsx", [
        ["11010519491231002X", " 张三 ", "女", datetime(1949, 12, 31), 13800138000, "参保"],
        [None, None, None, None, None, None],
        ["11010519491231002Y", "王五", "男", "1949-12-31", None, "参保"],
    ])  # fmt: skip
    xlsx = _xlsx(definition, drop)
    summary = sync_source(store, xlsx, SyncOptions(), env={"TONGBAN_RENSHE_DROP_DIR": str(drop)})
    assert (summary.read, summary.inserted, summary.quarantined) == (2, 1, 1)
    person = store.get("person", "11010519491231002X")
    assert (person["name"], person["phone"], person["birth_date"]) == (
        "张三", "13800138000", date(1949, 12, 31),
    )  # fmt: skip
    assert person["provenance"]["name"]["record"] == "shebao_20261101.xlsx:2"
    [held] = store.quarantined(source="renshe_insurance")
    assert held["source_record"] == "shebao_20261101.xlsx:4"
    assert held["raw"]["姓名"] == "王五" and held["rule"] == "id_number.charset"
    again = sync_source(store, xlsx, SyncOptions(), env={"TONGBAN_RENSHE_DROP_DIR": str(drop)})
    assert again.read == 0  # the workbook was loaded once


def test_an_xlsx_run_resumes_after_the_last_stored_row(drop, definition):
    _workbook(
        drop / "shebao_20261101.xlsx", [[n, f"某{i}", "男"] for i, n in enumerate(_numbers(5))]
    )
    t = _xlsx(definition, drop, directory=str(drop), page_size=2).transport
    connector = FilesConnector("renshe_insurance", t, record_id=None, secrets={})
    first = next(connector.pages(None))
    assert first.cursor["current"]["line"] == 3
    rest = [r for p in connector.pages(first.cursor) for r, _ in p.records]
    assert rest == [f"shebao_20261101.xlsx:{n}" for n in (4, 5, 6)]


def test_an_unreadable_workbook_or_a_missing_sheet_fails_naming_the_file(store, drop, definition):
    (drop / "shebao_20261101.xlsx").write_bytes(b"not a zip at all")
    env = {"TONGBAN_RENSHE_DROP_DIR": str(drop)}
    with pytest.raises(
        FatalError, match=r"renshe_insurance: shebao_20261101.xlsx is not a readable"
    ):
        sync_source(store, _xlsx(definition, drop), SyncOptions(), env=env)
    _workbook(drop / "shebao_20261101.xlsx", [[_numbers(1)[0], "某", "男"]])
    with pytest.raises(FatalError, match=r"has no sheet '汇总'; it has 参保人员"):
        sync_source(store, _xlsx(definition, drop, sheet="汇总"), SyncOptions(), env=env)
    assert store.count("person") == 0


def _numbers(n: int) -> list[str]:
    from tongban.identifiers import id_check_char

    out = []
    for seq in range(n):
        body = f"11010519800101{seq:03d}"
        out.append(body + id_check_char(body))
    return out
