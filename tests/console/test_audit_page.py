"""The console's audit-chain check over HTTP: the verdict `tongban audit verify` reaches,
under the hub root pinned in the file the exchange settings name. An anchored chain is
intact with its last anchor; a chain rewritten from entry 1 with every hash recomputed is
broken at its first anchor; anchors forged under another root are refused; with no
pinned root the page warns instead of calling the chain intact."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from audit_forgery import append_entries, forge_anchors, rewrite_from_the_start
from console_hub import PASSWORD, serve
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import delete

from console import Console, ConsoleSettings, mount
from exchange import ExchangeSettings, Hub, create_app
from exchange.anchor import load_anchors
from tongban.settings import Settings
from tongban.store import Store
from tongban.store.schema import audit_anchor

ADMIN = "guanli"
CHAIN = r'<div class="(\w+)" role="\w+" id="chain" data-state="(\w+)">(.*?)</div>'


@dataclass
class Site:
    url: str  # the console's base URL
    hub: Hub  # the exchange's, which anchors as the API's interval thread does
    console: Console
    root: Path  # TONGBAN_EXCHANGE_ANCHOR_ROOT

    def check(self) -> tuple[str, str]:
        """Sign in as an administrator, press "check the audit chain": the verdict's state
        and its text."""
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=60) as c:
            r = c.post("/login", data={"username": ADMIN, "password": PASSWORD})
            assert r.status_code == 303, r.text
            page = c.get("/exchange/audit")
            assert page.status_code == 200 and 'id="chain"' not in page.text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            r = c.post("/exchange/audit/check", data={"csrf": csrf.group(1)})
        assert r.status_code == 200, r.text
        found = re.search(CHAIN, r.text, re.S)
        assert found is not None, r.text
        css, state, body = found.groups()
        assert css == {"intact": "notice", "broken": "error"}.get(state, "warning"), state
        return state, html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def site(store: Store, tmp_path: Path) -> Iterator[Site]:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, database_url=store.url)
    root = tmp_path / "off-host" / "hub-root.pem"  # not the default: the setting is read
    web = create_app(settings, ExchangeSettings(anchor_interval_s=0, anchor_root=root), store=store)
    hub = web.state.hub
    console = Console(
        store,
        settings,
        settings=ConsoleSettings(secret="test-secret-audit", data_dir=data),
        exchange=hub,
    )
    console.users.add(ADMIN, "陈管理", PASSWORD, roles=["admin"], actor="cli:test")
    mount(web, console)
    for base in serve(web):
        yield Site(base + "/console", hub, console, root)
    hub.dispose()


def _fingerprint(path: Path) -> str:
    (cert,) = x509.load_pem_x509_certificates(path.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex()


def test_an_anchored_chain_is_intact_with_its_last_anchor(site: Site) -> None:
    append_entries(site.hub.audit, 4)
    assert site.hub.anchor() is not None
    append_entries(site.hub.audit, 2)
    last = site.hub.anchor()
    assert last is not None and last.seq == 6
    state, text = site.check()
    assert state == "intact", text
    assert "审计链完整" in text and "校验至条目 6" in text
    assert f"最后锚定于 {last.at:%Y-%m-%d %H:%M:%S} UTC (条目 6; 有效锚定数 2)" in text, text
    assert _fingerprint(site.root) in text and str(site.root) in text
    events = site.console.users.events(action="exchange.audit.check")
    assert events and events[0]["detail"]["state"] == "intact", events


def test_a_chain_rewritten_from_the_start_is_broken_at_its_first_anchor(site: Site) -> None:
    append_entries(site.hub.audit, 4)
    site.hub.anchor()
    append_entries(site.hub.audit, 5)
    site.hub.anchor()
    rewrite_from_the_start(site.hub.store)
    assert site.hub.audit.verify().ok  # the chain alone is whole again
    state, text = site.check()
    assert state == "broken", text
    assert "审计链断裂于条目 4" in text and "audit.anchor" in text, text
    assert "over entry 4" in text and "rewritten" in text
    assert "审计链完整" not in text


def test_anchors_forged_under_another_root_are_refused(site: Site, tmp_path: Path) -> None:
    append_entries(site.hub.audit, 4)
    site.hub.anchor()
    append_entries(site.hub.audit, 5)
    site.hub.anchor()
    pinned = _fingerprint(site.root)
    forger = forge_anchors(site.hub.store, site.root, tmp_path / "forger")
    assert site.hub.audit.verify(roots=forger.roots()).ok  # it holds under the forger's root
    assert [a.seq for a in load_anchors(site.hub.store)] == [9]
    state, text = site.check()
    assert state == "broken", text
    assert "审计链断裂于条目 9" in text and "audit.anchor" in text and "tsa.token_invalid" in text
    forged = forger.root().certificate.fingerprint(hashes.SHA256()).hex()
    assert pinned in text and forged not in text  # the root shown is the pinned one


def test_no_pinned_root_is_a_warning_not_intact(site: Site) -> None:
    append_entries(site.hub.audit, 3)
    state, text = site.check()  # nothing anchored, nothing pinned
    assert state == "unpinned", text
    assert "未配置固定的根证书" in text and "哈希链逐条链接无误，至条目 3" in text
    assert "no pinned hub root at" in text and str(site.root) in text
    assert "审计链完整" not in text
    site.hub.anchor()
    assert site.check()[0] == "intact"
    site.root.unlink()  # anchors in the store, the pinned file gone
    state, text = site.check()
    assert state == "unpinned" and "1 anchors in the store cannot be checked" in text, text


def test_a_pinned_root_without_anchors_is_a_warning_not_intact(site: Site) -> None:
    append_entries(site.hub.audit, 3)
    site.hub.anchor()
    with site.hub.store.engine.begin() as conn:  # anchors deleted outright
        conn.execute(delete(audit_anchor))
    state, text = site.check()
    assert state == "unanchored", text
    assert "审计链尚未锚定" in text and "哈希链逐条链接无误，至条目 3" in text
    assert _fingerprint(site.root) in text and "审计链完整" not in text
