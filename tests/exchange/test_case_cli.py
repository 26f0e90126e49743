"""The ``tongban cases / outbox / supervision / report`` commands on the embedded store."""

from __future__ import annotations

import json

import pytest
from case_events import event, full_case, id_number, received
from typer.testing import CliRunner

from cli import app
from cli._common import state
from sandbox.receivers import CaseReceiver


@pytest.fixture
def cli(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TONGBAN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    state._store = None
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    if state._store is not None:
        state._store.dispose()
        state._store = None


def test_intake_push_cards_and_report_from_the_command_line(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").exit_code == 0
    events = [
        *full_case("C1", "2026-11-02"),
        received("C2", "2026-11-03 09:00", applicant=id_number(1)),
        event("accepted", "C2", "2026-11-03 09:10", 2),
        event("correction", "C2", "2026-11-03 10:00", 3, materials=["户口本复印件"]),
    ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    result = cli("cases", "intake", str(path), "--client", "qlb")
    assert (
        result.exit_code == 0 and "7 events stored, 0 sent before; 2 cards raised" in result.output
    )

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(event("reviewed", "C9", "2026-11-03 10:00", 2)) + "\n")
    result = cli("cases", "intake", str(bad), "--client", "qlb")
    assert result.exit_code == 1
    assert "nothing stored: case.unknown: event 0 (C9-2): case C9 was never received" in \
        result.output.replace("\n", "")  # fmt: skip

    result = cli("cases", "progress", "C1", "--id", id_number(1))
    assert result.exit_code == 0 and '"stage_name": "办结"' in result.output
    assert cli("cases", "progress", "C1", "--id", id_number(2)).exit_code == 1

    result = cli("supervision", "cards")
    assert "擅自增加申请材料" in result.output and "重复提交" in result.output
    assert "重复提交" not in cli("supervision", "cards", "--kind", "extra_material").output
    assert cli("supervision", "sweep").exit_code == 0

    status = cli("outbox", "status").output
    assert "province" in status and "supervision" in status
    with CaseReceiver.province("k", "s") as province, CaseReceiver.supervision("t") as sup:
        for name, value in (("PROVINCE_URL", province.url), ("PROVINCE_APP_KEY", "k"),
                            ("PROVINCE_SECRET", "s"), ("SUPERVISION_URL", sup.url),
                            ("SUPERVISION_TOKEN", "t")):  # fmt: skip
            monkeypatch.setenv(f"TONGBAN_OUTBOX_{name}", value)
        result = cli("outbox", "dispatch", "--until-empty")
        assert result.exit_code == 0
        delivered = int(result.output.split(" messages delivered")[0].split()[-1])
        # Seven events; two cards from intake, and a red one if the sweep ran after the
        # limit (it reads today's date).
        assert province.stats()["messages"] == 7 and sup.stats()["messages"] >= 2
        assert delivered == 7 + sup.stats()["messages"]
    assert "the outbox is empty" in cli("outbox", "status").output
    assert "no dead letters" in cli("outbox", "dead").output
    assert "0 dead messages back in line" in cli("outbox", "retry").output

    result = cli("report", "--period", "2026-11")
    assert result.exit_code == 0
    html = tmp_path / "data" / "reports" / "cases-2026-11.html"
    assert html.exists() and (tmp_path / "data" / "reports" / "cases-2026-11.csv").exists()
    assert str(html) in result.output.replace("\n", "")
    assert "error: period '11/2026'" in cli("report", "--period", "11/2026").output


def test_dispatch_without_receivers_says_what_to_set(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("PROVINCE_URL", "PROVINCE_APP_KEY", "PROVINCE_SECRET"):
        monkeypatch.delenv(f"TONGBAN_OUTBOX_{name}", raising=False)
    cli("init")
    result = cli("outbox", "dispatch")
    assert result.exit_code == 1 and "TONGBAN_OUTBOX_PROVINCE_URL" in result.output
