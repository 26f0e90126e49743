"""The dispatcher against the sandbox receivers: order, faults, lost answers, dead letters."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from case_events import CST, many_cases
from sqlalchemy import func, select

from exchange.cases import record_events
from exchange.outbox import (
    Dispatcher,
    DispatchOptions,
    HttpReceiver,
    backoff,
    dead_letters,
    outbox_status,
    retry_dead,
)
from exchange.outbox.transport import bearer_auth, province_auth
from sandbox.receivers import CaseReceiver
from tongban.errors import FatalError
from tongban.store import Store, schema

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
FAST = DispatchOptions(lanes_per_claim=40, backoff_base=0.01, backoff_cap=0.2, max_attempts=60,
                       poll_seconds=0.02, lease_seconds=30)  # fmt: skip


@pytest.fixture
def receivers() -> Iterator[tuple[CaseReceiver, CaseReceiver]]:
    with CaseReceiver.province("tongban", "s3cret", hang_seconds=0.3) as province, \
            CaseReceiver.supervision("t0ken", hang_seconds=0.3) as supervision:  # fmt: skip
        yield province, supervision


def _clients(province: CaseReceiver, supervision: CaseReceiver, *, secret: str = "s3cret"):  # type: ignore[no-untyped-def]
    return {
        "province": HttpReceiver("province", province.url, province_auth("tongban", secret),
                                 timeout=0.15),
        "supervision": HttpReceiver("supervision", supervision.url, bearer_auth("t0ken"),
                                    timeout=0.15),
    }  # fmt: skip


def _in_order(receiver: CaseReceiver) -> bool:
    return all(s == list(range(1, len(s) + 1)) for s in receiver.sequences().values())


def _outbox_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.outbox)).scalar_one()


def test_faults_and_lost_answers_deliver_each_message_once_in_order(  # type: ignore[no-untyped-def]
    store: Store, receivers
) -> None:
    province, supervision = receivers
    events = list(many_cases(120, 5, start=datetime(2026, 11, 2, 9, tzinfo=CST)))
    record_events(store, "qlb", events, now=NOW)
    province.set_failure_rate(0.35)
    workers = [Dispatcher(store, _clients(province, supervision), FAST, name=f"d{i}",
                          rng=random.Random(i)) for i in range(2)]  # fmt: skip
    threads = [threading.Thread(target=w.run, kwargs={"until_empty": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    stats = province.stats()
    assert stats["timeouts"] > 0 and stats["errors_5xx"] > 0  # the faults did happen
    assert stats["messages"] == len(events) and stats["duplicates"] == 0
    assert stats["order_violations"] == 0 and _in_order(province)
    assert sum(w.delivered for w in workers) == len(events)
    assert _outbox_rows(store) == 0 and outbox_status(store) == []


def test_a_lane_goes_dead_after_its_attempts_and_a_retry_finishes_it(  # type: ignore[no-untyped-def]
    store: Store, receivers
) -> None:
    province, supervision = receivers
    record_events(store, "qlb", list(many_cases(3, 4, start=datetime(2026, 11, 2, 9, tzinfo=CST))),
                  now=NOW)  # fmt: skip
    province.down_for(3600)
    options = FAST.model_copy(update={"max_attempts": 3})
    dispatcher = Dispatcher(store, _clients(province, supervision), options)
    dispatcher.run(until_empty=True)
    status = {r["target"]: r for r in outbox_status(store)}["province"]
    # Each case's first message is dead; the rest wait behind it, in order.
    assert status["dead"] == 3 and status["pending"] == 9 and status["blocked_lanes"] == 3
    dead = dead_letters(store)
    assert {d["seq"] for d in dead} == {1} and all("gave up" in d["last_error"] for d in dead)
    province.down_for(0)
    assert retry_dead(store) == 3
    dispatcher.run(until_empty=True)
    assert _outbox_rows(store) == 0 and province.stats()["messages"] == 12
    assert province.stats()["duplicates"] == 0 and _in_order(province)


def test_wrong_credentials_stop_the_dispatcher_with_the_reason(store: Store, receivers) -> None:  # type: ignore[no-untyped-def]
    province, supervision = receivers
    record_events(store, "qlb", list(many_cases(1, 2, start=datetime(2026, 11, 2, 9, tzinfo=CST))),
                  now=NOW)  # fmt: skip
    dispatcher = Dispatcher(store, _clients(province, supervision, secret="wrong"), FAST)
    with pytest.raises(FatalError, match=r"province: HTTP 401.*bad signature"):
        dispatcher.run(until_empty=True)
    assert _outbox_rows(store) == 2  # nothing lost


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    options = DispatchOptions(backoff_base=1.0, backoff_cap=30.0)
    rng = random.Random(1)
    for attempts, full in ((1, 1.0), (2, 2.0), (4, 8.0), (6, 30.0), (60, 30.0)):
        waits = [backoff(attempts, options, rng) for _ in range(200)]
        assert all(full / 2 <= w <= full for w in waits)
        assert max(waits) - min(waits) > full / 4  # not all the same: jitter
