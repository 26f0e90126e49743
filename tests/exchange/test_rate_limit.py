"""The rate counter lives in the store, so every API process counts against one limit."""

from __future__ import annotations

import pytest

from exchange.errors import Refusal
from exchange.ratelimit import RateLimiter
from tongban.store import Store


def test_two_limiters_over_one_store_share_the_count(store: Store):
    # Two limiters stand for two API processes: each has its own connections.
    first, second = RateLimiter(store, window_s=3600), RateLimiter(store, window_s=3600)
    hits = [lim.hit("zwfw", limit=5) for lim in (first, second, first, second, first)]
    assert hits == [1, 2, 3, 4, 5]
    with pytest.raises(Refusal) as refused:
        second.hit("zwfw", limit=5)
    assert refused.value.status == 429 and refused.value.rule == "rate.limit"
    assert refused.value.retry_after is not None and 1 <= refused.value.retry_after <= 3600
    assert first.hit("other", limit=5) == 1  # another client has its own count
    first.dispose()
    second.dispose()
