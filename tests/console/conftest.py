"""A running console for the browser tests: the sandbox's department systems, a store
synced from them (quarantine, validations, conflicts, e-licenses), one console user per
role, and the console served by uvicorn on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from console import Console, ConsoleSettings, create_app
from sandbox import Sandbox, SandboxConfig
from tongban.settings import Settings, load_settings
from tongban.store import Store

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse 1"
ROLE_USERS = {
    "engineer": ("gongcheng", "王工程"),
    "reviewer": ("shenhe", "李审核"),
    "reporter": ("baosong", "赵报送"),
    "admin": ("guanli", "陈管理"),
}
FIRST_SYNC = ("gongan_population", "minzheng_marriage", "scjg_enterprise", "scjg_license")


@dataclass
class Hub:
    url: str  # the console's base URL, e.g. http://127.0.0.1:PORT/console
    store: Store
    settings: Settings
    console: Console
    sandbox: Sandbox
    shots: Path

    def login_as(self, role: str) -> tuple[str, str]:
        return ROLE_USERS[role][0], PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread of the test process
        pass


def serve(app: Any) -> Iterator[str]:
    port = free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    from connectors import load_definitions, sync_source

    root = tmp_path_factory.mktemp("hub")
    settings = load_settings(data_dir=root / "data")
    settings.data_dir.mkdir(parents=True)
    store = Store(settings.store_url)
    store.migrate()
    config = SandboxConfig(seed=20261122, people=120, enterprises=40)
    with Sandbox(root / "sandbox", config) as sb:
        env = {**os.environ, **sb.env}
        definitions = load_definitions()
        for name in FIRST_SYNC:
            sync_source(store, definitions[name], env=env, cache_dir=settings.cache_dir)
        console = Console(
            store,
            settings,
            env=env,
            settings=ConsoleSettings(secret="test-secret-" + root.name, data_dir=settings.data_dir),
        )
        console.vault.issue_all(limit=2)
        for role, (username, name) in ROLE_USERS.items():
            console.users.add(username, name, PASSWORD, roles=[role], actor="cli:test")
        shots = root / "screenshots"
        shots.mkdir()
        for base in serve(create_app(console)):
            yield Hub(base + "/console", store, settings, console, sb, shots)
    store.dispose()


@pytest.fixture(scope="session")
def browser(hub: Hub) -> Iterator[Any]:
    """Started after the hub: Playwright runs an event loop in this thread, and issuing
    e-licenses (pyHanko) runs one of its own."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def sign_in(page: Any, hub: Hub, role: str) -> None:
    username, password = hub.login_as(role)
    page.goto(hub.url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/")


def client(hub: Hub, role: str | None) -> httpx.Client:
    """An HTTP client signed in as ``role`` (or not at all)."""
    c = httpx.Client(base_url=hub.url, follow_redirects=False, timeout=60)
    if role is not None:
        username, password = hub.login_as(role)
        r = c.post("/login", data={"username": username, "password": password})
        assert r.status_code == 303, r.text
    return c
