"""``tongban peer``: the peer hubs this hub exchanges evidence with.

    tongban peer root --out county-a-root.pem          # this hub's root, to hand to a peer
    tongban peer add province --name 省级平台 --url http://10.0.0.1:8000 \\
        --root province-root.pem --level parent         # then fetches its catalog
    tongban peer list
    tongban peer enrol county-a zwfw-mh --name 闽侯县审批系统   # a peer's client, to grant it
    tongban peer refresh [province]                     # fetch published catalogs again
    tongban peer revoke province --reason 根证书泄露     # refused from now on, both ways
    tongban peer remove province
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from exchange.federation.credentials import PeerCredentialError, PeerUnavailable
from exchange.federation.peers import LEVELS, Peer
from exchange.federation.routing import Federation, enrol
from exchange.federation.settings import load_federation_settings
from exchange.hub import Hub
from tongban.errors import FatalError, RecordError
from tongban.settings import load_settings
from tongban.terminal import fail, initialised_store, plain_console

__all__ = ["peer_app"]

peer_app = typer.Typer(
    help="Peer hubs (province, city, county) that answer each other.", no_args_is_help=True
)
console = plain_console()


def _fail(message: str) -> NoReturn:
    fail(console, message)


def _federation() -> Federation:
    store = initialised_store(console)
    return Federation(Hub(load_settings(), store=store), load_federation_settings())


def _refresh(fed: Federation, peer: Peer) -> bool:
    try:
        offers = fed.client.catalog(peer)
    except (PeerUnavailable, PeerCredentialError) as exc:
        console.print(Text.assemble((f"catalog of {peer.label} not fetched:", "yellow"), f" {exc}"))
        return False
    fed.peers.set_offers(peer.peer_id, offers)
    console.print(f"{peer.label} offers: {', '.join(offers) or '(nothing)'}", highlight=False)
    return True


@peer_app.command("root")
def peer_root(
    out: Annotated[
        Path | None, typer.Option(help="Write the PEM here (default: print it).")
    ] = None,
) -> None:
    """This hub's id and root certificate (PEM), for its peers' `tongban peer add`."""
    from license_vault.pki import fingerprint, pem

    fed = _federation()
    root = fed.hub.vault.seals.root().certificate
    text = pem(root)
    if out is not None:
        out.write_text(text, encoding="ascii")
        console.print(f"hub {fed.hub_id}: root written to {out}", highlight=False)
    else:
        sys.stdout.write(text)
    console.print(f"hub id {fed.hub_id}, root SHA-256 {fingerprint(root)}", highlight=False)


@peer_app.command("add")
def peer_add(
    peer_id: Annotated[
        str, typer.Argument(help="The peer's hub id (its TONGBAN_FEDERATION_HUB_ID).")
    ],
    name: Annotated[str, typer.Option(help="The peer hub's name.")],
    url: Annotated[str, typer.Option(help="Base URL of its exchange API.")],
    root: Annotated[Path, typer.Option(help="Its hub root certificate (PEM).")],
    level: Annotated[str, typer.Option(help=f"One of {', '.join(LEVELS)}.")] = "parent",
    region: Annotated[
        list[str] | None, typer.Option(help="A GB/T 2260 code prefix it serves (repeatable).")
    ] = None,
    offer: Annotated[
        list[str] | None, typer.Option(help="A resource it offers, if its catalog is unreachable.")
    ] = None,
) -> None:
    """Know a peer hub; its published catalog is fetched at once if it answers."""
    fed = _federation()
    try:
        peer = fed.peers.add(
            peer_id,
            name,
            url=url,
            root_pem=root.read_text(encoding="ascii"),
            level=level,
            regions=region or (),
            offers=offer or (),
        )
    except (RecordError, OSError, UnicodeDecodeError) as exc:
        _fail(f"{getattr(exc, 'rule', 'peer.root')}: {getattr(exc, 'message', exc)}")
    except FatalError as exc:
        _fail(str(exc))
    console.print(f"peer {peer.label} added ({peer.level}), root {peer.root_fingerprint[:16]}…")
    _refresh(fed, peer)


@peer_app.command("list")
def peer_list() -> None:
    """Every peer: level, address, status, what it offers and when that was fetched."""
    fed = _federation()
    table = Table(title=f"peers of {fed.hub_id}")
    for col in ("peer", "name", "level", "url", "regions", "offers", "catalog", "status"):
        table.add_column(col)
    for p in fed.peers.list():
        status = (
            Text("active")
            if p.active
            else Text.assemble(("revoked", "red"), f" {p.revoked_reason or ''}")
        )
        table.add_row(
            p.peer_id, p.name, p.level, p.url, " ".join(p.regions), ", ".join(p.offers),
            p.catalog_at.strftime("%Y-%m-%d %H:%M") if p.catalog_at else "", status,
        )  # fmt: skip
    console.print(table)


@peer_app.command("refresh")
def peer_refresh(
    peer_id: Annotated[str | None, typer.Argument(help="One peer (default: every one).")] = None,
) -> None:
    """Fetch the published catalogs of the active peers again."""
    fed = _federation()
    try:
        peers = [fed.peers.require(peer_id)] if peer_id else fed.peers.list()
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    failed = [p for p in peers if p.active and not _refresh(fed, p)]
    if failed:
        raise typer.Exit(1)


@peer_app.command("enrol")
def peer_enrol(
    peer_id: Annotated[str, typer.Argument(help="The peer the client asks through.")],
    client_id: Annotated[str, typer.Argument(help="The client's id at that peer.")],
    name: Annotated[str, typer.Option(help="The approval system's name.")],
    department: Annotated[str | None, typer.Option(help="Its department.")] = None,
) -> None:
    """Register a peer's client here ahead of its first request, to grant it resources."""
    fed = _federation()
    try:
        peer = fed.peers.require(peer_id)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    cid = enrol(
        fed.hub.store, peer, client_id, name, department,
        rate_limit=fed.hub.config.default_rate_limit,
    )  # fmt: skip
    console.print(
        f"client {cid} enrolled; grant it with `tongban grant add {cid} ...`", highlight=False
    )


@peer_app.command("revoke")
def peer_revoke(
    peer_id: str, reason: Annotated[str, typer.Option(help="Why (kept with the peer).")]
) -> None:
    """Refuse the peer's hub certificate: its requests here and its answers to us."""
    try:
        p = _federation().peers.revoke(peer_id, reason=reason)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    console.print(f"peer {p.label} revoked: {reason}", highlight=False)


@peer_app.command("remove")
def peer_remove(peer_id: str) -> None:
    """Forget a peer (past exchanges stay in the audit and federation logs)."""
    try:
        _federation().peers.remove(peer_id)
    except RecordError as exc:
        _fail(f"{exc.rule}: {exc.message}")
    console.print(f"peer {peer_id} removed")
