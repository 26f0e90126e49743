"""``airflow dags test`` of the consumer half's DAGs against a store holding cases: the
supervision scan raises the cards that are due, the dispatcher delivers the cases and
cards to the sandbox provincial platform and e-supervision, and the monthly report is
written for the month asked."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta, timezone

import pytest
from airflow_kit import BIN

from exchange.cases import record_events
from exchange.outbox import outbox_status
from exchange.supervision import list_cards
from sandbox.receivers import CaseReceiver
from tongban.identifiers import id_check_char
from tongban.store import Store

pytestmark = pytest.mark.slow

CST = timezone(timedelta(hours=8))
MATERNITY = "11110000RS0201"  # 生育津贴申领: 10 working days


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _events(cases: int) -> list[dict]:
    out = []
    for i in range(cases):
        body = f"110105198{i}0101{i:03d}"
        case_no = f"AF{i:04d}"
        start = datetime(2026, 10, 9, 9, tzinfo=CST)
        out += [
            {"type": "received", "event_id": f"{case_no}-1", "case_no": case_no,
             "at": start.isoformat(), "item_code": MATERNITY,
             "applicant_id": body + id_check_char(body), "channel": "online"},
            {"type": "accepted", "event_id": f"{case_no}-2", "case_no": case_no,
             "at": (start + timedelta(minutes=30)).isoformat()},
        ]  # fmt: skip
    return out


def test_scan_dispatch_and_report(airflow_home, tmp_path):
    env = {**airflow_home, "TONGBAN_DATA_DIR": str(tmp_path / "hub")}
    _run([str(BIN / "tongban"), "init"], env)
    store = Store(f"sqlite:///{tmp_path / 'hub' / 'tongban.db'}")
    try:
        record_events(store, "qlb-zwfw", _events(3), now=datetime(2026, 10, 9, 2, tzinfo=UTC))
        with CaseReceiver.province("tongban", "s3cret") as province, \
                CaseReceiver.supervision("t0ken") as supervision:  # fmt: skip
            env.update(
                TONGBAN_OUTBOX_PROVINCE_URL=province.url,
                TONGBAN_OUTBOX_PROVINCE_APP_KEY="tongban",
                TONGBAN_OUTBOX_PROVINCE_SECRET="s3cret",
                TONGBAN_OUTBOX_SUPERVISION_URL=supervision.url,
                TONGBAN_OUTBOX_SUPERVISION_TOKEN="t0ken",
            )
            _run([str(BIN / "airflow"), "dags", "test", "supervision_scan"], env)
            cards = list_cards(store)
            # Received in October with 10 working days: long past due, a red card each.
            assert {c["case_no"] for c in cards if c["kind"] == "red"} == {
                "AF0000", "AF0001", "AF0002"
            }  # fmt: skip
            _run([str(BIN / "airflow"), "dags", "test", "dispatch_outbox"], env)
            assert province.stats()["messages"] >= 6  # every case event
            assert supervision.stats()["messages"] >= 3  # every card
            assert all(row["pending"] == 0 for row in outbox_status(store))

        _run([str(BIN / "airflow"), "dags", "test", "monthly_report", "-c",
              json.dumps({"period": "2026-10"})], env)  # fmt: skip
        csv = tmp_path / "hub" / "reports" / "cases-2026-10.csv"
        assert csv.exists() and MATERNITY in csv.read_text(encoding="utf-8-sig")
    finally:
        store.dispose()
