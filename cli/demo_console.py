"""The console's part of ``tongban demo``: a sandbox sign-in, offline Data Docs, and the
command that serves the console (the demo runs no server of its own; ``tongban serve``
serves the exchange API with the console mounted in it)."""

from __future__ import annotations

import secrets

from cli._common import console, state
from tongban.store import Store

DEMO_USER = "demo"


def show_console(store: Store) -> None:
    """Create (or reset) the sandbox user with every role and say how to open the console."""
    from console import Users, make_offline

    docs = state.settings.data_dir / "quality-docs"
    if (docs / "index.html").is_file():
        make_offline(docs)  # the demo's Data Docs, with nothing from another host
    users = Users(store.engine)
    password = secrets.token_urlsafe(9)
    roles = ["admin", "engineer", "reviewer", "reporter"]
    if users.find(DEMO_USER) is None:
        users.add(DEMO_USER, "演示用户", password, roles=roles, actor="cli:demo")
    else:
        users.set_password(DEMO_USER, password, actor="cli:demo")
    console.print(
        "web console (管理控制台): run `TONGBAN_CONSOLE_CITIZEN_CODES=sandbox tongban serve`"
        " (same TONGBAN_* settings; the exchange API and the console), open"
        " http://127.0.0.1:8000/console/ and sign in as"
        f" {DEMO_USER} / {password} (sandbox user, every role); the citizen's"
        " page is http://127.0.0.1:8000/console/citizen",
        highlight=False,
        soft_wrap=True,
    )
