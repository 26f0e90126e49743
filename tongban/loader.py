"""Read plain CSV and JSON files into ``(source_record_id, record)`` pairs.

``tongban load`` uses this so that the store is usable before any connector: the file's
columns are canonical field names. Record ids are ``file:line`` (CSV) or ``file:#index``
(JSON), or the value of ``id_column`` when given, so reloading a file is idempotent.

It is as strict as a connector. A file that does not decode whole in its encoding, a CSV
header naming a column twice or a column that is not a field of the entity, is refused
before anything is read. A record that cannot be taken as it stands is handed on as a
:class:`~tongban.text.RefusedRecord` and quarantined under its reason:
``row.too_many_cells`` / ``row.too_few_cells`` (CSV), ``record.unknown_field``,
``record.duplicate_field`` and ``record.nested_value`` (JSON).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from tongban.errors import EntryError, FatalError
from tongban.text import RefusedRecord, file_encoding

__all__ = ["read_records"]

Record = tuple[str | None, dict[str, Any]]


def read_records(
    path: Path,
    *,
    encoding: str = "utf-8-sig",
    id_column: str | None = None,
    fields: Collection[str] | None = None,
) -> Iterator[Record]:
    """Yield records from a ``.csv``, ``.json`` (array) or ``.jsonl`` file; ``fields``,
    when given, are the column names a record may have (besides ``id_column``)."""
    path = Path(path)
    if not path.is_file():
        raise FatalError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json", ".jsonl", ".ndjson"):
        raise FatalError(f"{path}: unsupported file type {suffix!r} (use .csv, .json, .jsonl)")
    chosen = file_encoding(path, [encoding], who=str(path))
    allowed = None if fields is None else {*fields, *([id_column] if id_column else [])}
    try:
        if suffix == ".csv":
            yield from _csv(path, chosen, id_column, allowed)
        else:
            yield from _json(path, chosen, id_column, allowed, lines=suffix != ".json")
    except UnicodeDecodeError as exc:  # decoded whole above; the file changed since
        raise FatalError(f"{path}: changed while being read ({exc.reason})") from None
    except csv.Error as exc:
        raise FatalError(f"{path}: {exc}") from None


def _record_id(path: Path, where: str, record: dict[str, Any], id_column: str | None) -> str:
    if id_column:
        value = record.pop(id_column, None)
        if value not in (None, "") and not isinstance(value, dict | list):
            return f"{path.name}:{value}"
    return f"{path.name}:{where}"


def _csv(
    path: Path, encoding: str, id_column: str | None, allowed: set[str] | None
) -> Iterator[Record]:
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise FatalError(f"{path}: empty file or no header row")
        names = [name.strip() for name in header]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise FatalError(f"{path}: the header names the columns {twice} more than once")
        if "" in names:
            raise FatalError(f"{path}: column {names.index('') + 1} of the header has no name")
        if allowed is not None and set(names) - allowed:
            raise FatalError(
                f"{path}: columns {sorted(set(names) - allowed)} are not fields of this entity;"
                f" expected some of {sorted(allowed)}"
            )
        width = len(names)
        for cells in reader:
            if not cells:
                continue
            line = reader.line_num
            record: dict[str, Any] = {
                k: (v if v != "" else None) for k, v in zip(names, cells, strict=False)
            }
            rid = _record_id(path, str(line), record, id_column)
            if len(cells) == width:
                yield rid, record
                continue
            rule = "row.too_many_cells" if len(cells) > width else "row.too_few_cells"
            if len(cells) > width:
                record["_extra"] = cells[width:]
            said = f"line {line} has {len(cells)} cells; the header names {width}"
            yield rid, RefusedRecord(record, EntryError(rule, said))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, remembering a key given twice (plain json lets the last win)."""
    record: dict[str, Any] = {}
    twice: list[str] = []
    for key, value in pairs:
        if key in record:
            twice.append(key)
        record[key] = value
    if twice:
        return _Twice(record, twice)
    return record


class _Twice(dict[str, Any]):
    def __init__(self, record: dict[str, Any], twice: list[str]) -> None:
        super().__init__(record)
        self.twice = twice


def _json(
    path: Path, encoding: str, id_column: str | None, allowed: set[str] | None, *, lines: bool
) -> Iterator[Record]:
    decode = json.JSONDecoder(object_pairs_hook=_pairs).decode
    with path.open(encoding=encoding) as fh:
        if lines:
            items: Any = (
                (f"line {n}", _decoded(decode, line, path, n))
                for n, line in enumerate(fh, start=1)
                if line.strip()
            )
        else:
            whole = _decoded(decode, fh.read(), path, None)
            if not isinstance(whole, list):
                raise FatalError(f"{path}: expected a JSON array of objects")
            items = ((f"item {i}", item) for i, item in enumerate(whole))
        for index, (where, item) in enumerate(items):
            if not isinstance(item, dict):
                raise FatalError(f"{path}: {where} is not an object")
            rid = _record_id(path, f"#{index}", item, id_column)
            error = _json_error(item, allowed, where)
            yield rid, (item if error is None else RefusedRecord(item, error))


def _decoded(decode: Any, text: str, path: Path, line: int | None) -> Any:
    try:
        return decode(text)
    except json.JSONDecodeError as exc:
        at = exc.lineno if line is None else line
        raise FatalError(f"{path}: invalid JSON at line {at}: {exc.msg}") from None


def _json_error(item: dict[str, Any], allowed: set[str] | None, where: str) -> EntryError | None:
    twice = getattr(item, "twice", None)
    if twice:
        return EntryError(
            "record.duplicate_field", f"{where} gives {sorted(set(twice))} more than once"
        )
    if allowed is not None:
        unknown = sorted(set(item) - allowed)
        if unknown:
            return EntryError(
                "record.unknown_field",
                f"{where} has fields {unknown} that this entity does not have",
            )
    nested = sorted(k for k, v in item.items() if isinstance(v, dict | list))
    if nested:
        return EntryError(
            "record.nested_value",
            f"{where}: {nested} hold an object or a list, not a value",
            field=nested[0],
        )
    return None
