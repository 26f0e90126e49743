"""File-drop connector: CSV files a department leaves in a directory (文件交换), each in
a declared encoding, each processed exactly once.

A file is known by its content hash: a file whose bytes were already loaded is skipped
under any name, and a file that changes while half loaded stops the run. Files are taken
in name order (daily drops name themselves by date).

Cursor: ``{"done": {sha256: name}, "current": {"name", "sha256", "line"} | None}`` —
``line`` is the last physical line stored, so a rerun resumes mid-file.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Mapping
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
        line = after_line
        try:
            with path.open(encoding=t.encoding, newline="") as fh:
                reader = csv.DictReader(fh, delimiter=t.delimiter)
                if reader.fieldnames is None:
                    rows: Iterator[dict[str, Any]] = iter(())
                else:
                    rows = reader
                for row in rows:
                    line = reader.line_num
                    if line <= after_line:
                        continue
                    if None in row:
                        row["_extra"] = row.pop(None)  # type: ignore[call-overload]
                    batch.append((f"{path.name}:{line}", row))
                    if len(batch) >= t.page_size:
                        state["current"] = {"name": path.name, "sha256": sha, "line": line}
                        yield Page(batch, _copy(state))
                        batch = []
        except UnicodeDecodeError as exc:
            raise FatalError(
                f"{self.name}: {path.name} is not valid {t.encoding} after line {line}"
                f" (byte {exc.start}): {exc.reason}"
            ) from None
        except csv.Error as exc:
            raise FatalError(f"{self.name}: {path.name} line {line}: {exc}") from None
        state["done"][sha] = path.name
        state["current"] = None
        yield Page(batch, _copy(state))


def _copy(state: dict) -> dict:
    return {"done": dict(state["done"]), "current": state["current"] and dict(state["current"])}
