"""``tongban sandbox federation``: a province hub and two county hubs answering each other.

Starts three hubs (``sandbox.levels``), each ``tongban serve`` in its own process with its
own store and departments, and shows a county approval system receiving a province-held
record through its county hub — signed by the province —, its evidence directory filled
from the province, a marriage certificate from the province's vault with its seal checked
against the province's CRL, and the province receiving a county's enterprise; then each
hub's audit chain with its side of the exchange.
``--keep`` leaves the hubs running (their addresses and API keys printed) until Ctrl-C.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli._common import console, fail, state
from cli.sync import sandbox_app

if TYPE_CHECKING:
    from sandbox.levels import Levels

__all__ = ["federation", "suggest"]

_MARK = ".tongban-federation"


def suggest() -> None:
    """The demo's last line: where to see hubs of three levels answer each other."""
    console.print(
        "hubs of three levels (a province, two counties) answering each other:"
        " tongban sandbox federation",
        highlight=False,
    )


@sandbox_app.command("federation")
def federation(
    directory: Annotated[
        Path | None, typer.Option(help="Where the three hubs keep their stores.")
    ] = None,
    people: Annotated[int, typer.Option(min=2, help="Residents the province holds.")] = 12,
    keep: Annotated[bool, typer.Option(help="Keep the hubs running until Ctrl-C.")] = False,
) -> None:
    """Start a province hub and two county hubs; show evidence crossing levels."""
    from sandbox.levels import start_levels

    root = (directory or state.settings.data_dir / "federation").resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / _MARK).exists():
            fail(f"{root} is not empty and holds no sandbox federation; pick another --directory")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / _MARK).touch()
    started = time.monotonic()
    try:
        with start_levels(root, people=people) as levels:
            console.print(f"three hubs up in {time.monotonic() - started:.1f} s")
            ok = _show(levels)
            if keep:
                _wait(levels)
    except RuntimeError as exc:
        fail(str(exc))
    if not ok:
        fail("the federation did not answer as expected (see above)")


def _show(levels: Levels) -> bool:
    import httpx

    from exchange import AuditLog
    from exchange.federation import PeerCredentialError, PeerRegistry, check_answer
    from tongban.store import Store

    hubs = Table(title="the federation")
    for col in ("hub", "name", "url", "store", "its approval system"):
        hubs.add_column(col)
    for h in levels.hubs.values():
        hubs.add_row(h.hub_id, h.spec.name, h.url, "SQLite", h.spec.client_name)
    console.print(hubs)

    ok = True
    county, person = levels["county-a"], levels.people[0]
    r = httpx.get(
        f"{county.url}/v1/people/{person.id_number}", headers=county.headers(), timeout=60
    )
    console.print(
        f"\n{county.spec.client_name} asks {county.spec.name} for {person.name}"
        f" ({person.id_number[:6]}…), whom only the province holds: {r.status_code},"
        f" answered by {r.headers.get('X-Answered-By')}",
        highlight=False,
    )
    console.print(r.text, highlight=False, soft_wrap=True)
    store = Store(county.database_url)
    try:
        check_answer(
            r.content, r.headers.get("X-JWS-Signature"), PeerRegistry(store).require("province")
        )
        console.print(
            Text.assemble(("signed by the province", "green"), ", under the province's hub root")
        )
    except PeerCredentialError as exc:
        console.print(Text.assemble(("signature does not hold:", "red"), f" {exc}"))
        ok = False
    finally:
        store.dispose()
    ok = ok and r.status_code == 200

    ok = _evidence(levels) and ok

    province, code = levels["province"], levels["county-b"].enterprises[0]
    e = httpx.get(f"{province.url}/v1/enterprises/{code}", headers=province.headers(), timeout=60)
    console.print(
        f"\n{province.spec.client_name} asks for enterprise {code}, registered in 连江县:"
        f" {e.status_code}, answered by {e.headers.get('X-Answered-By')}",
        highlight=False,
    )
    ok = ok and e.status_code == 200

    chains = Table(title="each hub's audit chain, with its side of the exchanges")
    for col in ("hub", "entries", "chain", "client", "through", "resource", "outcome"):
        chains.add_column(col)
    for h in levels.hubs.values():
        store = Store(h.database_url)
        log = AuditLog(store)
        report = log.verify()
        ok = ok and report.ok
        chain = Text("intact") if report.ok else Text(str(report.broken), style="red")
        for row in log.recent(limit=2):
            from exchange.federation import through

            chains.add_row(
                h.hub_id, str(report.entries), chain,
                row["client_id"], through(row["client_id"], row["reason"]) or "",
                row["resource"] or "", row["outcome"],
            )  # fmt: skip
        store.dispose()
    console.print(chains)
    return ok


def _evidence(levels: Levels) -> bool:
    """The county's evidence directory with the province's materials, and a marriage
    certificate the province's vault sealed, relayed with its seal checked."""
    import httpx

    from sandbox.levels import ITEM

    county, person = levels["county-a"], levels.people[0]
    # Each hub grants its own conditional resources: marriage records at both ends, social
    # insurance only at the county (so the province refuses it to the county's client).
    _grant(county.database_url, "zwfw-mh", ("marriage", "insurance"))
    _grant(levels["province"].database_url, "county-a.zwfw-mh", ("marriage",))
    r = httpx.get(
        f"{county.url}/v1/items/{ITEM}/evidence",
        params={"applicant": person.id_number}, headers=county.headers(), timeout=60,
    )  # fmt: skip
    if r.status_code != 200:
        console.print(Text.assemble(("evidence directory refused:", "red"), f" {r.text}"))
        return False
    body = r.json()
    table = Table(title=f"{county.spec.client_name}: evidence for 生育津贴申领 ({ITEM})")
    for col in ("material", "supplied by", "or bring it, because"):
        table.add_column(col)
    for m in body["supplied"]:
        table.add_row(m["name"], m.get("hub") or county.hub_id, "")
    for m in body["to_bring"]:
        table.add_row(m["name"], "", f"{m['reason']}: {m['message']}")
    console.print(table)
    listed = httpx.get(
        f"{county.url}/v1/licenses", params={"holder": person.id_number},
        headers=county.headers(), timeout=60,
    )  # fmt: skip
    found = listed.json().get("licenses", []) if listed.status_code == 200 else []
    if not found:
        console.print(Text.assemble(("no marriage certificate relayed:", "red"), f" {listed.text}"))
        return False
    pdf = httpx.get(f"{county.url}{found[0]['links']['pdf']}", headers=county.headers(), timeout=60)
    console.print(
        f"{found[0]['license_type_name']} {found[0]['identifier']}: PDF {pdf.status_code},"
        f" {len(pdf.content)} bytes from {pdf.headers.get('X-Answered-By')}, seal by the"
        f" province's CRL: {pdf.headers.get('X-Seal-Status', 'not checked')}",
        highlight=False,
    )
    return pdf.status_code == 200


def _grant(database_url: str, client_id: str, resources: tuple[str, ...]) -> None:
    from exchange import GrantRegistry, load_share_catalog
    from sandbox.levels import ITEM
    from tongban.store import Store

    store = Store(database_url)
    try:
        catalog = load_share_catalog()
        for name in resources:
            fields = [f for f in catalog.resource(name).fields if f != "id_number"]
            GrantRegistry(store, catalog).add(
                client_id, name, service_items=[ITEM], fields=fields, days=1,
                approved_by="sandbox",
            )  # fmt: skip
    finally:
        store.dispose()


def _wait(levels: Levels) -> None:
    for h in levels.hubs.values():
        console.print(
            f"{h.hub_id}: {h.url}  X-API-Key: {h.api_key}  X-Service-Item: 11110000RS0201",
            highlight=False,
        )
    console.print("running; Ctrl-C stops the three hubs")
    try:
        while all(h.process is not None and h.process.poll() is None for h in levels.hubs.values()):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
