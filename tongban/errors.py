"""Error classes shared by every component.

Errors are classified where they enter the hub, so that a pipeline can decide from the
class alone what to do: a :class:`RecordError` quarantines one record and the run goes
on; a :class:`RetriableError` is tried again with backoff; a :class:`FatalError` stops
the run with its message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "BatchHeld",
    "EntryError",
    "FatalError",
    "RecordError",
    "RetriableError",
    "TongbanError",
    "by_value",
]


class TongbanError(Exception):
    """Base of every error tongban raises on purpose."""


class FatalError(TongbanError):
    """The run cannot go on (bad definition, wrong credentials, corrupt state)."""


class RetriableError(TongbanError):
    """A transient failure (timeout, 429, 5xx): the same call may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecordError(TongbanError):
    """One record broke a named rule; it is quarantined with the rule and the message.

    ``rule`` is a dotted name a reviewer can look up, for example ``id_number.checksum``.
    """

    def __init__(self, rule: str, message: str, *, value: object = None, field: str | None = None):
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
        self.value = value
        self.field = field

    def __reduce__(self) -> tuple[object, ...]:
        # Picklable with its fields (records staged in a worker process carry these).
        return (_record_error, (self.rule, self.message, self.value, self.field))


def by_value(
    rule: Callable[[Any], Any], values: Sequence[Any], rows: Iterable[int], out: list[Any]
) -> dict[int, RecordError]:
    """``rule`` applied to each of ``rows`` of ``values``, into ``out``: a value the rule
    refuses becomes None there, and its :class:`RecordError` is returned by position (the
    value-level fallback of a column check, for the values the column check left open)."""
    errors: dict[int, RecordError] = {}
    for i in rows:
        try:
            out[i] = rule(values[i])
        except RecordError as exc:
            out[i] = None
            errors[i] = exc
    return errors


def _record_error(rule: str, message: str, value: object, field: str | None) -> RecordError:
    return RecordError(rule, message, value=value, field=field)


class EntryError(RecordError):
    """A record refused where it entered the hub, before any mapping: text no store can
    hold, a value that would act as a formula, a row a file did not hold whole. Its rule
    is the one a reviewer reads, whatever validation later says of the record."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_entry_error, (self.rule, self.message, self.value, self.field))


def _entry_error(rule: str, message: str, value: object, field: str | None) -> EntryError:
    return EntryError(rule, message, value=value, field=field)


class BatchHeld(FatalError):
    """The data-quality gate stopped a batch: nothing of it was written, and the run stops.

    Carries the batch as received (``records``), the validation result and the cursor
    the batch would have moved the source to, so the batch can be kept for review.
    """

    def __init__(
        self,
        reason: str,
        records: list[tuple[str | None, object]] | None = None,
        result: dict[str, object] | None = None,
        cursor_after: object = None,
    ):
        super().__init__(f"batch held back by the data-quality gate: {reason}")
        self.reason = reason
        self.records = records or []
        self.result = result
        self.cursor_after = cursor_after

    def __reduce__(self) -> tuple[object, ...]:
        return (BatchHeld, (self.reason, self.records, self.result, self.cursor_after))
