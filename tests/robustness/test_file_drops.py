"""File drops refuse what they cannot read faithfully: a file not in its declared
encoding is refused whole with the byte offset (UTF-8 read as GBK never becomes
mojibake); a cut-off last line and rows with a cell too few or too many are quarantined;
an empty file is recorded as empty."""

from __future__ import annotations

import pytest
from kit import GOOD, HEADER, definition, stored_state, write_drop

from connectors import sync_source
from tongban import SyncOptions
from tongban.errors import FatalError
from tongban.text import file_encoding

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静"]


@pytest.fixture
def drop(tmp_path):
    directory = tmp_path / "drop"
    directory.mkdir()
    return directory


def _env(drop):
    return {"TONGBAN_RENSHE_DROP_DIR": str(drop)}


def test_utf8_declared_gbk_is_refused_whole_not_read_as_mojibake(store, drop):
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join(GOOD) + "\n", "gbk")
    sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    before = stored_state(store)
    rows = [f"11010519491231002X,{n},女,1949-12-31,,参保,2020-01-01," for n in NAMES]
    write_drop(drop, "shebao_20261102.csv", HEADER + "\n".join(rows) + "\n", "utf-8")
    with pytest.raises(FatalError) as info:
        sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    message = str(info.value)
    assert "shebao_20261102.csv is UTF-8 text, not gbk as declared" in message
    assert "refused whole" in message and "寮犱紵" not in message
    assert stored_state(store) == before  # nothing of it stored, no mojibake name
    [failed, _] = store.runs(source="renshe_insurance")
    assert failed["status"] == "failed" and "UTF-8 text, not gbk" in failed["message"]


def test_utf8_that_gbk_would_decode_too_is_refused(tmp_path):
    """张伟 in UTF-8 is also valid GBK (寮犱紵): decoding alone cannot tell, so a file
    that is valid UTF-8 is never read as GBK."""
    path = tmp_path / "names.csv"
    path.write_bytes("姓名\n张伟\n".encode())
    assert "张伟".encode().decode("gbk") == "寮犱紵"
    with pytest.raises(FatalError, match=r"names.csv is UTF-8 text, not gbk as declared"):
        file_encoding(path, ["gbk"], who="names.csv")
    assert file_encoding(path, ["gbk", "utf-8"], who="names.csv") == "utf-8"
    path.write_bytes("姓名\n张伟\n".encode("gbk"))
    assert file_encoding(path, ["gbk", "utf-8"], who="names.csv") == "gbk"


def test_a_declared_list_reads_utf8_and_a_bom_is_utf8(store, drop):
    rows = "\n".join(GOOD) + "\n"
    write_drop(drop, "shebao_20261101.csv", HEADER + rows, "utf-8")
    d = definition("renshe_insurance", encoding=["gbk", "utf-8"])
    assert sync_source(store, d, SyncOptions(), env=_env(drop)).inserted == 2
    assert store.get("person", "11010519491231002X")["name"] == "张三"
    write_drop(drop, "shebao_20261102.csv", "\ufeff" + HEADER + GOOD[0] + ",\n", "utf-8")
    summary = sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    assert (summary.read, summary.quarantined) == (1, 1)  # BOM read; the row has 9 cells
    [held] = store.quarantined(source="renshe_insurance")
    assert held["rule"] == "row.too_many_cells"


def test_a_file_that_is_no_encoding_names_the_byte_offset(store, drop):
    body = (HEADER + GOOD[0] + "\n").encode("gbk") + b"1101,\xff\xfe,\n"
    (drop / "shebao_20261101.csv").write_bytes(body)
    before = stored_state(store)
    with pytest.raises(FatalError) as info:
        sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    offset = len((HEADER + GOOD[0] + "\n").encode("gbk")) + 5
    assert f"is not valid gbk at byte {offset} (line 3)" in str(info.value)
    assert stored_state(store) == before


def test_a_cut_off_last_line_is_quarantined_not_stored(store, drop):
    cut = "110101199003074477,欧阳"  # the writer stopped here: no more cells, no line end
    write_drop(drop, "shebao_20261101.csv", HEADER + GOOD[0] + "\n" + cut)
    summary = sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    assert (summary.read, summary.inserted, summary.quarantined) == (2, 1, 1)
    [held] = store.quarantined(source="renshe_insurance")
    assert held["rule"] == "row.truncated" and held["source_record"] == "shebao_20261101.csv:3"
    assert store.get("person", "110101199003074477") is None


def test_rows_with_a_cell_too_few_or_too_many_are_quarantined(store, drop):
    short = "110101199003074477,李四,男,1990-03-07"
    long = GOOD[0] + ",多余"
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join([short, long]) + "\n")
    summary = sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    assert (summary.read, summary.inserted, summary.quarantined) == (2, 0, 2)
    rules = {q["source_record"]: q["rule"] for q in store.quarantined(source="renshe_insurance")}
    assert rules == {
        "shebao_20261101.csv:2": "row.too_few_cells",
        "shebao_20261101.csv:3": "row.too_many_cells",
    }
    assert store.count("person") == 0


def test_an_empty_file_is_recorded_as_empty(store, drop):
    (drop / "shebao_20261101.csv").write_bytes(b"")
    write_drop(drop, "shebao_20261102.csv", HEADER)
    summary = sync_source(store, definition("renshe_insurance"), SyncOptions(), env=_env(drop))
    assert summary.read == 0 and summary.status == "succeeded"
    cursor = store.cursor("renshe_insurance")
    assert sorted(cursor["empty"].values()) == ["shebao_20261101.csv", "shebao_20261102.csv"]


def test_a_huge_field_names_its_own_line(store, drop):
    big = "11010519491231002X," + "张" * 200_000 + ",女,1949-12-31,,参保,2020-01-01,"
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join([*GOOD, big]) + "\n", "utf-8")
    with pytest.raises(FatalError, match=r"shebao_20261101.csv line 4: field larger"):
        sync_source(
            store, definition("renshe_insurance", encoding="utf-8"), SyncOptions(), env=_env(drop)
        )
