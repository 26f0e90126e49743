"""The manifest: which raw records are dirty, how, and what the hub must make of them.

Written by the sandbox to ``<dir>/manifest.json``; read back with :meth:`Manifest.load`.

    >>> m = Manifest.load("sandbox-dir/manifest.json")             # doctest: +SKIP
    >>> m.invalid_count("gongan_population"), len(m.by_source("scjg_enterprise"))  # doctest: +SKIP
    (31, 17)

``key`` is the canonical key the record lands under (18-character ID number, credit code,
or ``<license type>:<license number>`` for licenses) when ``expect`` is normalized or
conflict; ``rule`` is the quarantine rule when ``expect`` is quarantined.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Manifest", "ManifestEntry", "Written"]


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    source: str
    record: str
    dirt: str
    field: str
    expect: str
    rule: str | None = None
    key: str | None = None
    canonical_field: str | None = None
    entity: str | None = None  # of a child record (``<parent>/<child>``); else the source's

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Manifest:
    seed: int
    records: dict[str, int] = field(default_factory=dict)  # source -> records it serves
    entries: list[ManifestEntry] = field(default_factory=list)

    def add_source(self, source: str, records: int, entries: Iterable[ManifestEntry]) -> None:
        self.records[source] = records
        self.entries.extend(entries)

    def by_source(self, source: str) -> list[ManifestEntry]:
        return [e for e in self.entries if e.source == source]

    def by_expect(self, expect: str, source: str | None = None) -> list[ManifestEntry]:
        return [e for e in self.entries if e.expect == expect and source in (None, e.source)]

    def entry(self, source: str, record: str) -> ManifestEntry | None:
        return self._index().get((source, record))

    def _index(self) -> dict[tuple[str, str], ManifestEntry]:
        if len(getattr(self, "_by_record", {})) != len(self.entries):
            self._by_record = {(e.source, e.record): e for e in self.entries}
        return self._by_record

    def invalid_count(self, source: str | None = None) -> int:
        """Number of records that must be quarantined (of ``source``, or of all)."""
        return len(self.by_expect("quarantined", source))

    def dirt_counts(self, source: str | None = None) -> Counter[str]:
        return Counter(e.dirt for e in self.entries if source in (None, e.source))

    def __iter__(self) -> Iterator[ManifestEntry]:
        return iter(self.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "sources": {
                s: {"records": n, "invalid": self.invalid_count(s)} for s, n in self.records.items()
            },
            "entries": [e.to_json() for e in self.entries],
        }

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        try:
            entries = [ManifestEntry(**e) for e in data["entries"]]
            records = {s: int(v["records"]) for s, v in data["sources"].items()}
            return cls(int(data["seed"]), records, entries)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a sandbox manifest: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Written:
    """What a department system wrote for one source: its record count and its dirt."""

    source: str
    records: int
    entries: list[ManifestEntry]
