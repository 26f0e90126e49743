"""The audit chain: tampering of every kind is found and the first broken entry named."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from exchange import AuditEntry, AuditLog
from tongban.store import Store


def _log(store: Store, n: int = 6) -> AuditLog:
    log = AuditLog(store)
    for i in range(n):
        log.append(
            AuditEntry(
                request_id=str(uuid.uuid4()),
                method="GET",
                path=f"/v1/people/{i}",
                outcome="allowed" if i % 2 else "refused",
                status=200 if i % 2 else 403,
                client_id="zwfw",
                service_item="11110000RS0201",
                case_no=f"C-{i}",
                subject=f"S{i}",
                resource="person",
                fields=("name",),
                reason=None if i % 2 else "grant.missing",
            )
        )
    return log


def _exec(store: Store, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(sql))


def test_an_intact_chain_verifies(store: Store):
    log = _log(store)
    report = log.verify()
    assert report.ok and report.entries == 6


@pytest.mark.parametrize(
    ("tamper", "seq", "rule"),
    [
        ("UPDATE audit_log SET case_no = 'C-forged' WHERE seq = 3", 3, "audit.hash"),
        ("UPDATE audit_log SET status = 200, outcome = 'allowed' WHERE seq = 1", 1, "audit.hash"),
        ("DELETE FROM audit_log WHERE seq = 4", 4, "audit.missing"),
        ("DELETE FROM audit_log WHERE seq = 6", 6, "audit.head"),
        # A forged entry slipped in at 3, the rest moved down one place.
        (
            "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3;"
            "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100;"
            "INSERT INTO audit_log SELECT 3, at, request_id, client_id, operator, service_item,"
            " case_no, method, path, subject, resource, fields, outcome, status, reason,"
            " answer_sha256, prev_hash, entry_hash FROM audit_log WHERE seq = 2",
            3,
            "audit.link",
        ),
        # Entries 2 and 3 swapped.
        (
            "UPDATE audit_log SET seq = 100 WHERE seq = 2;"
            "UPDATE audit_log SET seq = 2 WHERE seq = 3;"
            "UPDATE audit_log SET seq = 3 WHERE seq = 100",
            2,
            "audit.link",
        ),
    ],
)
def test_tampering_is_found_at_the_first_broken_entry(
    store: Store, tamper: str, seq: int, rule: str
):
    log = _log(store)
    for statement in tamper.split(";"):
        _exec(store, statement)
    report = log.verify()
    assert report.broken is not None, tamper
    assert (report.broken.seq, report.broken.rule) == (seq, rule), str(report.broken)


def test_a_recomputed_edit_breaks_the_next_link(store: Store):
    """Whoever edits an entry and fixes its own hash still breaks the one after it."""
    from sqlalchemy import select

    from exchange.audit import entry_hash
    from tongban.store.schema import audit_log

    log = _log(store)
    with store.engine.begin() as conn:
        q = select(audit_log).where(audit_log.c.seq == 3)
        row = dict(conn.execute(q).mappings().one())
        row["case_no"] = "C-forged"
        forged = entry_hash(row["prev_hash"], row)
        conn.execute(
            text("UPDATE audit_log SET case_no = 'C-forged', entry_hash = :h WHERE seq = 3"),
            {"h": forged},
        )
    broken = log.verify().broken
    assert broken is not None and (broken.seq, broken.rule) == (4, "audit.link")


def test_cli_verify_names_the_broken_entry(tmp_path, monkeypatch):
    from cli import app

    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path))
    store = Store(f"sqlite:///{tmp_path / 'tongban.db'}")
    store.migrate()
    _log(store, 4)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "up to entry 4" in ok.output, ok.output
    assert "no pinned hub root" in ok.output  # nothing anchored yet: a warning, not intact
    _exec(store, "UPDATE audit_log SET subject = 'someone else' WHERE seq = 2")
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "entry 2" in bad.output and "audit.hash" in bad.output
    store.dispose()
