"""File-drop connector: CSV files (in a declared encoding) or XLSX workbooks a department
leaves in a directory (文件交换), each processed exactly once.

A file is known by its content hash: a file whose bytes were already loaded is skipped
under any name, and a file that changes while half loaded stops the run. Files are taken
in name order (daily drops name themselves by date).

Cursor: ``{"done": {sha256: name}, "current": {"name", "sha256", "line"} | None,
"empty": {sha256: name}}`` — ``line`` is the last physical line (of a workbook: the last
sheet row) stored, so a rerun resumes mid-file; ``empty`` names the files that held no
record (``empty`` is left out while there are none).

A CSV file is read only when it decodes whole in its declared encoding (or one of the
declared list, in order); otherwise it is refused whole, with the byte offset, before
any of it is stored. A row whose cells do not match the header (a line cut off at the
end of the file, a cell too few or too many) is handed on refused, and quarantined.

A workbook's first row names the columns; cells come as the text a department would have
typed (numbers without a trailing ``.0``, dates as ISO dates), so that a mapping treats a
CSV and a workbook of the same columns alike. Blank rows are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from connectors.base import Page, RawRecord, check_source_fields
from connectors.definition import FilesTransport
from tongban.errors import EntryError, FatalError
from tongban.text import RefusedRecord, file_encoding

__all__ = ["FilesConnector", "file_sha256"]

log = logging.getLogger(__name__)


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
        source_fields: Mapping[str, str] | None = None,
    ):
        self.name, self.t = name, transport
        self.source_fields = dict(source_fields or {})
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
                 "current": (cursor or {}).get("current"),
                 "empty": dict((cursor or {}).get("empty", {}))}  # fmt: skip
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
            _xlsx_rows(self.name, path, t.sheet, self.source_fields)
            if t.format == "xlsx"
            else _csv_rows(self.name, path, t, self.source_fields)
        )
        rows_seen = 0
        for line, row in rows:
            rows_seen += 1
            if line <= after_line:
                continue
            batch.append((f"{path.name}:{line}", row))
            if len(batch) >= t.page_size:
                state["current"] = {"name": path.name, "sha256": sha, "line": line}
                yield Page(batch, _copy(state))
                batch = []
        state["done"][sha] = path.name
        if not rows_seen:  # kept apart, so that an empty drop is seen as one
            log.warning("%s: %s holds no records (empty, or a header only)", self.name, path.name)
            state["empty"][sha] = path.name
        state["current"] = None
        yield Page(batch, _copy(state))


def _csv_rows(
    source: str, path: Path, t: FilesTransport, wanted: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(physical line, row)`` of a CSV file read in the encoding that decodes it whole.

    A row with fewer or more cells than the header is handed on as a
    :class:`~tongban.text.RefusedRecord` (quarantined, never stored); blank lines are
    skipped."""
    encoding = file_encoding(path, t.encodings, who=f"{source}: {path.name}")
    reader: Any = None
    try:
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=t.delimiter)
            header = next(reader, None)
            if header is None:
                return
            names = [name.strip() for name in header]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise FatalError(
                    f"{source}: {path.name} names the columns {twice} more than once in its"
                    " header; refused whole"
                )
            check_source_fields(source, wanted, names, f"the header of {path.name}")
            width = len(names)
            for cells in reader:
                if not cells:
                    continue
                line = reader.line_num
                row: dict[str, Any] = dict(zip(names, cells, strict=False))
                if len(cells) == width:
                    yield line, row
                    continue
                yield line, _refused_row(path, line, names, cells, row)
    except UnicodeDecodeError as exc:  # _decoding read it whole; the file changed since
        raise FatalError(f"{source}: {path.name} changed while being read: {exc.reason}") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 1
        raise FatalError(f"{source}: {path.name} line {line}: {exc}") from None


def _refused_row(
    path: Path, line: int, names: list[str], cells: list[str], row: dict[str, Any]
) -> RefusedRecord:
    width = len(names)
    if len(cells) > width:
        row["_extra"] = cells[width:]
        return RefusedRecord(
            row,
            EntryError(
                "row.too_many_cells",
                f"{path.name} line {line} has {len(cells)} cells; the header names {width}",
            ),
        )
    for name in names[len(cells) :]:
        row[name] = None
    if _ends_without_newline(path) and line == _last_line(path):
        return RefusedRecord(
            row,
            EntryError(
                "row.truncated",
                f"{path.name} ends in the middle of line {line} ({len(cells)} of {width}"
                " cells, no line end): the file was cut off",
            ),
        )
    return RefusedRecord(
        row,
        EntryError(
            "row.too_few_cells",
            f"{path.name} line {line} has {len(cells)} cells; the header names {width}",
        ),
    )


def _ends_without_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return False
        fh.seek(-1, 2)
        return fh.read(1) not in (b"\n", b"\r")


def _last_line(path: Path) -> int:
    """The number of the file's last physical line."""
    count = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            count += block.count(b"\n")
    return count + 1


def _xlsx_rows(
    source: str, path: Path, sheet: str | None, wanted: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, Any]]]:
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
        check_source_fields(source, wanted, names, f"the header of {path.name}")
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
                yield (
                    line,
                    RefusedRecord(
                        row,
                        EntryError(
                            "row.too_many_cells",
                            f"{path.name} row {line} has cells beyond the {width} its header names",
                        ),
                    ),
                )
                continue
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
    copied = {"done": dict(state["done"]), "current": state["current"] and dict(state["current"])}
    if state["empty"]:
        copied["empty"] = dict(state["empty"])
    return copied
