"""The citizen's page: after proving who they are with a one-time code, a citizen sees
who looked at their data, when, for which service item and case (the exchange's
hash-chained audit log, ``AuditLog.for_subject``).

The code goes out through a sender. The only sender today is the sandbox's, which shows
the code on the page itself, standing in for the SMS gateway of a real deployment; with
``TONGBAN_CONSOLE_CITIZEN_CODES`` unset (``off``) the page says it is not available.
A code is good for five minutes and once, and five wrong tries void it: every try is
recorded against the code's nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from console.app import PREFIX
from tongban.errors import RecordError
from tongban.identifiers import check_id_number
from tongban.store import schema

if TYPE_CHECKING:
    from console.app import Console

PENDING, SIGNED = "tongban_citizen_pending", "tongban_citizen"
CODE_SECONDS, VIEW_SECONDS, MAX_TRIES = 300, 900, 5


def masked(key: str) -> str:
    return key[:6] + "*" * 8 + key[-4:]


def router(console: Console) -> APIRouter:
    r = APIRouter()
    signer = URLSafeTimedSerializer(console.settings.secret, salt="tongban-citizen")

    def code_for(key: str, nonce: str) -> str:
        digest = hmac.new(
            console.settings.secret.encode(), f"{key}|{nonce}".encode(), hashlib.sha256
        ).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"

    def read(request: Request, cookie: str, seconds: int) -> dict[str, Any] | None:
        raw = request.cookies.get(cookie)
        if not raw:
            return None
        try:
            return dict(signer.loads(raw, max_age=seconds))
        except BadSignature:
            return None

    def show(request: Request, status_code: int = 200, **extra: Any) -> Response:
        enabled = console.settings.citizen_codes == "sandbox"
        return console.render(
            request, "citizen.html", None, status_code=status_code, enabled=enabled, **extra
        )

    def spent(nonce: str) -> bool:
        """Used already, or guessed at too often (five wrong tries void a code)."""
        ev = schema.console_event
        q = select(ev.c.action).where(ev.c.target == f"nonce:{nonce}")
        with console.store.engine.connect() as conn:
            actions = list(conn.execute(q).scalars())
        return "citizen.verified" in actions or actions.count("citizen.refused") >= MAX_TRIES

    @r.get("/citizen", response_class=HTMLResponse)
    def start(request: Request) -> Response:
        return show(request)

    @r.post("/citizen/code", response_class=HTMLResponse)
    async def send_code(request: Request) -> Response:
        if console.settings.citizen_codes != "sandbox":
            return show(request, status_code=404)
        form = await request.form()
        try:
            key = check_id_number(
                str(form.get("id_number", "")), region_check=console.hub.region_check
            )
        except RecordError as exc:
            return show(request, status_code=400, error=f"{exc.rule}: {exc.message}")
        nonce = secrets.token_urlsafe(12)
        console.users.record("citizen", "citizen.code", masked(key), {"sender": "sandbox"})
        response = show(request, pending=masked(key), sandbox_code=code_for(key, nonce))
        response.set_cookie(
            PENDING,
            signer.dumps({"key": key, "nonce": nonce}),
            max_age=CODE_SECONDS,
            httponly=True,
            samesite="strict",
            secure=console.settings.secure_cookie,
            path=PREFIX,
        )
        return response

    @r.post("/citizen/verify", response_class=HTMLResponse)
    async def verify(request: Request) -> Response:
        pending = read(request, PENDING, CODE_SECONDS)
        form = await request.form()
        if pending is None:
            return show(request, status_code=400, error_key="citizen_code_expired")
        key, nonce = pending["key"], pending["nonce"]
        given = str(form.get("code", "")).strip()
        if await run_in_threadpool(spent, nonce) or not hmac.compare_digest(
            given, code_for(key, nonce)
        ):
            console.users.record(
                "citizen", "citizen.refused", f"nonce:{nonce}", {"subject": masked(key)}
            )
            return show(
                request, status_code=401, pending=masked(key), error_key="citizen_code_wrong"
            )
        console.users.record(
            "citizen", "citizen.verified", f"nonce:{nonce}", {"subject": masked(key)}
        )
        response = RedirectResponse(f"{PREFIX}/citizen/accesses", status_code=303)
        response.delete_cookie(PENDING, path=PREFIX)
        response.set_cookie(
            SIGNED,
            signer.dumps({"key": key}),
            max_age=VIEW_SECONDS,
            httponly=True,
            samesite="strict",
            secure=console.settings.secure_cookie,
            path=PREFIX,
        )
        return response

    @r.get("/citizen/accesses", response_class=HTMLResponse)
    def accesses(request: Request) -> Response:
        signed = read(request, SIGNED, VIEW_SECONDS)
        if signed is None:
            return RedirectResponse(f"{PREFIX}/citizen", status_code=303)
        key = signed["key"]
        rows = console.exchange.audit.for_subject(key)
        items = console.exchange.items
        for row in rows:
            item = items.get(row["service_item"]) if row["service_item"] else None
            row["service_item_name"] = item.name if item else ""
        console.users.record("citizen", "citizen.view", masked(key), {"entries": len(rows)})
        return console.render(
            request, "citizen_accesses.html", None, subject=masked(key), rows=rows
        )

    @r.post("/citizen/leave")
    def leave() -> Response:
        response = RedirectResponse(f"{PREFIX}/citizen", status_code=303)
        response.delete_cookie(SIGNED, path=PREFIX)
        return response

    return r
