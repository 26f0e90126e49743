"""What the console tests share: the hub they run against, its users, a server on a free
loopback port, signing in from a browser or an HTTP client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from console import Console
from sandbox import Sandbox
from tongban.settings import Settings
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
