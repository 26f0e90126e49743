"""What every custom expectation shares: rule evaluation over a column, once per batch.

A metric asks our rule functions (``tongban.identifiers``, ``tongban.normalize``) about
every value of a column. Two habits keep that fast enough for 200,000 records a batch:

* columns with few distinct values (dates, codes) are judged per distinct value and the
  verdicts spread back with the factorized codes;
* inside :func:`batch_scope` the judgement of a column is kept, so the ID-number column is
  checked once however many expectations (validity, uniqueness, birth date, gender)
  read it;
* our column metrics (:class:`WholeColumnMetric`) read the whole column, nulls included,
  and count a null as passing: GX would otherwise find the nulls of the column and copy
  the frame without them once for each of the four metrics it asks of an expectation.

An expectation also explains itself: :meth:`Explains.explain` runs the same rule on the
raw record and returns the :class:`~tongban.errors.RecordError` a reviewer reads.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from great_expectations.expectations.metrics import ColumnMapMetricProvider
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.renderer_configuration import (
    RendererConfiguration,
    RendererValueType,
)

from tongban.errors import RecordError
from tongban.identifiers import (
    DEFAULT_REGION_CHECK,
    RegionCheck,
    check_credit_code,
    check_id_number,
    well_formed_credit_codes,
    well_formed_id_numbers,
    written_upper,
)
from tongban.normalize import gender_code, parse_date

if TYPE_CHECKING:
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

__all__ = [
    "Explains",
    "KnownKeys",
    "WholeColumnMetric",
    "batch_scope",
    "credit_codes",
    "dates",
    "failure",
    "genders",
    "id_numbers",
    "known_key_lookup",
    "memoized",
    "missing",
    "per_distinct",
]

KeyLookup = Callable[[Collection[str]], Collection[str]]
KnownKeys = Collection[str] | KeyLookup
"""Keys the store holds: a set, or a function from candidate keys to those present."""

_memo: ContextVar[dict[Hashable, pd.Series] | None] = ContextVar("expectations_memo", default=None)
_known: ContextVar[Mapping[str, KnownKeys] | None] = ContextVar(
    "expectations_known_keys", default=None
)


@contextmanager
def batch_scope(known_keys: Mapping[str, KnownKeys] | None = None) -> Iterator[None]:
    """Share rule evaluations between the expectations of one batch; expose store keys.

    ``known_keys`` maps a key-set name (``"enterprise"``) to the keys the store holds.
    """
    memo_token = _memo.set({})
    keys_token = _known.set(dict(known_keys or {}))
    try:
        yield
    finally:
        _memo.reset(memo_token)
        _known.reset(keys_token)


def known_key_lookup(name: str) -> KeyLookup:
    """The look-up of key set ``name`` given to the current :func:`batch_scope`."""
    keys = (_known.get() or {}).get(name)
    if keys is None:
        raise LookupError(
            f"no keys of {name!r} were given for this batch; pass known_keys={{{name!r}: ...}}"
        )
    if callable(keys):
        return keys
    held = keys if isinstance(keys, set | frozenset) else frozenset(keys)
    return lambda candidates: held.intersection(candidates)


class Explains:
    """Mixin of our expectations: failures carry our rule name, Data Docs a plain sentence.

    ``_template`` is a GX string template over the expectation's keyword arguments, for
    example ``"$column values must be valid citizen ID numbers (GB 11643)"``.
    """

    _template: ClassVar[str] = "$column values must pass this rule"

    def explain(self, record: Mapping[str, Any]) -> RecordError | None:
        """The rule ``record`` breaks under this expectation, or None when it does not."""
        raise NotImplementedError

    def rule_name(self, default: str) -> str:
        """The suite's name for this rule (``meta["rule"]``), else ``default``."""
        meta = getattr(self, "meta", None) or {}
        return str(meta.get("rule") or default)

    @classmethod
    def _sentence(cls, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        params = {k: v for k, v in kwargs.items() if isinstance(v, str | int | float)}
        template = cls._template
        mostly = kwargs.get("mostly")
        if isinstance(mostly, int | float) and mostly < 1:
            params["mostly_pct"] = f"{mostly * 100:g}"
            template += ", at least $mostly_pct % of the time"
        return template + ".", params

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration
    ) -> RendererConfiguration:
        template, params = cls._sentence(renderer_configuration.kwargs or {})
        for name, value in params.items():
            renderer_configuration.add_param(
                name=name, param_type=RendererValueType.STRING, value=str(value)
            )
        renderer_configuration.template_str = template
        return renderer_configuration

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls,
        configuration: ExpectationConfiguration | None = None,
        result: ExpectationValidationResult | None = None,
        runtime_configuration: dict[str, Any] | None = None,
        **_: Any,
    ) -> list[RenderedStringTemplateContent]:
        if configuration is None and result is not None:
            configuration = result.expectation_config
        template, params = cls._sentence(configuration.kwargs if configuration else {})
        return [
            RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={"template": template, "params": params},
            )
        ]


def failure(check: Callable[[], object]) -> RecordError | None:
    """Run ``check``; return the :class:`RecordError` it raises, or None."""
    try:
        check()
    except RecordError as exc:
        return exc
    return None


def per_distinct(column: pd.Series, judge: Callable[[Any], Any]) -> pd.Series:
    """``judge`` applied once per distinct value, spread back to every row; NA stays None."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    verdicts = np.empty(len(uniques) + 1, dtype=object)
    verdicts[:-1] = [judge(u) for u in uniques]
    verdicts[-1] = None  # code -1 (missing) indexes the last slot
    return pd.Series(verdicts[codes], index=column.index, dtype=object)


def memoized(
    column: pd.Series, kind: Hashable, compute: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """``compute(column)``, kept for the rest of the batch under the column name and ``kind``."""
    memo = _memo.get()
    if memo is None:
        return compute(column)
    key = (column.name, kind)
    cached = memo.get(key)
    if cached is not None:
        if cached.index.equals(column.index):
            return cached
        missing = column.index.difference(cached.index)
        if missing.empty:
            return cached.reindex(column.index)
        cached = pd.concat([cached, compute(column.loc[missing])])
    else:
        cached = compute(column)
    memo[key] = cached
    return cached.reindex(column.index)


def missing(column: pd.Series) -> pd.Series:
    """Where ``column`` holds no value (GX's own test: None, NaN), found once per column
    and batch however many expectations ask."""
    return memoized(column, "missing", lambda c: c.isna())


class WholeColumnMetric(ColumnMapMetricProvider):
    """A column condition over every row, nulls included, with a null counted as passing.

    GX's default (``filter_column_isnull``) drops the nulls first: it tests the column
    for nulls and copies the frame without them for each metric an expectation needs
    (the condition, its unexpected count, values and index list), four times an
    expectation. A condition of ours is evaluated once per column anyway (``memoized``)
    and says itself that a null passes (``| missing(column)``); whether a value must be
    present at all is the business of ``expect_column_values_to_not_be_null``. The
    results are the same: the unexpected rows, and the ratio GX computes over the
    non-null count."""

    filter_column_isnull = False


def _or_none(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def judge(value: Any) -> Any:
        try:
            return check(value)
        except RecordError:
            return None

    return judge


def id_numbers(column: pd.Series, region_check: RegionCheck = DEFAULT_REGION_CHECK) -> pd.Series:
    """The 18-character form of each valid citizen ID number; None where invalid."""
    return memoized(
        column,
        ("id_number", region_check),
        lambda c: _canonical(
            c,
            lambda values: well_formed_id_numbers(values, region_check=region_check),
            lambda v: check_id_number(v, region_check=region_check),
        ),
    )


def credit_codes(column: pd.Series) -> pd.Series:
    """The canonical form of each valid credit code; None where invalid."""
    return memoized(
        column,
        "credit_code",
        lambda c: _canonical(c, well_formed_credit_codes, check_credit_code),
    )


def _canonical(
    column: pd.Series,
    well_formed: Callable[[Any], npt.NDArray[np.bool_]],
    check: Callable[[Any], str],
) -> pd.Series:
    """The canonical (upper-case) form of each valid identifier; None where invalid.

    Values valid as written are found for the whole column at once (``well_formed``);
    only the others are checked one by one, to be cleaned up or found wanting."""
    values = column.to_numpy(dtype=object)
    valid = well_formed(values)
    out = np.empty(len(values), dtype=object)
    good = values[valid]
    out[valid] = good if written_upper(good).all() else [v.upper() for v in good]
    others = ~valid
    if others.any():
        judge = _or_none(check)
        out[others] = [judge(v) for v in values[others]]
    return pd.Series(out, index=column.index, dtype=object)


_DATES_AS_GIVEN = frozenset({date, type(None)})


def dates(column: pd.Series) -> pd.Series:
    """Each value parsed with :func:`tongban.normalize.parse_date`; None where it is not a date."""
    judge = _or_none(lambda v: parse_date(v, field=str(column.name)))

    def parse(c: pd.Series) -> pd.Series:
        values = c.to_numpy(dtype=object)
        if set(map(type, values)) <= _DATES_AS_GIVEN:  # dates already: each is its own parse
            return pd.Series(values, index=c.index, dtype=object)
        return per_distinct(c, judge)

    return memoized(column, "date", parse)


def genders(column: pd.Series) -> pd.Series:
    """GB/T 2261.1 gender code of each value; None where it is not a gender."""
    return memoized(column, "gender", lambda c: per_distinct(c, _or_none(gender_code)))
