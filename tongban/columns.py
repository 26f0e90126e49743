"""The column lane of the load path: a page of records held a field at a time.

A page of a mapped source whose entity has a column form (people, enterprises) is mapped
(``Mapper.columns``) and normalized (``Entity.normalize_columns``) column by column, and
validated from those columns (:class:`MappedRows`), without a dict per record; the
records to store leave as :class:`~tongban.store.IncomingColumns`. Every record ends as
the record-by-record path would leave it: what the column checks cannot decide is done
one record at a time by the same rules.

    >>> page = stage_columns(ENTERPRISE, records, mapper, "historical")  # doctest: +SKIP
    >>> page.errors  # doctest: +SKIP
    {3: RecordError('credit_code.checksum: ...')}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from tongban.entities import Entity
from tongban.errors import RecordError
from tongban.identifiers.id_number import RegionCheck

__all__ = ["ColumnPage", "MappedRows", "join_columns", "stage_columns"]

SourceRecord = tuple[str | None, Mapping[str, Any]]


class MappedRows(Sequence[dict[str, Any]]):
    """Mapped records held as columns, seen as a sequence of records (what a
    :data:`~tongban.prepare.BatchCheck` reads): ``columns`` is there for a check that reads columns
    whole, and a record is made only when one is asked for."""

    __slots__ = ("_n", "blank_free", "columns")

    def __init__(
        self, columns: dict[str, list[Any]], n: int, blank_free: frozenset[str] = frozenset()
    ):
        self.columns, self._n = columns, n
        self.blank_free = blank_free  # columns known to hold no empty or blank text

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        if not -self._n <= index < self._n:
            raise IndexError(index)
        return {f: values[index] for f, values in self.columns.items()}


@dataclass(slots=True)
class ColumnPage:
    """A page staged column by column: mapped and normalized values, and by row the
    error of each record mapping or normalization failed."""

    n: int
    mapped: dict[str, list[Any]]
    normalized: dict[str, list[Any]]
    errors: dict[int, RecordError]
    blank_free: frozenset[str] = frozenset()

    def rows(self) -> Iterator[tuple[dict[str, Any], dict[str, Any] | RecordError]]:
        """Each record as the row lane holds it: mapped, and normalized or its error."""
        mapped = MappedRows(self.mapped, self.n)
        normalized = MappedRows(self.normalized, self.n)
        for i in range(self.n):
            error = self.errors.get(i)
            yield mapped[i], (normalized[i] if error is None else error)


def stage_columns(
    spec: Entity,
    records: Sequence[SourceRecord],
    mapper: Callable[[Mapping[str, Any]], dict[str, Any]] | None,
    region_check: RegionCheck,
    refused: Mapping[int, RecordError] | None = None,
) -> ColumnPage | None:
    """``records`` mapped and normalized column by column; None when the mapper or the
    entity has no column form, or the page is empty (the page then goes record by
    record). Records in ``refused`` (by position: refused where they entered) keep that
    error and are not normalized."""
    to_columns = getattr(mapper, "columns", None)
    if to_columns is None or not spec.has_column_form or not records:
        return None
    n = len(records)
    mapped, errors = to_columns([record[1] for record in records])
    if refused:
        errors.update(refused)
    blank_free: set[str] = set()
    done = spec.normalize_columns(
        mapped, n, region_check=region_check, skip=errors, blank_free=blank_free
    )
    if done is None:
        return None
    normalized, failed = done
    failed.update(errors)  # a record that failed mapping was not normalized
    return ColumnPage(n, mapped, normalized, failed, frozenset(blank_free))


def join_columns(parts: Sequence[dict[str, list[Any]]]) -> dict[str, list[Any]]:
    """Columns of consecutive pages as one set of columns."""
    if len(parts) == 1:
        return parts[0]
    out: dict[str, list[Any]] = {f: [] for f in parts[0]}
    for part in parts:
        for f, values in part.items():
            out[f].extend(values)
    return out
