"""The web console (管理控制台): server-rendered pages for the people who run the hub.

Data engineers watch sources and runs and start syncs; quality reviewers fix, reject and
reprocess quarantined records and read the Data Docs; administrators manage console
users and read the change log. Every page checks the role, every change is recorded.

>>> console = Console(store, load_settings(), env=os.environ)   # doctest: +SKIP
>>> mount(exchange_app, console)                                # or create_app(console)
"""

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use (PEP 562): `tongban` mounts this package's CLI for every command,
# and the web stack takes a while to import.
_WHERE = {
    "Console": "app",
    "PREFIX": "app",
    "create_app": "app",
    "mount": "app",
    "ConsoleSettings": "settings",
    "load_console_settings": "settings",
    "ROLES": "users",
    "User": "users",
    "UserError": "users",
    "Users": "users",
    "build_offline_docs": "datadocs",
    "make_offline": "datadocs",
}

if TYPE_CHECKING:
    from console.app import PREFIX, Console, create_app, mount
    from console.datadocs import build_offline_docs, make_offline
    from console.settings import ConsoleSettings, load_console_settings
    from console.users import ROLES, User, UserError, Users


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'console' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"console.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "PREFIX",
    "ROLES",
    "Console",
    "ConsoleSettings",
    "User",
    "UserError",
    "Users",
    "build_offline_docs",
    "create_app",
    "load_console_settings",
    "make_offline",
    "mount",
]
