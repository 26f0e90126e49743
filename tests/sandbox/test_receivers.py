"""The sandbox receivers: their own auth each, duplicates and order counted."""

from __future__ import annotations

import pytest

from exchange.outbox import HttpReceiver
from exchange.outbox.transport import bearer_auth, province_auth
from sandbox.receivers import CaseReceiver
from tongban.errors import FatalError


def _message(case_no: str, seq: int) -> dict:
    return {"idempotency_key": f"province:{case_no}:{seq}", "case_no": case_no, "seq": seq,
            "type": "accepted"}  # fmt: skip


def test_each_receiver_has_its_own_auth() -> None:
    with CaseReceiver.province("k", "s") as province, CaseReceiver.supervision("t") as sup:
        with pytest.raises(FatalError, match="401"):
            HttpReceiver("province", province.url, bearer_auth("t")).send([_message("C", 1)])
        with pytest.raises(FatalError, match="401"):
            HttpReceiver("supervision", sup.url, province_auth("k", "s")).send([])
        ok = HttpReceiver("province", province.url, province_auth("k", "s"))
        assert ok.send([_message("C", 1)]).delivered == {"province:C:1"}


def test_duplicates_are_counted_and_order_is_enforced() -> None:
    with CaseReceiver.province("k", "s") as province:
        client = HttpReceiver("province", province.url, province_auth("k", "s"))
        client.send([_message("C", 1), _message("C", 2)])
        again = client.send([_message("C", 2)])
        assert again.delivered == {"province:C:2"}  # acknowledged, not applied twice
        gap = client.send([_message("C", 4), _message("C", 3)])
        assert set(gap.refused) == {"province:C:4", "province:C:3"}  # 3 follows a refusal
        assert client.received(["province:C:1", "province:C:3"]) == {"province:C:1"}
        stats = province.stats()
        assert (stats["duplicates"], stats["order_violations"], stats["messages"]) == (1, 2, 2)
        assert province.sequences() == {"C": [1, 2]}
