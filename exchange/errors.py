"""Refusals: every answer that is not the data says why, with a rule's name.

    >>> raise Refusal(403, "grant.missing", "no grant for marriage under item GF-RSJ-0201")

The app turns a :class:`Refusal` into ``{"error": rule, "message": ..., "request_id": ...}``
with its status (401, 403, 404, 409, 422, 429) and writes its audit entry first.
"""

from __future__ import annotations

from pydantic import BaseModel

from tongban.errors import RecordError

__all__ = ["Problem", "Refusal", "from_record_error"]


class Refusal(Exception):
    """A request refused: HTTP status, the rule it broke, a message a person can act on."""

    def __init__(
        self, status: int, rule: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{rule}: {message}")
        self.status = status
        self.rule = rule
        self.message = message
        self.retry_after = retry_after


class Problem(BaseModel):
    """The body of every refusal."""

    error: str
    message: str
    request_id: str


def from_record_error(exc: RecordError) -> Refusal:
    """A malformed identifier (``id_number.checksum``, ...) is bad input: 422."""
    return Refusal(422, exc.rule, exc.message)
