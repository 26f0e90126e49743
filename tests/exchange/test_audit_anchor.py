"""Anchors of the audit chain: a chain rewritten from the start, every hash and the head
recomputed, is caught by the anchors the hub TSA signed; a forged anchor is refused."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from audit_forgery import append_entries as _append
from audit_forgery import forge_anchors
from audit_forgery import hub_seals as _seals
from audit_forgery import rewrite_from_the_start as _rewrite_from_the_start
from sqlalchemy import text, update
from typer.testing import CliRunner

from exchange import AuditLog
from exchange.anchor import Anchorer, anchor_head, anchor_now, load_anchors, load_roots
from license_vault import SealRegistry
from tongban.store import Store
from tongban.store.schema import audit_head


@pytest.fixture
def anchored(store: Store, tmp_path: Path) -> tuple[AuditLog, SealRegistry, Path]:
    """A chain of 9 entries with anchors over entries 4 and 9; the hub root pinned."""
    log, seals, root = AuditLog(store), _seals(store, tmp_path), tmp_path / "hub-root.pem"
    assert anchor_now(store, seals, root) is None  # an empty chain has nothing to anchor
    _append(log, 4)
    first = anchor_now(store, seals, root)
    assert first is not None and first.seq == 4
    _append(log, 5)
    assert anchor_now(store, seals, root) is not None
    again = anchor_now(store, seals, root)  # the same head again: the first anchor stays
    assert again is not None and again.seq == 9
    assert [a.seq for a in load_anchors(store)] == [4, 9]
    return log, seals, root


def test_anchors_are_made_and_hold(anchored: tuple[AuditLog, SealRegistry, Path]):
    log, seals, root = anchored
    pinned = load_roots(root)
    assert pinned == [seals.root().certificate]
    report = log.verify(roots=pinned)
    assert report.ok and report.entries == 9
    assert [a.seq for a in report.anchors] == [4, 9]


def test_a_chain_rewritten_from_the_start_is_caught_by_its_first_anchor(
    anchored: tuple[AuditLog, SealRegistry, Path],
):
    log, _, root = anchored
    _rewrite_from_the_start(log.store)
    assert log.verify().ok  # the chain alone is whole again
    broken = log.verify(roots=load_roots(root)).broken
    assert broken is not None and (broken.seq, broken.rule) == (4, "audit.anchor"), broken
    assert "anchor of" in broken.message and "over entry 4" in broken.message
    assert "rewritten" in broken.message


def test_anchors_forged_with_another_key_are_refused(
    anchored: tuple[AuditLog, SealRegistry, Path],
):
    """The forger replaces the seal rows with a root and TSA of their own and anchors the
    rewritten chain with them: the pinned root, kept off the store, refuses the tokens."""
    log, _, root = anchored
    pinned = root.read_bytes()
    forger = forge_anchors(log.store, root, root.parent / "forger")
    assert root.read_bytes() == pinned  # the pinned file is not replaced
    assert log.verify(roots=forger.roots()).ok  # it would hold under the forger's root
    broken = log.verify(roots=load_roots(root)).broken
    assert broken is not None and (broken.seq, broken.rule) == (9, "audit.anchor"), broken
    assert "tsa.token_invalid" in broken.message


def test_an_anchor_moved_to_a_rewritten_hash_is_refused(
    anchored: tuple[AuditLog, SealRegistry, Path],
):
    log, _, root = anchored
    _rewrite_from_the_start(log.store)
    with log.store.engine.begin() as conn:  # the anchors made to name the new hashes
        conn.execute(
            text(
                "UPDATE audit_anchor SET entry_hash ="
                " (SELECT entry_hash FROM audit_log WHERE audit_log.seq = audit_anchor.seq)"
            )
        )
    broken = log.verify(roots=load_roots(root)).broken
    assert broken is not None and (broken.seq, broken.rule) == (4, "audit.anchor"), broken
    assert "tsa.token_invalid" in broken.message


def test_entries_cut_off_after_an_anchor_are_caught(
    anchored: tuple[AuditLog, SealRegistry, Path],
):
    log, _, root = anchored
    with log.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > 6"))
        h = conn.execute(text("SELECT entry_hash FROM audit_log WHERE seq = 6")).scalar_one()
        conn.execute(update(audit_head).values(seq=6, entry_hash=h))
    assert log.verify().ok
    broken = log.verify(roots=load_roots(root)).broken
    assert broken is not None and (broken.seq, broken.rule) == (9, "audit.anchor"), broken
    assert "cut off" in broken.message


def test_the_api_anchors_at_its_interval(store: Store, tmp_path: Path):
    """The app starts its anchoring thread at startup; a round anchors the head."""
    from exchange import ExchangeSettings, create_app
    from tongban.settings import Settings

    log = AuditLog(store)
    _append(log, 3)
    app = create_app(
        Settings(data_dir=tmp_path), ExchangeSettings(anchor_interval_s=1), store=store
    )

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            deadline = time.monotonic() + 60  # a wait limit, not a timing assertion
            while not load_anchors(store) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)

    asyncio.run(serve())
    app.state.hub.dispose()
    assert [a.seq for a in load_anchors(store)] == [3]
    root = tmp_path / "vault" / "hub-root.pem"
    assert log.verify(roots=load_roots(root)).ok
    # A round soon after another process's anchor does nothing.
    again = Anchorer(store, lambda: anchor_head(store, app.state.hub.seals.hub_tsa()), 3600)
    assert again.round() is None


def test_cli_anchor_and_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from cli import app

    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path))
    store = Store(f"sqlite:///{tmp_path / 'tongban.db'}")
    store.migrate()
    _append(AuditLog(store), 4)
    runner = CliRunner()
    made = runner.invoke(app, ["audit", "anchor"])
    assert made.exit_code == 0 and "over entry 4" in made.output, made.output
    assert (tmp_path / "vault" / "hub-root.pem").exists()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "1 anchor holds" in ok.output, ok.output
    _rewrite_from_the_start(store)
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "audit.anchor" in bad.output, bad.output
    assert "over entry 4" in bad.output
    elsewhere = runner.invoke(app, ["audit", "verify", "--root", str(tmp_path / "none.pem")])
    assert elsewhere.exit_code == 1 and "no pinned hub root" in elsewhere.output
    store.dispose()


def test_the_console_checks_anchors_under_the_pinned_root(
    store: Store, anchored: tuple[AuditLog, SealRegistry, Path], tmp_path: Path
):
    """The console's "check the chain" is `audit verify`: a rewrite that only the anchors
    catch is caught there too, and anchors with no pinned root are not a pass."""
    from console.app import Console
    from console.pages_exchange import _verify_chain
    from exchange import Hub
    from exchange.settings import ExchangeSettings
    from tongban.settings import Settings

    _, _, root = anchored
    hub = Settings(data_dir=tmp_path, database_url=store.url)
    exchange = Hub(hub, ExchangeSettings(anchor_root=root), store=store)
    console = Console(store, hub, exchange=exchange)
    verdict = _verify_chain(console)
    assert verdict.state == "intact" and verdict.last_anchor is not None
    assert verdict.last_anchor.seq == 9 and verdict.root_path == root
    _rewrite_from_the_start(store)
    broken = _verify_chain(console).broken
    assert broken is not None and (broken.seq, broken.rule) == (4, "audit.anchor")
    root.unlink()
    verdict = _verify_chain(console)
    assert verdict.state == "unpinned" and verdict.stored_anchors == 2
    assert verdict.unpinned is not None and "no pinned hub root" in verdict.unpinned
