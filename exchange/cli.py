"""``tongban client``, ``tongban grant`` and ``tongban audit``: the hub administrator's
side of the exchange API.

The hub mounts these typers; the store comes from the hub settings (``TONGBAN_*``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from tongban.errors import FatalError, RecordError
from tongban.identifiers import check_id_number
from tongban.settings import load_settings
from tongban.store import Store
from tongban.terminal import fail, initialised_store, plain_console

if TYPE_CHECKING:
    from exchange.audit import AuditLog
    from exchange.clients import ClientRegistry
    from exchange.grants import GrantRegistry

__all__ = ["audit_app", "client_app", "grant_app"]

client_app = typer.Typer(
    help="Approval systems registered with the exchange API.", no_args_is_help=True
)
grant_app = typer.Typer(help="Grants on conditional resources (有条件共享).", no_args_is_help=True)
audit_app = typer.Typer(
    help="The hash-chained audit log of the exchange API.", no_args_is_help=True
)
console = plain_console()


def _fail(message: str) -> NoReturn:
    fail(console, message)


def _store() -> Store:
    return initialised_store(console)


# The exchange's modules load when a command runs, not with every `tongban` command.


def _clients() -> ClientRegistry:
    from exchange.clients import ClientRegistry
    from exchange.settings import load_exchange_settings

    return ClientRegistry(_store(), load_exchange_settings())


def _grants() -> GrantRegistry:
    from exchange.catalog import load_share_catalog
    from exchange.grants import GrantRegistry

    return GrantRegistry(_store(), load_share_catalog())


def _audit() -> AuditLog:
    from exchange.audit import AuditLog

    return AuditLog(_store())


def _ts(v: datetime | None) -> str:
    return v.strftime("%Y-%m-%d %H:%M:%S") if v else ""


# -- clients -------------------------------------------------------------------------


@client_app.command("add")
def client_add(
    client_id: Annotated[str, typer.Argument(help="Short id, e.g. zwfw-bj.")],
    name: Annotated[str, typer.Option(help="The approval system's name.")],
    department: Annotated[str | None, typer.Option(help="Its department.")] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key: the client signs JWT assertions.")
    ] = None,
    rate_limit: Annotated[int | None, typer.Option(help="Requests per rate window.")] = None,
) -> None:
    """Register a client. An API key is printed once; only its hash is kept."""
    registry = _clients()
    pem = public_key.read_text(encoding="ascii") if public_key else None
    try:
        client, key = registry.add(
            client_id, name, department=department, public_key_pem=pem, rate_limit=rate_limit
        )
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    console.print(f"client {client.client_id} ({client.name}) registered, {client.auth_kind}")
    if key:
        console.print("API key (shown once, keep it secret):", highlight=False)
        print(key)


@client_app.command("list")
def client_list() -> None:
    """Every client, with its status."""
    table = Table(title="exchange clients")
    for col in ("client", "name", "department", "auth", "key", "rate", "status", "since"):
        table.add_column(col)
    for c in _clients().list():
        status = (
            Text(c.status)
            if c.active
            else Text.assemble((c.status, "red"), f" {c.revoked_reason or ''}")
        )
        table.add_row(
            c.client_id,
            c.name,
            c.department or "",
            c.auth_kind,
            (c.key_hint or "") + "…" if c.key_hint else "",
            str(c.rate_limit),
            status,
            _ts(c.created_at),
        )
    console.print(table)


@client_app.command("revoke")
def client_revoke(
    client_id: str, reason: Annotated[str, typer.Option(help="Why.")] = "revoked"
) -> None:
    """Revoke a client: every API process refuses it from its next request on."""
    try:
        c = _clients().revoke(client_id, reason=reason)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    console.print(f"client {c.client_id} revoked at {_ts(c.revoked_at)}: {reason}")


# -- grants --------------------------------------------------------------------------


@grant_app.command("add")
def grant_add(
    client_id: str,
    resource: Annotated[str, typer.Argument(help="A resource of the share catalog.")],
    item: Annotated[list[str], typer.Option("--item", help="Service item code (repeat).")],
    field: Annotated[list[str], typer.Option("--field", help="Field it opens (repeat).")],
    approved_by: Annotated[str, typer.Option(help="Who approved the application.")],
    days: Annotated[float, typer.Option(help="Days until it expires.")] = 365,
    unmasked: Annotated[
        list[str] | None, typer.Option("--unmasked", help="Field shown unmasked (repeat).")
    ] = None,
    basis: Annotated[str | None, typer.Option(help="The approved application (批复).")] = None,
) -> None:
    """Record an approved grant on a conditional resource."""
    registry = _grants()
    try:
        g = registry.add(
            client_id,
            resource,
            service_items=item,
            fields=field,
            unmasked=unmasked or [],
            days=days,
            approved_by=approved_by,
            basis=basis,
        )
    except (RecordError, FatalError) as exc:
        _fail(str(exc))
    console.print(
        f"grant {g.grant_id}: {g.client_id} may read {g.resource}"
        f" ({', '.join(g.fields)}) for {', '.join(g.service_items)}"
        f" until {_ts(g.expires_at)}"
    )


@grant_app.command("list")
def grant_list(client_id: Annotated[str | None, typer.Option("--client")] = None) -> None:
    """Grants, with their status and expiry."""
    table = Table(title="grants")
    for col in ("id", "client", "resource", "items", "fields", "unmasked", "expires", "status"):
        table.add_column(col)
    for g in _grants().list(client_id=client_id):
        table.add_row(
            str(g.grant_id),
            g.client_id,
            g.resource,
            ", ".join(g.service_items),
            ", ".join(g.fields),
            ", ".join(g.unmasked),
            _ts(g.expires_at),
            g.status,
        )
    console.print(table)


@grant_app.command("revoke")
def grant_revoke(grant_id: int, reason: Annotated[str, typer.Option()] = "revoked") -> None:
    """Revoke a grant."""
    try:
        g = _grants().revoke(grant_id, reason=reason)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    console.print(f"grant {g.grant_id} revoked")


# -- audit ---------------------------------------------------------------------------


def _root_path(root: Path | None) -> Path:
    from exchange.settings import load_exchange_settings

    return root or load_exchange_settings().anchor_root_path(load_settings().data_dir)


RootOption = Annotated[
    Path | None,
    typer.Option(
        help="PEM file of the trusted hub root (default: TONGBAN_EXCHANGE_ANCHOR_ROOT,"
        " else <data dir>/vault/hub-root.pem)."
    ),
]


@audit_app.command("verify")
def audit_verify(root: RootOption = None) -> None:
    """Check the whole chain and every anchor under the pinned hub root; exit 1 naming the
    first entry or anchor that breaks, or when anchors cannot be checked for want of it."""
    from exchange import audit_verdict

    verdict = audit_verdict(_audit(), _root_path(root))
    if verdict.state == "broken" or (verdict.state == "unpinned" and verdict.stored_anchors):
        _fail(f"audit log {verdict}")
    console.print(f"audit log {verdict}")


@audit_app.command("anchor")
def audit_anchor(root: RootOption = None) -> None:
    """Time-stamp the chain's head with the hub TSA now and keep the anchor."""
    from exchange.anchor import anchor_now
    from license_vault import SealRegistry, load_vault_settings, open_storage

    store = _store()
    vs = load_vault_settings(load_settings())
    try:
        made = anchor_now(store, SealRegistry(store, open_storage(vs), vs), _root_path(root))
    except (FatalError, RecordError) as exc:
        _fail(str(exc))
    if made is None:
        console.print("the audit log is empty: nothing to anchor")
    else:
        console.print(f"anchored: {made}")


@audit_app.command("subject")
def audit_subject(
    id_number: str, limit: Annotated[int, typer.Option(help="Most recent entries.")] = 50
) -> None:
    """Who looked at a person's data, when, and for which case."""
    try:
        key = check_id_number(id_number)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    table = Table(title=f"who looked at {key[:6]}********{key[-4:]}")
    for col in (
        "when (UTC)",
        "client",
        "department",
        "operator",
        "item",
        "case",
        "resource",
        "fields",
        "outcome",
    ):
        table.add_column(col)
    for r in _audit().for_subject(key, limit=limit):
        outcome = (
            Text(r["outcome"])
            if r["outcome"] == "allowed"
            else Text.assemble(("refused", "red"), f" {r['reason']}")
        )
        table.add_row(
            _ts(r["at"]),
            r["client_name"] or r["client_id"] or "",
            r["department"] or "",
            r["operator"] or "",
            r["service_item"] or "",
            r["case_no"] or "",
            r["resource"] or "",
            ", ".join(r["fields"]),
            outcome,
        )
    console.print(table)
