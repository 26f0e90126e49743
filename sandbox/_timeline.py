"""When each record of a source last changed, and the records in change order.

Change times fall on a coarse grid of slots over the 30 days before the world's clock,
so that many records share exactly the same timestamp (connectors must handle ties).
The order is (timestamp, index), which is the order both the SOAP and the REST stand-in
serve; a position in it can be found from a timestamp or from the last record served,
which is what makes stateless cursors possible.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta

from sandbox._draw import mix64

__all__ = ["Timeline"]

_RECORDS_PER_SLOT = 6


class Timeline:
    """Change times of ``count`` records: ``timestamp(i)`` and the sorted order."""

    def __init__(self, salt: int, count: int, end: datetime, span: timedelta) -> None:
        seconds = int(span.total_seconds())
        self.count = count
        self.slots = max(1, min(count // _RECORDS_PER_SLOT, seconds // 60))
        self.step = seconds // self.slots
        self.start = end - timedelta(seconds=self.step * self.slots)
        slots = self.slots
        buckets: list[list[int]] = [[] for _ in range(slots)]
        for i in range(count):
            buckets[mix64(salt ^ i) % slots].append(i)
        self.order: list[int] = [i for bucket in buckets for i in bucket]
        self.offsets: list[int] = [0]
        for bucket in buckets:
            self.offsets.append(self.offsets[-1] + len(bucket))
        self._salt = salt
        self._iso: list[str] = [self.slot_time(s).isoformat() for s in range(slots)]

    def slot(self, i: int) -> int:
        return mix64(self._salt ^ i) % self.slots

    def slot_time(self, slot: int) -> datetime:
        return self.start + timedelta(seconds=self.step * slot)

    def timestamp(self, i: int) -> datetime:
        return self.slot_time(self.slot(i))

    def iso(self, i: int) -> str:
        """``timestamp(i)`` as ISO 8601 with its +08:00 offset (precomputed per slot)."""
        return self._iso[self.slot(i)]

    def position_since(self, since: datetime) -> int:
        """Position of the first record whose timestamp is at or after ``since``."""
        seconds = (since - self.start).total_seconds()
        if seconds <= 0:
            return 0
        slot = -int(-seconds // self.step)  # ceiling: the first slot not before `since`
        return self.offsets[min(slot, self.slots)]

    def position_after(self, slot: int, i: int) -> int:
        """Position just after record ``i`` of ``slot`` in (timestamp, index) order."""
        if slot < 0:
            return 0
        if slot >= self.slots:
            return self.count
        lo, hi = self.offsets[slot], self.offsets[slot + 1]
        return bisect_right(self.order, i, lo, hi)

    def slot_at(self, when: datetime) -> int | None:
        """The slot whose time is exactly ``when``, or None."""
        seconds = (when - self.start).total_seconds()
        slot, rest = divmod(int(seconds), self.step)
        if rest or seconds != int(seconds) or not 0 <= slot < self.slots:
            return None
        return slot

    def position_of_slot(self, slot: int) -> int:
        return self.offsets[max(0, min(slot, self.slots))]

    def contains(self, slot: int, i: int) -> bool:
        lo, hi = self.offsets[slot], self.offsets[slot + 1]
        pos = bisect_left(self.order, i, lo, hi)
        return pos < hi and self.order[pos] == i
