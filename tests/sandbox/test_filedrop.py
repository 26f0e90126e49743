from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from sandbox import DirtRates, World, write_drop
from sandbox.filedrop import HEADER
from tongban.identifiers import check_credit_code


def test_daily_gbk_files_with_line_record_ids(tmp_path: Path) -> None:
    world = World(people=400, enterprises=20)
    written = write_drop(tmp_path / "drop", world, DirtRates(), days=3, start=date(2026, 11, 1))
    files = sorted((tmp_path / "drop").iterdir())
    assert [f.name for f in files] == [
        "shebao_20261101.csv", "shebao_20261102.csv", "shebao_20261103.csv",
    ]  # fmt: skip
    rows = 0
    for path in files:
        data = path.read_bytes()
        text = data.decode("gbk")
        assert any(ord(c) > 127 for c in text)
        reader = list(csv.reader(io.StringIO(text, newline="")))
        assert tuple(reader[0]) == HEADER
        for row in reader[1:]:
            record = dict(zip(HEADER, row, strict=True))
            assert record["参保状态"] in {"参保", "暂停", "终止"}
            assert check_credit_code(record["单位统一社会信用代码"])
        rows += len(reader) - 1
    assert rows == written.records and 0.3 * world.people < rows < 0.5 * world.people
    for entry in written.entries:
        name, line = entry.record.split(":")
        lines = (tmp_path / "drop" / name).read_bytes().decode("gbk").split("\r\n")
        assert entry.field in HEADER
        value = lines[int(line) - 1].split(",")[HEADER.index(entry.field)]
        if entry.dirt == "id_15":
            assert len(value) == 15
        elif entry.dirt == "name_missing":
            assert value == ""


def test_no_partial_files_left_and_rewrite_is_stable(tmp_path: Path) -> None:
    world = World(people=100, enterprises=3)
    first = write_drop(tmp_path, world, DirtRates(), days=2)
    contents = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    second = write_drop(tmp_path, world, DirtRates(), days=2)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == contents
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert first == second
