"""File-drop connector: CSV files (in a declared encoding) or XLSX workbooks a department
leaves in a directory (文件交换), each processed exactly once.

A file is known by its content hash: a file whose bytes were already loaded is skipped
under any name, and a file that changes while half loaded stops the run. Files are taken
in name order (daily drops name themselves by date).

Cursor: ``{"done": {sha256: name}, "current": {"name", "sha256", "line"} | None}`` —
``line`` is the last physical line (of a workbook: the last sheet row) stored, so a rerun
resumes mid-file.

A workbook's first row names the columns; cells come as the text a department would have
typed (numbers without a trailing ``.0``, dates as ISO dates), so that a mapping treats a
CSV and a workbook of the same columns alike. Blank rows are skipped.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from connectors.base import Page, RawRecord
from connectors.definition import FilesTransport
from tongban.errors import FatalError

__all__ = ["FilesConnector", "file_sha256"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FilesConnector:
    def __init__(
        self,
        name: str,
        transport: FilesTransport,
        *,
        record_id: str | None,
        secrets: Mapping[str, str],
    ):
        self.name, self.t = name, transport
        self.directory = Path(transport.directory)

    def close(self) -> None:
        pass

    def pending(self, cursor: Any) -> list[tuple[Path, str]]:
        """Files still to load, with their hashes, in order."""
        if not self.directory.is_dir():
            raise FatalError(f"{self.name}: drop directory {self.directory} does not exist")
        done = (cursor or {}).get("done", {})
        out, seen = [], set()
        for path in sorted(self.directory.glob(self.t.pattern)):
            if not path.is_file():
                continue
            sha = file_sha256(path)
            if sha in done or sha in seen:
                continue
            seen.add(sha)
            out.append((path, sha))
        return out

    def pages(self, cursor: Any) -> Iterator[Page]:
        state = {"done": dict((cursor or {}).get("done", {})),
                 "current": (cursor or {}).get("current")}  # fmt: skip
        current = state["current"]
        files = self.pending(cursor)
        if current is not None and not any(
            p.name == current["name"] and sha == current["sha256"] for p, sha in files
        ):
            raise FatalError(
                f"{self.name}: {current['name']} changed or disappeared after lines up to"
                f" {current['line']} were loaded; restore it or reset the source's cursor"
            )
        resume: tuple[str, int] | None = None
        if current is not None:  # the interrupted file first
            resume = (str(current["name"]), int(current["line"]))
            files.sort(key=lambda f: f[0].name != current["name"])
        for path, sha in files:
            start = resume[1] if resume and resume[0] == path.name else 1
            resume = None
            yield from self._file_pages(path, sha, start, state)

    def _file_pages(self, path: Path, sha: str, after_line: int, state: dict) -> Iterator[Page]:
        t = self.t
        batch: list[RawRecord] = []
        rows = (
            _xlsx_rows(self.name, path, t.sheet)
            if t.format == "xlsx"
            else _csv_rows(self.name, path, t)
        )
        for line, row in rows:
            if line <= after_line:
                continue
            batch.append((f"{path.name}:{line}", row))
            if len(batch) >= t.page_size:
                state["current"] = {"name": path.name, "sha256": sha, "line": line}
                yield Page(batch, _copy(state))
                batch = []
        state["done"][sha] = path.name
        state["current"] = None
        yield Page(batch, _copy(state))


def _csv_rows(source: str, path: Path, t: FilesTransport) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(physical line, row)`` of a CSV file; extra cells under ``_extra``."""
    line = 1
    try:
        with path.open(encoding=t.encoding, newline="") as fh:
            reader = csv.DictReader(fh, delimiter=t.delimiter)
            if reader.fieldnames is None:
                return
            for row in reader:
                line = reader.line_num
                if None in row:
                    row["_extra"] = row.pop(None)
                yield line, row
    except UnicodeDecodeError as exc:
        raise FatalError(
            f"{source}: {path.name} is not valid {t.encoding} after line {line}"
            f" (byte {exc.start}): {exc.reason}"
        ) from None
    except csv.Error as exc:
        raise FatalError(f"{source}: {path.name} line {line}: {exc}") from None


def _xlsx_rows(source: str, path: Path, sheet: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(sheet row, row)`` of a workbook's sheet, read as a stream (bounded memory)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise FatalError(f"{source}: {path.name} is not a readable XLSX workbook: {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FatalError(
                f"{source}: {path.name} has no sheet {sheet!r}; it has {', '.join(book.sheetnames)}"
            )
        cells = (book[sheet] if sheet is not None else book.worksheets[0]).iter_rows(
            values_only=True
        )
        header = next(cells, None)
        if header is None:
            return
        names = [_cell(v) or f"column_{i}" for i, v in enumerate(header, start=1)]
        width = len(names)
        for line, values in enumerate(cells, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            row: dict[str, Any] = dict(zip(names, map(_cell, values[:width]), strict=False))
            for name in names[len(values) :]:
                row[name] = None
            extra = [_cell(v) for v in values[width:] if v is not None]
            if extra:
                row["_extra"] = extra
            yield line, row
    finally:
        book.close()


def _cell(value: Any) -> str | None:
    """A cell as the text it shows: 100.0 as ``100``, a date as ``2026-11-01``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _copy(state: dict) -> dict:
    return {"done": dict(state["done"]), "current": state["current"] and dict(state["current"])}
