"""Exactly once, end to end: 10,000 case events pushed by dispatcher processes to a
provincial platform that fails 30% of calls (5xx and timeouts, half of the timeouts after
applying the messages) and goes fully down for a while; one dispatcher is killed with
SIGKILL part-way and started again, next to a second one running all along."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from case_events import CST, many_cases
from sqlalchemy import func, select

from exchange.cases import record_events
from sandbox.receivers import CaseReceiver
from tongban.store import Store, schema

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CASES, PER_CASE = 2000, 5
TONGBAN = str(Path(sys.executable).with_name("tongban"))


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        t = schema.metadata.tables[table]
        return conn.execute(select(func.count()).select_from(t)).scalar_one()


def _dispatcher(env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [TONGBAN, "outbox", "dispatch", "--until-empty", "--name", name],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_ten_thousand_events_arrive_exactly_once_in_order(new_pg_store: Store, tmp_path) -> None:
    store = new_pg_store
    events = list(many_cases(CASES, PER_CASE, start=datetime(2026, 11, 2, 9, tzinfo=CST)))
    now = datetime(2026, 11, 30, tzinfo=UTC)
    for n in range(0, len(events), 1000):
        record_events(store, "qlb-zwfw", events[n : n + 1000], now=now)
    assert _count(store, "outbox") == CASES * PER_CASE

    with CaseReceiver.province("tongban", "s3cret", failure_rate=0.3, hang_seconds=0.6,
                               seed=18) as province, \
            CaseReceiver.supervision("t0ken") as supervision:  # fmt: skip
        env = {
            **os.environ,
            "TONGBAN_DATABASE_URL": store.url,
            "TONGBAN_DATA_DIR": str(tmp_path),
            "TONGBAN_OUTBOX_PROVINCE_URL": province.url,
            "TONGBAN_OUTBOX_PROVINCE_APP_KEY": "tongban",
            "TONGBAN_OUTBOX_PROVINCE_SECRET": "s3cret",
            "TONGBAN_OUTBOX_SUPERVISION_URL": supervision.url,
            "TONGBAN_OUTBOX_SUPERVISION_TOKEN": "t0ken",
            "TONGBAN_OUTBOX_TIMEOUT": "0.3",
            "TONGBAN_OUTBOX_LANES_PER_CLAIM": "25",
            "TONGBAN_OUTBOX_BACKOFF_BASE": "0.05",
            "TONGBAN_OUTBOX_BACKOFF_CAP": "0.8",
            "TONGBAN_OUTBOX_MAX_ATTEMPTS": "200",
            "TONGBAN_OUTBOX_LEASE_SECONDS": "4",
            "TONGBAN_OUTBOX_POLL_SECONDS": "0.05",
        }
        log = tmp_path / "dispatchers.log"
        first = _dispatcher(env, "first", log)
        second = _dispatcher(env, "second", log)
        try:
            total = CASES * PER_CASE
            _wait_for(lambda: province.stats()["messages"] >= total // 5, 120, "a fifth")
            province.down_for(2.0)  # fully down: every call hangs up
            first.send_signal(signal.SIGKILL)  # mid-flight, leases and all
            first.wait()
            at_kill = province.stats()["messages"]
            restarted = _dispatcher(env, "restarted", log)
            for proc in (second, restarted):
                assert proc.wait(timeout=240) == 0, log.read_text()
        finally:
            for proc in (first, second):
                if proc.poll() is None:
                    proc.kill()
        stats = province.stats()
        sequences = province.sequences()

    assert 0 < at_kill < total
    assert stats["errors_5xx"] > 0 and stats["timeouts"] > 0 and stats["down_hangups"] > 0
    assert stats["messages"] == total  # every event arrived
    assert stats["duplicates"] == 0  # none twice, by idempotency key
    assert stats["order_violations"] == 0
    assert len(sequences) == CASES
    assert all(seqs == list(range(1, PER_CASE + 1)) for seqs in sequences.values())
    assert _count(store, "outbox") == 0 and _count(store, "outbox_lane") == 0
