"""A running console for the browser tests: the sandbox's department systems, a store
synced from them (quarantine, validations, conflicts, e-licenses), one console user per
role, and the console served by uvicorn on a free loopback port."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_hub import CHROMIUM, FIRST_SYNC, PASSWORD, ROLE_USERS, Hub, serve

from console import Console, ConsoleSettings, mount
from exchange import create_app
from sandbox import Sandbox, SandboxConfig
from tongban import SyncOptions
from tongban.settings import load_settings
from tongban.store import Store


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
            sync_source(
                store, definitions[name], SyncOptions(cache_dir=settings.cache_dir), env=env
            )
        # The app `tongban serve` composes: the exchange API with the console mounted in it.
        web = create_app(settings, store=store)
        console = Console(
            store,
            settings,
            env=env,
            settings=ConsoleSettings(
                secret="test-secret-" + root.name,
                data_dir=settings.data_dir,
                citizen_codes="sandbox",
            ),
            exchange=web.state.hub,
        )
        console.vault.issue_all(limit=2)
        for role, (username, name) in ROLE_USERS.items():
            console.users.add(username, name, PASSWORD, roles=[role], actor="cli:test")
        shots = root / "screenshots"
        shots.mkdir()
        mount(web, console)
        for base in serve(web):
            yield Hub(base + "/console", store, settings, console, sb, shots)
    store.dispose()


@pytest.fixture(scope="module")
def browser(hub: Hub) -> Iterator[Any]:
    """Started after the hub, and stopped after each module: Playwright's sync API keeps
    an event loop running in this thread, and pyHanko (issuing and verifying e-licenses,
    here and in other test modules) runs one of its own with asyncio.run."""
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
