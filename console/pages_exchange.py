"""Exchange administration (administrators): approval-system clients and their grants,
the share catalog, the audit log searchable by client, subject and case, and the check
of the audit chain. The calls are the exchange's own registries
(``ClientRegistry``, ``GrantRegistry``) and its ``audit_verdict``, the check `tongban
audit verify` runs, under the hub root pinned in the same file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from console.app import PREFIX
from tongban.errors import TongbanError
from tongban.store import schema

if TYPE_CHECKING:
    from console.app import Console
    from exchange import AuditVerdict

ADMIN = ("admin",)


def _split(value: Any) -> list[str]:
    return [v.strip() for v in str(value or "").replace("，", ",").split(",") if v.strip()]


def audit_search(
    console: Console, *, client: str = "", subject: str = "", case: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    """Audit entries, newest first, by client, subject and case number (each optional)."""
    log = schema.audit_log
    q = select(log).order_by(log.c.seq.desc()).limit(limit)
    for column, value in (
        (log.c.client_id, client),
        (log.c.subject, subject),
        (log.c.case_no, case),
    ):
        if value.strip():
            q = q.where(column == value.strip())
    with console.store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def router(console: Console) -> APIRouter:
    r = APIRouter()

    def page(request: Request, session: Any, status_code: int = 200, **extra: Any) -> Response:
        hub = console.exchange
        return console.render(
            request,
            "exchange.html",
            session,
            status_code=status_code,
            clients=hub.clients.list(),
            grants=hub.grants.list(),
            resources=hub.share.resources,
            items=hub.items,
            **extra,
        )

    @r.get("/exchange", response_class=HTMLResponse)
    def overview(request: Request) -> Response:
        session = console.sessions.require(request, *ADMIN)
        return page(request, session)

    @r.post("/exchange/clients", response_class=HTMLResponse)
    async def add_client(request: Request) -> Response:
        session, form = await console.sessions.require_form(request, *ADMIN)
        client_id = str(form.get("client_id", "")).strip()
        try:
            client, key = await run_in_threadpool(
                console.exchange.clients.add,
                client_id,
                str(form.get("name", "")).strip(),
                department=str(form.get("department", "")).strip() or None,
            )
        except TongbanError as exc:
            return page(request, session, status_code=400, error=str(exc))
        console.record(
            session,
            "exchange.client.add",
            client.client_id,
            name=client.name,
            key_hint=client.key_hint,
        )
        # The key is shown here once; the store keeps its hash only.
        return page(request, session, new_key=key, new_client=client.client_id)

    @r.post("/exchange/clients/{client_id}/revoke")
    async def revoke_client(request: Request, client_id: str) -> Response:
        session, form = await console.sessions.require_form(request, *ADMIN)
        reason = str(form.get("reason", "")).strip()
        try:
            if not reason:
                raise TongbanError(f"client {client_id}: a revocation needs a reason")
            await run_in_threadpool(console.exchange.clients.revoke, client_id, reason=reason)
        except TongbanError as exc:
            return page(request, session, status_code=400, error=str(exc))
        console.record(session, "exchange.client.revoke", client_id, reason=reason)
        return RedirectResponse(f"{PREFIX}/exchange", status_code=303)

    @r.post("/exchange/grants", response_class=HTMLResponse)
    async def add_grant(request: Request) -> Response:
        session, form = await console.sessions.require_form(request, *ADMIN)
        try:
            days = float(str(form.get("days") or "0"))
            if days <= 0:
                raise TongbanError("a grant needs a validity of more than 0 days")
            grant = await run_in_threadpool(
                lambda: console.exchange.grants.add(
                    str(form.get("client_id", "")),
                    str(form.get("resource", "")),
                    service_items=_split(form.get("service_items")),
                    fields=_split(form.get("fields")),
                    unmasked=_split(form.get("unmasked")),
                    approved_by=session.user.username,
                    days=days,
                    basis=str(form.get("basis", "")).strip() or None,
                )
            )
        except (TongbanError, ValueError) as exc:
            return page(request, session, status_code=400, error=str(exc))
        console.record(
            session,
            "exchange.grant.add",
            str(grant.grant_id),
            client=grant.client_id,
            resource=grant.resource,
            service_items=list(grant.service_items),
            fields=list(grant.fields),
            expires_at=grant.expires_at.isoformat(),
        )
        return RedirectResponse(f"{PREFIX}/exchange#grants", status_code=303)

    @r.post("/exchange/grants/{grant_id}/revoke")
    async def revoke_grant(request: Request, grant_id: int) -> Response:
        session, form = await console.sessions.require_form(request, *ADMIN)
        reason = str(form.get("reason", "")).strip() or "revoked in the console"
        try:
            await run_in_threadpool(console.exchange.grants.revoke, grant_id, reason=reason)
        except TongbanError as exc:
            return page(request, session, status_code=400, error=str(exc))
        console.record(session, "exchange.grant.revoke", str(grant_id), reason=reason)
        return RedirectResponse(f"{PREFIX}/exchange#grants", status_code=303)

    @r.get("/exchange/audit", response_class=HTMLResponse)
    def audit(request: Request, client: str = "", subject: str = "", case: str = "") -> Response:
        session = console.sessions.require(request, *ADMIN)
        entries = audit_search(console, client=client, subject=subject, case=case)
        return console.render(
            request,
            "audit.html",
            session,
            entries=entries,
            client=client,
            subject=subject,
            case=case,
            verdict=None,
        )

    @r.post("/exchange/audit/check", response_class=HTMLResponse)
    async def check(request: Request) -> Response:
        session, _ = await console.sessions.require_form(request, *ADMIN)
        verdict = await run_in_threadpool(_verify_chain, console)
        console.record(
            session,
            "exchange.audit.check",
            None,
            state=verdict.state,
            entries=verdict.entries,
            broken=str(verdict.broken) if verdict.broken else None,
            root=str(verdict.root_path),
        )
        return console.render(
            request,
            "audit.html",
            session,
            entries=audit_search(console),
            client="",
            subject="",
            case="",
            verdict=verdict,
        )

    return r


def _verify_chain(console: Console) -> AuditVerdict:
    """The chain checked as `tongban audit verify` checks it: the same function, under the
    hub root pinned in the file the exchange settings name (TONGBAN_EXCHANGE_ANCHOR_ROOT,
    by default <data dir>/vault/hub-root.pem), never a root read from the store."""
    from exchange import audit_verdict

    path = console.exchange.config.anchor_root_path(console.hub.data_dir)
    return audit_verdict(console.exchange.audit, path)
