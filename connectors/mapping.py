"""The record mapper a definition's ``mapping:`` compiles to (:func:`connectors.transforms.
compile_mapping`): reads each source field (a plain name or a path, :mod:`connectors.paths`),
runs its transforms, and builds structures (``fields:``) and lists of structures
(``each:`` + ``fields:``, a license's holders).

It maps a page at a time, a field at a time (:meth:`Mapper.columns`): each transform
takes a whole column and gives back the column and the rows it failed
(:data:`Transform`). A record whose transform fails keeps the field as sent, so that
validation sees and names it, and carries the first error its mapping met. Calling the
mapper with one record is the same mapping of that record alone, raising its error.

A list target filled with ``each`` also gives its first item's fields to the targets
named in :data:`FIRST_OF` the mapping leaves out: ``holders`` gives ``holder_name``,
``holder_id_type`` and ``holder_id`` (the first holder), so consumers of one holder keep
working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple

from connectors.paths import PathSteps, get, is_plain, parse_path, select, selects_many
from tongban.errors import RecordError

__all__ = [
    "FIRST_OF", "Mapper", "RowErrors", "Step", "Transform", "each_item", "field_path", "through",
]  # fmt: skip

RowErrors = dict[int, RecordError]
"""The error of each failed row, by its position in the column."""

Transform = Callable[[list[Any]], tuple[list[Any], RowErrors]]
"""A compiled transform: a column of values in, the column converted and the rows it could
not convert out (their values in the column are then meaningless). It never changes the
list it is given."""


class Step(NamedTuple):
    """One mapped field: its target, where its value comes from, and its transforms."""

    target: str
    source: str | None  # None: the constant
    constant: Any
    transforms: tuple[Transform, ...]


FIRST_OF: dict[str, dict[str, str]] = {
    "holders": {"holder_name": "name", "holder_id_type": "id_type", "holder_id": "id"},
}
"""A list target's first item, by field, for the single-valued targets that mirror it."""


def field_path(source: str) -> PathSteps | None:
    """The steps of a path into nested records (``QLRLIST.QLR[0].ZJHM``, ``QLRLIST.QLR.0.
    ZJHM``, ``QLRLIST.QLR[*].ZJHM``), or None for a plain field name. Raises ValueError
    for a malformed path."""
    if is_plain(source):
        return None
    return parse_path(source)


def _getter(source: str) -> Callable[[Mapping[str, Any]], Any]:
    """How to read ``source`` from a record: a plain key, or a path when the record has
    no key of that very name (a file's column may hold a dot). A path with ``[*]``
    reads a list."""
    steps = field_path(source)
    if steps is None:
        return lambda raw: raw.get(source)
    read = partial(select, steps=steps) if selects_many(steps) else partial(get, steps=steps)

    def dig(raw: Mapping[str, Any]) -> Any:
        if source in raw:
            return raw[source]
        return read(raw)

    return dig


def through(transforms: Sequence[Transform], sent: list[Any]) -> tuple[list[Any], RowErrors]:
    """``sent`` through ``transforms`` in order. A row a transform fails skips the ones
    after it (they see None there), keeps its value as sent and carries that first error."""
    if len(transforms) == 1:  # the common case, without the bookkeeping of a chain
        values, errors = transforms[0](sent)
        if errors:
            values = list(values)
            for i in errors:
                values[i] = sent[i]
        return values, errors
    values, errors = sent, RowErrors()
    for transform in transforms:
        values, found = transform(values)
        if found:
            values = list(values)
            for i, error in found.items():
                errors.setdefault(i, error)
                values[i] = None
    if errors:
        for i in errors:
            values[i] = sent[i]
    return values, errors


def each_item(transforms: tuple[Transform, ...]) -> Transform:
    """``transforms`` applied to every item of a list (a ``from`` with ``[*]``): a record
    fails with the first error of its items, and an empty list is None."""

    def every(values: list[Any]) -> tuple[list[Any], RowErrors]:
        lists = [[] if v is None else list(v) for v in values]
        items, found = through(transforms, [item for items in lists for item in items])
        out: list[Any] = []
        errors: RowErrors = {}
        start = 0
        for i, (sent, its) in enumerate(zip(values, lists, strict=True)):
            stop = start + len(its)
            out.append(None if sent is None else (items[start:stop] or None))
            failed = [found[k] for k in range(start, stop) if k in found] if found else None
            if failed:
                errors[i] = failed[0]
            start = stop
        return out, errors

    return every


class Mapper:
    """Turns source records into canonical field names and values.

    >>> columns, errors = mapper.columns(raws)  # doctest: +SKIP
    >>> mapper(raws[0])  # doctest: +SKIP
    """

    def __init__(
        self,
        steps: Sequence[Step],
        structures: dict[str, Mapper] | None = None,
        lists: dict[str, tuple[str, Mapper]] | None = None,
    ):
        self._steps = [Step(*step) for step in steps]
        # targets built from several source fields, each by a mapper of its own
        self._structures = structures or {}
        # targets holding a list of structures: the path to the items and their mapper
        self._list_specs = lists or {}
        self._lists = {t: (parse_path(each), m) for t, (each, m) in self._list_specs.items()}
        targets = {s.target for s in self._steps} | set(self._structures) | set(self._lists)
        self._firsts = {
            t: {mirror: field for mirror, field in FIRST_OF[t].items() if mirror not in targets}
            for t in self._lists
            if t in FIRST_OF
        }
        self.sources = tuple(s.source for s in self._steps if s.source is not None)
        self._distinct = tuple(dict.fromkeys(self.sources))
        # every field of a record at once, in C (one more, so one field still gives a tuple)
        self._take = itemgetter(*self._distinct, *self._distinct[:1]) if self._distinct else None
        # a source read through a path is read by its getter, every source then
        self._getters = (
            {src: _getter(src) for src in self.sources}
            if any(field_path(src) is not None for src in self.sources)
            else None
        )

    def renamed(self, cut: int) -> Mapper:
        """This mapper with the first ``cut`` characters of each target dropped (the
        fields of a structure are compiled as ``target.field``, so that a failing
        transform names both)."""
        return Mapper(
            [s._replace(target=s.target[cut:]) for s in self._steps],
            {t[cut:]: m for t, m in self._structures.items()},
            {t[cut:]: spec for t, spec in self._list_specs.items()},
        )

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """``raw`` mapped; raises the first :class:`RecordError` its mapping meets."""
        columns, errors = self.columns([raw])
        if errors:
            raise errors[0]
        return _row(columns)

    def lenient(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], RecordError | None]:
        """``raw`` mapped as :meth:`columns` maps it, and its first error (or None)."""
        columns, errors = self.columns([raw])
        return _row(columns), errors.get(0)

    def columns(self, raws: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list[Any]], RowErrors]:
        """A page of records mapped a field at a time: the mapped columns and, by row,
        the first error of each record whose mapping failed (its field kept as sent)."""
        n = len(raws)
        sent = self._sent_columns(raws)
        out: dict[str, list[Any]] = {}
        errors: RowErrors = {}
        for target, source, constant, transforms in self._steps:
            values = list(sent[source]) if source is not None else [constant] * n
            if transforms:
                values, found = through(transforms, values)
                if found:
                    _merge(errors, found)
            out[target] = values
        for target, part in self._structures.items():
            out[target] = self._built(part, raws, errors)
        for target, (each, part) in self._lists.items():
            out[target] = self._listed(part, [select(raw, each) for raw in raws], errors)
        for target, mirrors in self._firsts.items():
            firsts = [_first(items) for items in out[target]]
            for mirror, field in mirrors.items():
                out[mirror] = [first.get(field) for first in firsts]
        return out, errors

    @staticmethod
    def _built(part: Mapper, raws: Sequence[Mapping[str, Any]], errors: RowErrors) -> list[Any]:
        """A structure of each record (None where every field of it is empty)."""
        columns, found = part.columns(raws)
        _merge(errors, found)
        return [_structure(row) for row in _rows(columns, len(raws))]

    @staticmethod
    def _listed(part: Mapper, items: list[list[Any]], errors: RowErrors) -> list[Any]:
        """The structures of each record's items, mapped as one column of items; a
        record carries the first error of its items."""
        columns, found = part.columns([item for its in items for item in its])
        built = [_structure(row) for row in _rows(columns, sum(map(len, items)))]
        out: list[Any] = []
        start = 0
        for i, its in enumerate(items):
            stop = start + len(its)
            out.append(built[start:stop] or None)
            if found:
                first = next((found[k] for k in range(start, stop) if k in found), None)
                if first is not None:
                    errors.setdefault(i, first)
            start = stop
        return out

    def _sent_columns(self, raws: Sequence[Mapping[str, Any]]) -> dict[str, Sequence[Any]]:
        """The source fields of ``raws``, a column each (None where a record lacks one)."""
        sources = self._distinct
        if self._take is None or not raws:
            return {src: [None] * len(raws) for src in sources}
        if self._getters is not None:
            return {src: list(map(self._getters[src], raws)) for src in sources}
        if len(raws) == 1:  # a record alone (reprocessing, a review)
            return dict(zip(sources, zip(map(raws[0].get, sources)), strict=True))
        try:  # every record has every field: a tuple a record in C, then turned
            rows = list(map(self._take, raws))
            return dict(zip(sources, zip(*rows, strict=True), strict=False))
        except (KeyError, TypeError):
            return {src: [raw.get(src) for raw in raws] for src in sources}


def _row(columns: dict[str, list[Any]]) -> dict[str, Any]:
    """The one record of columns of one record."""
    return dict(zip(columns, map(_FIRST, columns.values()), strict=True))


_FIRST = itemgetter(0)


def _merge(errors: RowErrors, found: RowErrors) -> None:
    """Add the rows of ``found`` that have no error yet (the first error is kept)."""
    for i, error in found.items():
        errors.setdefault(i, error)


def _rows(columns: dict[str, list[Any]], n: int) -> list[dict[str, Any]]:
    """Columns as records."""
    if not columns:
        return [{} for _ in range(n)]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _first(items: Any) -> Mapping[str, Any]:
    return items[0] if items and isinstance(items[0], Mapping) else {}


def _structure(value: dict[str, Any]) -> dict[str, Any] | None:
    """A built structure; None when every field of it is empty."""
    return value if any(v is not None for v in value.values()) else None
