"""Read plain CSV and JSON files into ``(source_record_id, record)`` pairs.

``tongban load`` uses this so that the store is usable before any connector: the file's
columns are canonical field names. Record ids are ``file:line`` (CSV) or ``file:#index``
(JSON), or the value of ``id_column`` when given, so reloading a file is idempotent.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tongban.errors import FatalError

__all__ = ["read_records"]


def read_records(
    path: Path, *, encoding: str = "utf-8-sig", id_column: str | None = None
) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Yield records from a ``.csv``, ``.json`` (array) or ``.jsonl`` file."""
    path = Path(path)
    if not path.is_file():
        raise FatalError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from _csv(path, encoding, id_column)
        elif suffix in (".json", ".jsonl", ".ndjson"):
            yield from _json(path, encoding, id_column, lines=suffix != ".json")
        else:
            raise FatalError(f"{path}: unsupported file type {suffix!r} (use .csv, .json, .jsonl)")
    except UnicodeDecodeError as exc:
        raise FatalError(f"{path}: not readable as {encoding} ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise FatalError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


def _record_id(path: Path, where: str, record: dict[str, Any], id_column: str | None) -> str:
    if id_column:
        value = record.pop(id_column, None)
        if value not in (None, ""):
            return f"{path.name}:{value}"
    return f"{path.name}:{where}"


def _csv(path: Path, encoding: str, id_column: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise FatalError(f"{path}: empty file or no header row")
        for row in reader:
            record = {k.strip(): (v if v != "" else None) for k, v in row.items() if k}
            yield _record_id(path, str(reader.line_num), record, id_column), record


def _json(
    path: Path, encoding: str, id_column: str | None, *, lines: bool
) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding=encoding) as fh:
        if lines:
            items: Any = (json.loads(line) for line in fh if line.strip())
        else:
            items = json.load(fh)
            if not isinstance(items, list):
                raise FatalError(f"{path}: expected a JSON array of objects")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise FatalError(f"{path}: item {index} is not an object")
            yield _record_id(path, f"#{index}", item, id_column), item
