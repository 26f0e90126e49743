"""The console's settings: where its session key lives and how its cookie is sent.

``TONGBAN_CONSOLE_SECRET`` signs session cookies; without it a key is generated once into
``<data dir>/console/secret`` (mode 0600), so every process of one deployment that shares
the data directory (or the variable) accepts the same sessions.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tongban.settings import Settings

__all__ = ["ConsoleSettings", "load_console_settings"]


@dataclass(frozen=True)
class ConsoleSettings:
    secret: str
    data_dir: Path
    secure_cookie: bool = False
    session_hours: float = 8.0
    page_size: int = 50
    citizen_codes: str = "off"  # how one-time codes reach a citizen: off or sandbox

    @property
    def docs_dir(self) -> Path:
        """Where the Data Docs site is built (the CLI's `tongban quality docs` uses it too)."""
        return self.data_dir / "quality-docs"


def load_console_settings(hub: Settings, env: dict[str, str] | None = None) -> ConsoleSettings:
    env = dict(os.environ if env is None else env)
    secret = env.get("TONGBAN_CONSOLE_SECRET") or _stored_secret(
        hub.data_dir / "console" / "secret"
    )
    return ConsoleSettings(
        secret=secret,
        data_dir=hub.data_dir,
        secure_cookie=env.get("TONGBAN_CONSOLE_SECURE_COOKIE", "").lower() in ("1", "true", "yes"),
        session_hours=float(env.get("TONGBAN_CONSOLE_SESSION_HOURS", "8")),
        citizen_codes=env.get("TONGBAN_CONSOLE_CITIZEN_CODES", "off"),
    )


def _stored_secret(path: Path) -> str:
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of the deployment wrote it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value)
    return value
