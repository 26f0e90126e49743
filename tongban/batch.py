"""The one in-memory form of a page on its way to the store: a :class:`Batch`.

A batch is an Arrow table whose columns are an entity's fields (as mapped, or as
normalized), plus the id of each record in its source (``_record``), with the error of
each record that broke a rule, by position. Every step of the ingest path reads and
writes it whole: mapping fills it, each entity rule turns one into another
(``Entity.normalize_batch``), the data-quality gate reads it as a pandas frame (Arrow
hands pandas its buffers), and the store writes it.

    >>> batch = Batch.from_columns({"name": ["甲", "乙"]}, ["r1", "r2"])
    >>> batch.column("name"), batch.record_ids, batch.row(1)
    (['甲', '乙'], ['r1', 'r2'], {'name': '乙'})

Types. A column takes the Arrow type of its values (text, dates, integers, nested
lists and structures such as a license's ``holders``). Dirty sources send values Arrow
cannot put in one column (``123`` beside ``"123"``, a list beside a text), and Arrow's
structures add a key missing from one element as a null, and decimals take one scale
for the column: such a column is kept as the JSON text of each value (decimals as their
text), marked in the column's metadata, and read back as the values that were put in.
So a rule sees exactly what the source sent and names the problem itself, and nothing
a record holds is lost or changed by the form it travels in. A text that is not valid
UTF-8 (a lone surrogate, in a record already refused where it entered) is kept with
that character written as ``\\uXXXX``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from tongban.errors import RecordError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["RECORD", "Batch"]

RECORD = "_record"
"""The column of the records' ids in their source."""

_CODEC = b"tongban.codec"
_JSON, _DECIMAL = b"json", b"decimal"


class Batch:
    """Records of one entity, a column per field, and each failed record's error.

    ``errors[i]`` is the :class:`~tongban.errors.RecordError` of row ``i``; a row with an
    error still has its values (what the gate and a reviewer see), but goes to
    quarantine, not to the store. ``source`` names the source system the records came
    from (every record of a batch comes from one)."""

    __slots__ = ("_lists", "errors", "source", "table")

    def __init__(
        self,
        table: pa.Table,
        errors: Mapping[int, RecordError] | None = None,
        source: str | None = None,
        lists: dict[str, list[Any]] | None = None,
    ):
        self.table = table
        self.errors: dict[int, RecordError] = dict(errors) if errors else {}
        self.source = source
        # The Python values of columns Arrow holds exactly as they are (no codec), by
        # name (RECORD too): a batch made of Python lists, and what is taken, sliced and
        # joined of it, hands them back without converting them again. Not pickled.
        self._lists: dict[str, list[Any]] = lists or {}

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.table, self.errors, self.source)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.table, self.errors, self.source = state
        self._lists = {}

    # -- building ----------------------------------------------------------------------

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Sequence[Any]],
        record_ids: Sequence[str | None],
        errors: Mapping[int, RecordError] | None = None,
        source: str | None = None,
    ) -> Batch:
        """A batch of Python columns (``columns[field][i]``) and the records' ids."""
        n = len(record_ids)
        arrays, fields = [], []
        lists: dict[str, list[Any]] = {}
        for name, values in columns.items():
            if len(values) != n:
                raise ValueError(f"column {name!r} has {len(values)} values, not {n}")
            array, codec, kept = _to_arrow(values)
            arrays.append(array)
            fields.append(pa.field(name, array.type, metadata={_CODEC: codec} if codec else None))
            if codec is None:
                lists[name] = kept if isinstance(kept, list) else list(kept)
        lists[RECORD] = ids = list(record_ids)
        schema = pa.schema([*fields, pa.field(RECORD, pa.string())])
        table = pa.Table.from_arrays([*arrays, _text_array(ids)], schema=schema)
        return cls(table, errors, source, lists)

    @classmethod
    def from_records(
        cls,
        records: Sequence[tuple[str | None, Mapping[str, Any]]],
        errors: Mapping[int, RecordError] | None = None,
        source: str | None = None,
    ) -> Batch:
        """A batch of ``(record_id, record)`` pairs: a column per key any record has
        (in the order first seen), None where a record lacks it."""
        names: dict[str, None] = {}
        for _, record in records:
            names.update(dict.fromkeys(record))
        columns = {name: [record.get(name) for _, record in records] for name in names}
        return cls.from_columns(columns, [r[0] for r in records], errors, source)

    @classmethod
    def concat(cls, parts: Sequence[Batch]) -> Batch:
        """One batch of ``parts`` (of one source), in order (a column missing from a part
        is null there)."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.from_columns({}, [])
        source = parts[0].source
        errors: dict[int, RecordError] = {}
        offset = 0
        for part in parts:
            errors.update((offset + i, e) for i, e in part.errors.items())
            offset += len(part)
        codecs = {(f.name, _codec_of(f)) for p in parts for f in p.table.schema}
        if len(codecs) == len({name for name, _ in codecs}):  # a field's codec, in every part
            try:  # a column null throughout one part takes the others' type
                table = pa.concat_tables([p.table for p in parts], promote_options="default")
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
            else:
                held = set.intersection(*(set(p._lists) for p in parts))
                plain = [n for n in held if n == RECORD or not _codec_of(table.schema.field(n))]
                lists = {n: list(chain.from_iterable(p._lists[n] for p in parts)) for n in plain}
                return cls(table, errors, source, lists)
        # Types differ between parts (one page's column fell back to JSON text): rebuild.
        names = dict.fromkeys(n for p in parts for n in p.fields)
        columns = {n: [v for p in parts for v in p.column(n)] for n in names}
        ids = [i for p in parts for i in p.record_ids]
        return cls.from_columns(columns, ids, errors, source)

    # -- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self.table.num_rows

    def __repr__(self) -> str:
        return f"Batch({len(self)} records, fields={list(self.fields)}, errors={len(self.errors)})"

    @property
    def fields(self) -> tuple[str, ...]:
        """The field columns, in order (the record ids not included)."""
        return tuple(n for n in self.table.column_names if n != RECORD)

    def __contains__(self, name: object) -> bool:
        return name != RECORD and name in self.table.column_names

    @property
    def record_ids(self) -> list[str | None]:
        return self.column(RECORD)

    def column(self, name: str) -> list[Any]:
        """A field's values as Python objects (None throughout when the batch lacks it).
        The list may be the batch's own: change a copy."""
        hit = self._lists.get(name)
        if hit is not None:
            return hit
        if name not in self and name != RECORD:
            return [None] * len(self)
        values = _python(self.table.column(name))
        codec = _codec_of(self.table.schema.field(name))
        if codec == _JSON:
            return [None if v is None else json.loads(v) for v in values]
        if codec == _DECIMAL:
            return [None if v is None else Decimal(v) for v in values]
        self._lists[name] = values
        return values

    def columns(self) -> dict[str, list[Any]]:
        """Every field's values, by field."""
        return {name: self.column(name) for name in self.fields}

    def array(self, name: str) -> npt.NDArray[Any]:
        """A field as a numpy array (objects for text, nested and coded columns)."""
        import numpy as np

        if name not in self or _codec_of(self.table.schema.field(name)):
            values = self.column(name)
            return np.fromiter(values, dtype=object, count=len(values))
        return self.table.column(name).to_numpy(zero_copy_only=False)

    def row(self, i: int) -> dict[str, Any]:
        """Record ``i`` as a dict of its fields (for quarantine, review and messages)."""
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self.take([i % len(self)]).rows()[0]

    def rows(self) -> list[dict[str, Any]]:
        """Every record as a dict of its fields."""
        names = self.fields
        values = zip(*(self.column(n) for n in names), strict=True)
        return [dict(zip(names, v, strict=True)) for v in values]

    # -- picking -------------------------------------------------------------------------

    def take(self, rows: Sequence[int]) -> Batch:
        """The records at ``rows``, in that order, with their errors."""
        if len(rows) == len(self) and list(rows) == list(range(len(self))):
            return self
        failed = self.errors
        errors = (
            {new: failed[old] for new, old in enumerate(rows) if old in failed} if failed else {}
        )
        lists: dict[str, list[Any]] = {}
        if self._lists:
            if not rows:
                lists = {n: [] for n in self._lists}
            elif len(rows) == 1:
                lists = {n: [v[rows[0]]] for n, v in self._lists.items()}
            else:
                get = itemgetter(*rows)
                lists = {n: list(get(v)) for n, v in self._lists.items()}
        table = self.table.take(pa.array(rows, type=pa.int64()))
        return Batch(table, errors, self.source, lists)

    def slice(self, start: int, stop: int) -> Batch:
        stop = min(stop, len(self))
        errors = {i - start: e for i, e in self.errors.items() if start <= i < stop}
        lists = {n: v[start:stop] for n, v in self._lists.items()}
        return Batch(self.table.slice(start, max(0, stop - start)), errors, self.source, lists)

    def good(self) -> Batch:
        """The records without an error."""
        if not self.errors:
            return self
        return self.take([i for i in range(len(self)) if i not in self.errors])

    def with_columns(
        self, columns: Mapping[str, Sequence[Any]], errors: Mapping[int, RecordError]
    ) -> Batch:
        """A batch of the same records holding ``columns`` (Python values) and ``errors``.

        A column whose values are the very objects this batch holds under the same name
        (text a rule found clean already) shares this batch's Arrow array, unconverted."""
        kept = {
            name
            for name, values in columns.items()
            if name != RECORD and _same_objects(values, self._lists.get(name))
        }
        made = Batch.from_columns(
            {n: v for n, v in columns.items() if n not in kept}, [None] * len(self)
        )
        made._lists.pop(RECORD)
        arrays, fields = [], []
        for name in columns:
            source = self.table if name in kept else made.table
            arrays.append(source.column(name))
            fields.append(source.schema.field(name))
        arrays.append(self.table.column(RECORD))
        fields.append(pa.field(RECORD, pa.string()))
        table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
        lists = {name: made._lists[name] for name in columns if name in made._lists}
        lists.update((name, self._lists[name]) for name in kept)
        if RECORD in self._lists:
            lists[RECORD] = self._lists[RECORD]
        return Batch(table, errors, self.source, lists)


def _same_objects(values: Sequence[Any], held: Sequence[Any] | None) -> bool:
    """Whether ``values`` are, one by one, the objects ``held`` (``is``, not ``==``)."""
    if held is None or len(values) != len(held):
        return False
    return values is held or all(map(is_, values, held))


def _python(column: pa.ChunkedArray) -> list[Any]:
    """A column's values as Python objects; text and dates through numpy, several times
    faster than Arrow's own conversion."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.to_numpy(zero_copy_only=False).tolist()
    if pa.types.is_date32(kind):
        return column.to_pandas(date_as_object=True).tolist()
    return column.to_pylist()


def _codec_of(field: pa.Field) -> bytes | None:
    return (field.metadata or {}).get(_CODEC)


def _to_arrow(values: Sequence[Any]) -> tuple[pa.Array, bytes | None, Sequence[Any]]:
    """A column as Arrow, the codec its values were kept in (None: as themselves) and
    the values it holds.

    Only a column of one Python type (and None) is typed by Arrow: Arrow would read
    ``0`` beside a date as the first day of 1970. A text column (most columns) is given
    its type: Arrow's own inference reads text beyond ASCII about ten times slower."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) > 1 and all(issubclass(k, str) for k in kinds):
        kinds = {str}  # text of a str subclass (an XML parser's) beside plain text
    if len(kinds) > 1:
        return _as_json(values), _JSON, values
    kind = next(iter(kinds), None)
    if kind is Decimal:
        return _decimals(values), _DECIMAL, values
    text = kind is not None and issubclass(kind, str)
    try:
        array = _text_array(values) if text else pa.array(values, from_pandas=False)
    except UnicodeEncodeError:
        return _to_arrow([_storable(v) for v in values])
    except (pa.ArrowException, ValueError, TypeError, OverflowError):  # NaN in a list of ints
        return _as_json(values), _JSON, values
    if text or kind is None:
        return array, None, values
    # Structures gain keys, a float NaN and None both read back as None: keep the
    # column as sent unless it reads back exactly.
    if kind in (list, dict, float) and not _same(array.to_pylist(), values):
        return _as_json(values), _JSON, values
    return array, None, values


def _decimals(values: Sequence[Any]) -> pa.Array:
    """Decimals as their text: Arrow's decimal type gives a column one scale (1 would
    read back as 1.00), and holds no NaN."""
    return _text_array([None if v is None else str(v) for v in values])


def _same(back: list[Any], sent: Sequence[Any]) -> bool:
    return all(
        type(b) is type(s) and b == s if not isinstance(s, list | dict) else _deep(b, s)
        for b, s in zip(back, sent, strict=True)
    )


def _deep(back: Any, sent: Any) -> bool:
    if isinstance(sent, Mapping):
        return (
            isinstance(back, dict)
            and list(back) == list(sent)
            and all(_deep(back[k], sent[k]) for k in sent)
        )
    if isinstance(sent, list):
        return (
            isinstance(back, list)
            and len(back) == len(sent)
            and all(_deep(b, s) for b, s in zip(back, sent, strict=True))
        )
    return type(back) is type(sent) and back == sent


def _as_json(values: Iterable[Any]) -> pa.Array:
    return _text_array(
        [None if v is None else _storable(json.dumps(v, ensure_ascii=False, default=_jsonable))
         for v in values]
    )  # fmt: skip


def _text_array(values: Sequence[str | None]) -> pa.Array:
    """Text (and None) as an Arrow string array. Through a numpy array of objects: Arrow
    converts text beyond ASCII from a Python list about twenty times slower (3 µs a
    value for a Chinese address), the form most columns of a page take. A lone
    surrogate raises UnicodeEncodeError, as from a list."""
    holder = np.empty(len(values), dtype=object)
    holder[:] = values
    return pa.array(holder, type=pa.string(), from_pandas=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _storable(value: Any) -> Any:
    """Text with each lone surrogate written as ``\\uXXXX`` (Arrow holds UTF-8 only)."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value
