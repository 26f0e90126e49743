"""The exchange part of ``tongban demo``: an approval system asks the running API.

Starts the API on a free loopback port over the demo's store, registers a sample
approval system, fetches the evidence for a sample case over HTTP, shows one refusal
with its reason, and the citizen's view of who looked at their data.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from rich.table import Table
from rich.text import Text

from cli._common import console
from tongban.settings import Settings
from tongban.store import Store

__all__ = ["show_exchange"]

ITEM = "11110000ZJ0501"  # 公共租赁住房申请: draws on 公安, 民政, 市场监管 (and 人社)
SOURCES = {"gongan_population", "minzheng_marriage"}


def show_exchange(store: Store, settings: Settings) -> bool:
    """Run the approval system's side of the demo; False if it did not come out right."""
    from exchange import AuditLog, create_app

    applicant = _applicant(store)
    if applicant is None:
        console.print(Text("exchange: no married legal representative in the store", style="red"))
        return False
    app = create_app(settings, store=store)
    hub = app.state.hub
    client_id = f"zwfw-demo-{secrets.token_hex(3)}"
    _, key = hub.clients.add(client_id, "市政务服务审批系统 (示例)", department="市政务服务中心")
    grants = (
        ("marriage", ["name", "marital_status"]),
        ("enterprise_roles", ["credit_code", "name", "status"]),
        ("insurance", ["name"]),
    )
    for resource, fields in grants:
        hub.grants.add(
            client_id,
            resource,
            service_items=[ITEM],
            fields=fields,
            days=365,
            approved_by="市政务服务数据管理局",
            basis="共享申请 示例",
        )
    case_no = f"SP{time.strftime('%Y%m%d')}{secrets.randbelow(10**6):06d}"
    headers = {
        "X-API-Key": str(key),
        "X-Service-Item": ITEM,
        "X-Case-Number": case_no,
        "X-Operator": "%E6%9D%8E%E5%8A%9E%E7%90%86",
    }  # 李办理
    with _serving(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        console.print(
            f"exchange API on {base} (OpenAPI at {base}/openapi.json); client"
            f" {client_id} registered, case {case_no}"
        )
        r = http.get(f"/v1/items/{ITEM}/evidence", headers=headers, params={"applicant": applicant})
        ok = r.status_code == 200 and _show_evidence(r)
        refused = http.get(
            f"/v1/people/{applicant}/marriage",
            headers={**headers, "X-Service-Item": "11110000GA0301"},
        )
        problem = refused.json()
        console.print(
            f"refused as it should be: HTTP {refused.status_code}"
            f" {problem['error']}: {problem['message']}",
            highlight=False,
        )
        ok = ok and refused.status_code == 403 and problem["error"] == "grant.missing"
    hub.dispose()
    ok = _show_who_looked(AuditLog(store), applicant) and ok
    return _anchor_and_verify(store, settings) and ok


def _anchor_and_verify(store: Store, settings: Settings) -> bool:
    """Time-stamp the chain's head with the hub TSA (``tongban audit anchor``), then check
    the chain and its anchors under the pinned hub root (``tongban audit verify``)."""
    from exchange import AuditLog, anchor_now, audit_verdict, load_exchange_settings
    from license_vault import SealRegistry, load_vault_settings, open_storage

    root = load_exchange_settings().anchor_root_path(settings.data_dir)
    vault = load_vault_settings(settings)
    anchor_now(store, SealRegistry(store, open_storage(vault), vault), root)
    verdict = audit_verdict(AuditLog(store), root)
    colour = {"intact": "green", "broken": "red"}.get(verdict.state, "yellow")
    console.print(
        Text.assemble("audit log ", Text(str(verdict), colour), " (tongban audit verify)")
    )
    return verdict.state == "intact"


def _applicant(store: Store) -> str | None:
    """A married person (公安, 民政) who represents an enterprise (市场监管)."""
    from sqlalchemy import select

    from tongban.store import schema

    q = select(schema.enterprise.c.legal_rep_id_number).distinct().limit(5000)
    with store.engine.connect() as conn:
        reps = sorted(k for k in conn.execute(q).scalars() if k)
    for key in reps:
        record = store.get("person", key) or {}
        sources = {o.get("source") for o in (record.get("provenance") or {}).values()}
        if sources >= SOURCES:
            return key
    return None


def _show_evidence(r: httpx.Response) -> bool:
    body = r.json()
    item = body["item"]
    table = Table(
        title=f"evidence for {item['name']} ({item['code']}, {item['category']},"
        f" {item['time_limit_days']} working days), applicant"
        f" {body['applicant']}, case {body['case_no']}"
    )
    for col in ("material", "supplied by", "what came back"):
        table.add_column(col)
    for m in body["supplied"]:
        table.add_row(m["name"], m["department"], _brief(m.get("data") or m.get("licenses")))
    for m in body["to_bring"]:
        table.add_row(m["name"], Text("applicant brings it", "yellow"), f"{m['reason']}")
    console.print(table)
    signed = "X-JWS-Signature" in r.headers
    console.print(
        f"proofs the applicant did not have to bring: {body['proofs_saved']};"
        f" answer signed by the hub: {'yes' if signed else 'no'} (X-JWS-Signature),"
        f" audit entry {r.headers.get('X-Audit-Seq')}"
    )
    departments = {m["department"] for m in body["supplied"]}
    return signed and len(departments) >= 3


def _brief(value: Any) -> str:
    if isinstance(value, dict) and "records" in value:
        return "; ".join(_brief(r) for r in value["records"]) or "none registered"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _show_who_looked(log: Any, applicant: str) -> bool:
    rows = log.for_subject(applicant, limit=10)
    table = Table(
        title=f"who looked at {applicant[:6]}********{applicant[-4:]}"
        f" (tongban audit subject {applicant})"
    )
    for col in ("when (UTC)", "who", "operator", "item", "case", "what", "outcome"):
        table.add_column(col)
    for row in rows:
        outcome = "allowed" if row["outcome"] == "allowed" else f"refused: {row['reason']}"
        table.add_row(
            row["at"].strftime("%Y-%m-%d %H:%M:%S"),
            row["client_name"] or "",
            row["operator"] or "",
            row["service_item"] or "",
            row["case_no"] or "",
            f"{row['resource']}: {', '.join(row['fields'])}",
            outcome,
        )
    console.print(table)
    return bool(rows)


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
