"""A batch of normalized records held column by column: the fast lane's ``Incoming``.

A sync of a clean source makes hundreds of thousands of records a minute, and most of
them are new keys. Kept as one list per field they are normalized, validated and
COPYed without a dict per record; only a record that has to be merged with a stored
one is turned into an :class:`~tongban.store.merge.Incoming`.

    >>> batch = IncomingColumns("scjg", ("credit_code", "name"),
    ...                         {"credit_code": ["91...", "92..."], "name": ["甲", "乙"]},
    ...                         ["r1", "r2"])
    >>> [i.record["name"] for i in batch.incoming([1])]
    ['乙']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from tongban.store.merge import Incoming

__all__ = ["IncomingColumns"]


@dataclass(slots=True)
class IncomingColumns:
    """Normalized records of one source: ``columns[field][i]`` is field ``field`` of record
    ``i``, ``source_records[i]`` its id in the source. ``fields`` orders the record dicts
    :meth:`incoming` makes (the order the row-by-row normalization gives)."""

    source: str
    fields: tuple[str, ...]
    columns: dict[str, list[Any]]
    source_records: list[str | None]

    def __len__(self) -> int:
        return len(self.source_records)

    def __iter__(self) -> Iterator[Incoming]:
        return iter(self.incoming())

    def take(self, rows: Sequence[int]) -> IncomingColumns:
        """The records at ``rows``, in that order."""
        if len(rows) == len(self) and list(rows) == list(range(len(self))):
            return self  # all of them, in order
        if not rows:
            pick: Any = lambda values: []  # noqa: E731
        elif len(rows) == 1:
            (only,) = rows
            pick = lambda values: [values[only]]  # noqa: E731
        else:
            get = itemgetter(*rows)
            pick = lambda values: list(get(values))  # noqa: E731
        return IncomingColumns(
            self.source, self.fields, {f: pick(v) for f, v in self.columns.items()},
            pick(self.source_records),
        )  # fmt: skip

    def slice(self, start: int, stop: int) -> IncomingColumns:
        return IncomingColumns(
            self.source, self.fields, {f: v[start:stop] for f, v in self.columns.items()},
            self.source_records[start:stop],
        )  # fmt: skip

    @classmethod
    def concat(cls, parts: Sequence[IncomingColumns]) -> IncomingColumns:
        """One batch of ``parts`` (of one source and the same fields), in order."""
        first = parts[0]
        if len(parts) == 1:
            return first
        if any(p.source != first.source or p.fields != first.fields for p in parts):
            raise ValueError("only batches of one source and the same fields concatenate")
        columns: dict[str, list[Any]] = {f: [] for f in first.columns}
        ids: list[str | None] = []
        for part in parts:
            for f, values in part.columns.items():
                columns[f].extend(values)
            ids.extend(part.source_records)
        return cls(first.source, first.fields, columns, ids)

    def incoming(self, rows: Sequence[int] | None = None) -> list[Incoming]:
        """The records (all, or those at ``rows``) as :class:`Incoming`, one dict each."""
        part = self if rows is None else self.take(rows)
        fields = part.fields
        values = zip(*(part.columns[f] for f in fields), strict=True)
        records = map(dict, map(zip, [fields] * len(part), values))
        source = part.source
        return [
            Incoming(r, source, sid) for r, sid in zip(records, part.source_records, strict=True)
        ]
