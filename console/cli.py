"""``tongban user`` (console users and roles) and ``tongban console serve``.

The hub mounts :data:`user_app` as ``tongban user`` and :data:`console_app` as
``tongban console``. The store comes from the hub settings (``TONGBAN_*``).
"""

from __future__ import annotations

import getpass
import os
from typing import Annotated, NoReturn

import typer
from rich.table import Table

from tongban.errors import FatalError
from tongban.settings import load_settings
from tongban.store import Store
from tongban.terminal import fail, initialised_store, plain_console

__all__ = ["console_app", "user_app"]

user_app = typer.Typer(help="Console users and their roles.", no_args_is_help=True)
console_app = typer.Typer(help="The web console.", no_args_is_help=True)
out = plain_console()


def _fail(message: str) -> NoReturn:
    fail(out, message)


def _store() -> Store:
    return initialised_store(out)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:?"


@user_app.command("add")
def add(
    username: str,
    role: Annotated[
        list[str], typer.Option("--role", help="engineer, reviewer, reporter or admin (repeat).")
    ],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password_env: Annotated[
        str | None,
        typer.Option(help="Read the password from this environment variable (else a prompt)."),
    ] = None,
) -> None:
    """Add a console user with one or more roles (the password is stored as Argon2id)."""
    from console.users import Users

    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            _fail(f"environment variable {password_env} is empty or not set")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    store = _store()
    try:
        user = Users(store.engine).add(
            username, name or username, password, roles=role, actor=_actor()
        )
    except FatalError as exc:
        _fail(str(exc))
    out.print(
        f"user {user.username} added with roles {', '.join(sorted(user.roles))}", highlight=False
    )


@user_app.command("list")
def list_users() -> None:
    """Console users, their roles and status."""
    from console.users import Users

    table = Table(title="console users")
    for col in ("user", "name", "roles", "status", "created"):
        table.add_column(col)
    for u in Users(_store().engine).everyone():
        table.add_row(
            u.username,
            u.display_name,
            ", ".join(sorted(u.roles)),
            u.status,
            u.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


@user_app.command("disable")
def disable(username: str) -> None:
    """Disable a console user: they cannot sign in, and their sessions stop working."""
    from console.users import Users

    try:
        Users(_store().engine).set_status(username, "disabled", actor=_actor())
    except FatalError as exc:
        _fail(str(exc))
    out.print(f"user {username} disabled", highlight=False)


@console_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve the console alone (the exchange app mounts the same pages under /console)."""
    import uvicorn

    from console.app import Console, create_app

    store = _store()
    app = create_app(Console(store, load_settings()))
    out.print(f"console: http://{host}:{port}/console/", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")
