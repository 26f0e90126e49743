"""Field transforms named in source definitions, compiled once into a record mapper.

A mapping entry names a source field and a list of transforms applied in order. Each
transform is a name (``trim``) or a one-key mapping with its argument
(``{date: ["%Y%m%d", "%Y年%m月%d日"]}``). A value a transform cannot convert fails its
record with :class:`~tongban.errors.RecordError` under the rule ``<target field>.<problem>``,
so the record is quarantined under a name a reviewer can look up.

Each transform is written once, as a :class:`ColumnTransform` over a page's column: its
rule for one value and, where it pays, a whole-column form (:data:`Fast`).

    >>> mapper = compile_mapping({"gender": FieldMapping.model_validate(
    ...     {"from": "xb", "transforms": ["trim", "gender"]})})
    >>> mapper({"xb": " 女 "})
    {'gender': '2'}
    >>> mapper.columns([{"xb": "男"}, {"xb": "X"}])[1][1].rule
    'gender.value'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from connectors.mapping import Mapper, RowErrors, Step, Transform, each_item, field_path
from connectors.paths import parse_path, selects_many
from tongban.errors import RecordError, by_value
from tongban.identifiers import FULL_TO_HALF, region_by_name
from tongban.normalize import (
    clean_text,
    clean_text_column,
    compact_date_column,
    date_column,
    decimal_column,
    ethnicity_code,
    gender_code,
    parse_date,
    parse_decimal,
)

if TYPE_CHECKING:
    from connectors.definition import FieldMapping

__all__ = ["TRANSFORMS", "ColumnTransform", "Fast", "Mapper", "compile_mapping", "field_path"]

Rule = Callable[[Any], Any]
"""A transform of one value; raises :class:`RecordError` for a value it cannot convert."""

Fast = Callable[[list[Any], set[int]], list[Any] | None]
"""A whole column converted at once: the rows it cannot decide are added to the set (their
rule decides them); None when it decides none."""


@dataclass(frozen=True, slots=True)
class ColumnTransform:
    """One transform of a mapping over a column of values (a :data:`~connectors.mapping.
    Transform`): ``rule`` converts one value, ``fast`` (if any) a whole column in a few C
    calls, the odd value left to ``rule``."""

    name: str
    rule: Rule
    fast: Fast | None = None

    def __call__(self, values: list[Any]) -> tuple[list[Any], RowErrors]:
        if self.fast is not None and len(values) > 1:
            slow: set[int] = set()
            done = self.fast(values, slow)
            if done is not None:
                return (done, {}) if not slow else self._by_rule(values, done, slow)
        try:
            return list(map(self.rule, values)), {}
        except RecordError:
            return self._by_rule(values, [None] * len(values), range(len(values)))

    def _by_rule(
        self, values: list[Any], done: list[Any], rows: Iterable[int]
    ) -> tuple[list[Any], RowErrors]:
        """``done`` with ``rows`` of ``values`` converted by the rule, one by one."""
        out = list(done)
        return out, by_value(self.rule, values, sorted(rows), out)


_TEXT_OR_NONE = frozenset({str, type(None)})


def _per_distinct(rule: Rule) -> Fast:
    """``rule`` called once per distinct text value (code tables, region names, which
    a column repeats); a value it fails is left to it, row by row."""

    def fast(values: list[Any], slow: set[int]) -> list[Any] | None:
        if not set(map(type, values)) <= _TEXT_OR_NONE:  # 1, 1.0 and True: one entry
            return None
        table: dict[Any, Any] = {}
        failed: set[Any] = set()
        for value in set(values):
            try:
                table[value] = rule(value)
            except RecordError:
                failed.add(value)
        if failed:
            slow.update(i for i, v in enumerate(values) if v in failed)
        return [table.get(v) for v in values]

    return fast


def _trim(target: str, arg: Any) -> ColumnTransform:
    def trim(value: Any) -> Any:
        if isinstance(value, str):
            return value.strip(" \t\r\n\u3000\u00a0\ufeff") or None
        return value

    return ColumnTransform("trim", trim)


def _fullwidth(target: str, arg: Any) -> ColumnTransform:
    def fullwidth(value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            return value.translate(FULL_TO_HALF).replace("\u3000", " ")
        return value

    return ColumnTransform("fullwidth", fullwidth)


def _clean(target: str, arg: Any) -> ColumnTransform:
    return ColumnTransform("clean", clean_text, lambda values, slow: clean_text_column(values))


def _upper(target: str, arg: Any) -> ColumnTransform:
    return ColumnTransform("upper", lambda v: v.upper() if isinstance(v, str) else v)


def _lower(target: str, arg: Any) -> ColumnTransform:
    return ColumnTransform("lower", lambda v: v.lower() if isinstance(v, str) else v)


def _digits(target: str, arg: Any) -> ColumnTransform:
    def digits(value: Any) -> Any:
        if value is None:
            return None
        text = "".join(ch for ch in str(value) if ch.isdigit())
        return text or None

    def all_digits(values: list[Any], slow: set[int]) -> list[Any] | None:
        try:
            joined = "".join(values)
        except TypeError:
            return None
        return values if joined.isdigit() and "" not in values else None

    return ColumnTransform("digits", digits, all_digits)


def _date(target: str, arg: Any) -> ColumnTransform:
    """``date`` alone: every spelling tongban knows; ``{date: [formats]}``: only those."""
    if arg is None:

        def any_spelling(value: Any) -> date | None:
            return parse_date(value, field=target)

        def whole(values: list[Any], slow: set[int]) -> list[Any]:
            # a column spelled YYYYMMDD or YYYY-MM-DD throughout is parsed in C
            return compact_date_column(values) or date_column(values, slow)

        return ColumnTransform("date", any_spelling, whole)
    if not isinstance(arg, str | list):
        raise ValueError(f"date takes a strptime format or a list of them, not {arg!r}")
    formats = [arg] if isinstance(arg, str) else list(arg)
    if not formats or not all(isinstance(f, str) for f in formats):
        raise ValueError("date takes a list of strptime formats")

    def parse(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value.date() if isinstance(value, datetime) else value
        text = clean_text(value)
        if text is None:
            return None
        for fmt in formats:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise RecordError(
            f"{target}.format",
            f"{text!r} matches none of the date formats {formats}",
            value=value,
            field=target,
        )

    return ColumnTransform("date", parse)


def _gender(target: str, arg: Any) -> ColumnTransform:
    def gender(value: Any) -> str | None:
        return gender_code(value, field=target)

    return ColumnTransform("gender", gender, _per_distinct(gender))


def _ethnicity(target: str, arg: Any) -> ColumnTransform:
    def ethnicity(value: Any) -> str | None:
        return ethnicity_code(value, field=target)

    return ColumnTransform("ethnicity", ethnicity, _per_distinct(ethnicity))


def _decimal(target: str, arg: Any) -> ColumnTransform:
    return ColumnTransform("decimal", lambda v: parse_decimal(v, field=target), decimal_column)


def _map(target: str, arg: Any) -> ColumnTransform:
    """``{map: {values: {...}, unknown: error|keep|null}}``, or ``{map: {...}}`` (strict)."""
    if not isinstance(arg, Mapping):
        raise ValueError("map takes a mapping of values")
    if "values" in arg:
        unknown_keys = set(arg) - {"values", "unknown"}
        if unknown_keys:
            raise ValueError(f"map: unknown keys {sorted(unknown_keys)}")
        values, unknown = dict(arg["values"]), arg.get("unknown", "error")
    else:
        values, unknown = dict(arg), "error"
    if unknown not in ("error", "keep", "null"):
        raise ValueError("map: unknown must be error, keep or null")
    table = {str(k): v for k, v in values.items()}

    def lookup(value: Any) -> Any:
        if value is None:
            return None
        hit = table.get(str(value), _MISSING)
        if hit is not _MISSING:
            return hit
        if unknown == "keep":
            return value
        if unknown == "null":
            return None
        raise RecordError(
            f"{target}.value", f"{value!r} is not in the value map", value=value, field=target
        )

    return ColumnTransform("map", lookup)


def _default(target: str, arg: Any) -> ColumnTransform:
    return ColumnTransform("default", lambda v: arg if v is None or v == "" else v)


def _region(target: str, arg: Any) -> ColumnTransform:
    """Region names (浙江省杭州市西湖区, 杭州西湖区) or codes to GB/T 2260 codes; how a name
    is read: :func:`~tongban.identifiers.region_by_name`."""

    def to_code(value: Any) -> Any:
        text = clean_text(value)
        if text is None:
            return None
        if text.isdigit() and len(text) == 6:
            return text
        code = region_by_name(text)
        if code is None:
            raise RecordError(
                f"{target}.region_name",
                f"{text!r} names no GB/T 2260 region, or more than one, or one under other parents",
                value=value,
                field=target,
            )
        return code

    return ColumnTransform("region", to_code, _per_distinct(to_code))


def _nfkc(target: str, arg: Any) -> ColumnTransform:
    return ColumnTransform(
        "nfkc", lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v
    )


_MISSING = object()

TRANSFORMS: dict[str, Callable[[str, Any], ColumnTransform]] = {
    "trim": _trim,
    "fullwidth": _fullwidth,
    "clean": _clean,
    "nfkc": _nfkc,
    "upper": _upper,
    "lower": _lower,
    "digits": _digits,
    "date": _date,
    "gender": _gender,
    "ethnicity": _ethnicity,
    "decimal": _decimal,
    "region": _region,
    "map": _map,
    "default": _default,
}
"""Every transform a definition may name, by the factory that binds its target (the rule a
failure is quarantined under) and its argument."""


def _compile_one(target: str, spec: str | Mapping[str, Any]) -> ColumnTransform:
    if isinstance(spec, str):
        name, arg = spec, None
    else:
        if len(spec) != 1:
            raise ValueError(f"{target}: a transform is a name or a one-key mapping, got {spec}")
        ((name, arg),) = spec.items()
    factory = TRANSFORMS.get(name)
    if factory is None:
        raise ValueError(f"{target}: unknown transform {name!r}; known: {sorted(TRANSFORMS)}")
    try:
        return factory(target, arg)
    except (ValueError, TypeError, AttributeError) as exc:
        # a wrong argument type ({date: 5}) is a bad definition, not a crash
        raise ValueError(f"{target}: transform {name}: {exc}") from None


def compile_mapping(fields: Mapping[str, FieldMapping]) -> Mapper:
    """Check every transform and path and bind arguments once; raises ValueError on a bad
    one. A ``from`` with ``[*]`` reads a list, its transforms applied to every item."""
    steps: list[Step] = []
    structures: dict[str, Mapper] = {}
    lists: dict[str, tuple[str, Mapper]] = {}
    for target, m in fields.items():
        if m.fields is not None:
            parts = compile_mapping(
                {f"{target}.{name}": part for name, part in m.parts().items()}
            ).renamed(len(target) + 1)
            if m.each is not None:
                try:
                    parse_path(m.each)
                except ValueError as exc:
                    raise ValueError(f"{target}: each: {exc}") from None
                lists[target] = (m.each, parts)
            else:
                structures[target] = parts
            continue
        many = False
        if m.source is not None:
            try:
                path = field_path(m.source)
            except ValueError as exc:
                raise ValueError(f"{target}: from: {exc}") from None
            many = path is not None and selects_many(path)
        transforms: tuple[Transform, ...] = tuple(_compile_one(target, t) for t in m.transforms)
        if many:
            transforms = (each_item(transforms),)
        steps.append(Step(target, m.source, m.value, transforms))
    return Mapper(steps, structures, lists)
