"""人社 social insurance stand-in: a daily CSV file drop (文件交换), GBK-encoded.

One file per day, ``shebao_YYYYMMDD.csv``, header
``公民身份号码,姓名,性别,出生日期,联系电话,参保状态,参保日期,单位统一社会信用代码``, lines
ending CRLF as the department's Windows export writes them. Each file is written under a
temporary name (``.shebao_YYYYMMDD.csv.part``) and renamed, so a reader never sees half a
file. About 40 % of people appear, each once, on one of the days. A record's id is
``<file name>:<physical line number>`` (the header is line 1).

    >>> write_drop(tmp_path / "drop", World(), DirtRates(), days=3)   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date, timedelta
from pathlib import Path

from sandbox._draw import Draws
from sandbox.dirt import DirtRates
from sandbox.manifest import ManifestEntry, Written
from sandbox.sources import insurance_row
from sandbox.world import World

__all__ = ["HEADER", "drop_file_name", "write_drop"]

HEADER = (
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "联系电话",
    "参保状态",
    "参保日期",
    "单位统一社会信用代码",
)
_SHARE = 0.40


def drop_file_name(day: date) -> str:
    return f"shebao_{day:%Y%m%d}.csv"


def write_drop(
    directory: str | Path, world: World, dirt: DirtRates, days: int = 3, start: date | None = None
) -> Written:
    """Write ``days`` daily files into ``directory`` from ``start`` (default: as_of - days)."""
    if days < 1:
        raise ValueError(f"days must be >= 1, not {days}")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    first = start or world.as_of - timedelta(days=days)
    per_day: list[list[int]] = [[] for _ in range(days)]
    for i in range(world.people):
        d = Draws(world.seed, "renshe-drop", i)
        if d.chance(_SHARE):
            per_day[d.below(days)].append(i)
    entries: list[ManifestEntry] = []
    records = 0
    for offset, people in enumerate(per_day):
        name = drop_file_name(first + timedelta(days=offset))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(HEADER)
        for line, i in enumerate(people, start=2):
            raw, entry = insurance_row(world, dirt, i, f"{name}:{line}")
            writer.writerow([raw[h] for h in HEADER])
            if entry is not None:
                entries.append(entry)
        records += len(people)
        _write_atomically(target / name, buffer.getvalue().encode("gbk"))
    return Written("renshe_insurance", records, entries)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
