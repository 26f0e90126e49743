"""The record mapper a definition's ``mapping:`` compiles to (:func:`connectors.transforms.
compile_mapping`): reads each source field (a plain name or a path, :mod:`connectors.paths`),
runs its transforms, and builds structures (``fields:``) and lists of structures
(``each:`` + ``fields:``, a license's holders).

A list target filled with ``each`` also gives its first item's fields to the targets
named in :data:`FIRST_OF` the mapping leaves out: ``holders`` gives ``holder_name``,
``holder_id_type`` and ``holder_id`` (the first holder), so consumers of one holder keep
working.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

from connectors.paths import PathSteps, get, is_plain, parse_path, select, selects_many
from tongban.errors import RecordError

__all__ = ["FIRST_OF", "Mapper", "Step", "field_path"]

Fn = Callable[[Any], Any]
Step = tuple[str, str | None, Any, tuple[Fn, ...]]  # target, source, constant, transforms

# Transforms with a whole-column form: it gives the transform of every value, or None
# when it cannot (the column then goes value by value).
COLUMN_FORMS: weakref.WeakKeyDictionary[Fn, Callable[[list[Any]], list[Any] | None]] = (
    weakref.WeakKeyDictionary()
)

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


def each_item(fns: tuple[Fn, ...]) -> Fn:
    """``fns`` applied to every item of a list (a ``from`` with ``[*]``)."""

    def every(values: Any) -> Any:
        if values is None:
            return None
        out = []
        for value in values:
            for fn in fns:
                value = fn(value)
            out.append(value)
        return out or None

    return every


class Mapper:
    """Turns a source record into canonical field names and values."""

    def __init__(
        self,
        steps: list[Step],
        structures: dict[str, Mapper] | None = None,
        lists: dict[str, tuple[str, Mapper]] | None = None,
    ):
        # targets built from several source fields, each by a mapper of its own
        self._structures = structures or {}
        # targets holding a list of structures: the path to the items and their mapper
        self._lists = {t: (parse_path(each), m) for t, (each, m) in (lists or {}).items()}
        self._list_specs = lists or {}
        targets = {t for t, _, _, _ in steps} | set(self._structures) | set(self._lists)
        self._firsts = {
            t: {mirror: field for mirror, field in FIRST_OF[t].items() if mirror not in targets}
            for t in self._lists
            if t in FIRST_OF
        }
        self._paths = {
            src: _getter(src) for _, src, _, _ in steps if src is not None and field_path(src)
        }
        self._steps = steps
        self.sources = tuple(source for _, source, _, _ in steps if source is not None)
        # Fields copied as sent (no transform) are looked up together in C; the rest
        # run their transforms, in the order of the definition.
        plain = [(t, src) for t, src, _, fns in steps if src is not None and not fns]
        self._plain_targets = tuple(t for t, _ in plain)
        self._plain_sources = tuple(src for _, src in plain)
        self._transformed = [step for step in steps if step[1] is None or step[3]]
        self._nested = bool(self._structures or self._lists)

    def renamed(self, cut: int) -> Mapper:
        """This mapper with the first ``cut`` characters of each target dropped (the
        fields of a structure are compiled as ``target.field``, so that a failing
        transform names both)."""
        steps = [(t[cut:], src, const, fns) for t, src, const, fns in self._steps]
        return Mapper(
            steps,
            {t[cut:]: m for t, m in self._structures.items()},
            {t[cut:]: spec for t, spec in self._list_specs.items()},
        )

    def _get(self, raw: Mapping[str, Any], source: str) -> Any:
        path = self._paths.get(source)
        return raw.get(source) if path is None else path(raw)

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for target, source, constant, fns in self._steps:
            value = self._get(raw, source) if source is not None else constant
            for fn in fns:
                value = fn(value)
            out[target] = value
        for target, part in self._structures.items():
            out[target] = _structure(part(raw))
        for target, (each, part) in self._lists.items():
            out[target] = [_structure(part(item)) for item in select(raw, each)] or None
        self._mirror(out)
        return out

    def _mirror(self, out: dict[str, Any]) -> None:
        for target, mirrors in self._firsts.items():
            items = out.get(target)
            first = items[0] if items and isinstance(items[0], Mapping) else {}
            for mirror, field in mirrors.items():
                out[mirror] = first.get(field)

    def _nested_lenient(self, raw: Mapping[str, Any], out: dict[str, Any]) -> RecordError | None:
        first: RecordError | None = None
        for target, part in self._structures.items():
            value, error = part.lenient(raw)
            first = first or error
            out[target] = _structure(value)
        for target, (each, part) in self._lists.items():
            items = []
            for item in select(raw, each):
                value, error = part.lenient(item)
                first = first or error
                items.append(_structure(value))
            out[target] = items or None
        self._mirror(out)
        return first

    def lenient(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], RecordError | None]:
        """Map without stopping: a field whose transform fails keeps the value as sent
        (so validation sees and names it), and the first such error is returned."""
        if self._paths:
            get_: Callable[[str], Any] = partial(self._get, raw)
        else:
            get_ = raw.get
        out: dict[str, Any] = dict(
            zip(self._plain_targets, map(get_, self._plain_sources), strict=True)
        )
        first: RecordError | None = None
        for target, source, constant, fns in self._transformed:
            value, error = _through(fns, get_(source) if source is not None else constant)
            first = first or error
            out[target] = value
        if self._nested:
            first = self._nested_lenient(raw, out) or first
        return out, first

    def columns(
        self, raws: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, list[Any]], dict[int, RecordError]]:
        """:meth:`lenient` of a page of records, a field at a time: the mapped columns
        and, by row, the first error of each record whose transform failed."""
        n = len(raws)
        sent = self._sent_columns(raws)
        out: dict[str, list[Any]] = {}
        errors: dict[int, RecordError] = {}
        for target, source, constant, fns in self._steps:
            values = list(sent[source]) if source is not None else [constant] * n
            if fns:
                try:
                    values = _column(fns, values)
                except RecordError:
                    values = self._each(fns, values, errors)
            out[target] = values
        if self._nested:
            built: list[dict[str, Any]] = []
            for i, raw in enumerate(raws):
                row: dict[str, Any] = {}
                error = self._nested_lenient(raw, row)
                if error is not None:
                    errors.setdefault(i, error)
                built.append(row)
            for target in built[0] if built else ():
                out[target] = [row[target] for row in built]
        return out, errors

    def _sent_columns(self, raws: Sequence[Mapping[str, Any]]) -> dict[str, Sequence[Any]]:
        """The source fields of ``raws``, a column each (None where a record lacks one)."""
        sources = list(dict.fromkeys(self.sources))
        if not raws or not sources:
            return {src: [None] * len(raws) for src in sources}
        if self._paths:
            return {src: [self._get(raw, src) for raw in raws] for src in sources}
        try:  # every record has every field: a tuple a record in C, then turned
            rows = list(map(itemgetter(*sources, sources[0]), raws))
            return dict(zip(sources, zip(*rows, strict=True), strict=False))
        except (KeyError, TypeError):
            return {src: [raw.get(src) for raw in raws] for src in sources}

    @staticmethod
    def _each(fns: tuple[Fn, ...], values: list[Any], errors: dict[int, RecordError]) -> list:
        out = []
        for i, sent in enumerate(values):
            value, error = _through(fns, sent)
            if error is not None:
                errors.setdefault(i, error)
            out.append(value)
        return out


def _structure(value: dict[str, Any]) -> dict[str, Any] | None:
    """A built structure; None when every field of it is empty."""
    return value if any(v is not None for v in value.values()) else None


def _through(fns: tuple[Fn, ...], sent: Any) -> tuple[Any, RecordError | None]:
    """``sent`` through ``fns`` in order; on a RecordError, the value as sent and the error
    (lenient mapping: validation sees the value and names the rule)."""
    value = sent
    try:
        for fn in fns:
            value = fn(value)
    except RecordError as exc:
        return sent, exc
    return value, None


def _column(fns: tuple[Fn, ...], values: list[Any]) -> list[Any]:
    """``values`` through ``fns`` in order; raises the first RecordError."""
    for fn in fns:
        whole = COLUMN_FORMS.get(fn)
        done = whole(values) if whole is not None else None
        values = done if done is not None else list(map(fn, values))
    return values
