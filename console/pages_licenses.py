"""E-licenses: search by holder or identifier, view the sealed PDF, verify an uploaded
PDF or JWS, and revoke one with a reason (administrators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from console.app import PREFIX
from tongban.errors import TongbanError

if TYPE_CHECKING:
    from console.app import Console

READERS = ("engineer", "reviewer")
MAX_UPLOAD = 20 * 1024 * 1024


def router(console: Console) -> APIRouter:
    r = APIRouter()

    @r.get("/licenses", response_class=HTMLResponse)
    def search(request: Request, q: str = "") -> Response:
        session = console.sessions.require(request, *READERS)
        q = q.strip()
        found = []
        if q.startswith("1.2.156."):
            return RedirectResponse(f"{PREFIX}/licenses/{q}", status_code=303)
        if q:
            found = console.vault.list(holder_id=q.upper())
        return console.render(request, "licenses.html", session, q=q, found=found)

    @r.get("/licenses/{identifier}", response_class=HTMLResponse)
    def show(request: Request, identifier: str, done: str = "") -> Response:
        session = console.sessions.require(request, *READERS)
        try:
            row = console.vault.show(identifier)
        except TongbanError as exc:
            return console.render(
                request, "message.html", session, status_code=404, message=str(exc)
            )
        record = console.store.get("license", row.license_key)
        return console.render(request, "license.html", session, row=row, record=record, done=done)

    @r.get("/licenses/{identifier}/document.{kind}")
    def document(request: Request, identifier: str, kind: str) -> Response:
        console.sessions.require(request, *READERS)
        if kind not in ("pdf", "jws"):
            return Response(status_code=404)
        try:
            body = console.vault.document(identifier, kind)
        except TongbanError as exc:
            return Response(str(exc), status_code=404, media_type="text/plain")
        media = "application/pdf" if kind == "pdf" else "application/jose"
        disposition = "inline" if kind == "pdf" else "attachment"
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'{disposition}; filename="{identifier}.{kind}"'},
        )

    @r.post("/licenses/verify", response_class=HTMLResponse)
    async def verify(request: Request) -> Response:
        session, form = await console.sessions.require_form(request, *READERS)
        upload = form.get("document")
        data: bytes = b""
        if isinstance(upload, UploadFile):
            data = await upload.read(MAX_UPLOAD + 1)
        name = getattr(upload, "filename", "") or ""
        if not data or len(data) > MAX_UPLOAD:
            return console.render(
                request,
                "licenses.html",
                session,
                status_code=400,
                q="",
                found=[],
                error=f"{name or 'upload'}: empty or over 20 MB",
            )
        verdict = await run_in_threadpool(console.vault.verify, data)
        console.record(
            session,
            "license.verify",
            verdict.identifier or name,
            ok=verdict.ok,
            codes=verdict.codes,
        )
        return console.render(request, "verdict.html", session, verdict=verdict, name=name)

    @r.post("/licenses/{identifier}/revoke")
    async def revoke(request: Request, identifier: str) -> Response:
        session, form = await console.sessions.require_form(request, "admin")
        reason = str(form.get("reason", "")).strip()
        if not reason:
            return console.render(
                request,
                "message.html",
                session,
                status_code=400,
                message=f"{identifier}: a revocation needs a reason",
            )
        try:
            await run_in_threadpool(console.vault.revoke, identifier, reason=reason)
        except TongbanError as exc:
            return console.render(
                request, "message.html", session, status_code=400, message=str(exc)
            )
        console.record(session, "license.revoke", identifier, reason=reason)
        return RedirectResponse(f"{PREFIX}/licenses/{identifier}?done=revoked", status_code=303)

    return r
