"""Administration of the console itself: its users and roles, and the record of every
change made through it (who, when, what), searchable by user and action."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.app import PREFIX
from console.users import ROLES, UserError

if TYPE_CHECKING:
    from console.app import Console


def router(console: Console) -> APIRouter:
    r = APIRouter()

    @r.get("/users", response_class=HTMLResponse)
    def users(request: Request, error: str = "") -> Response:
        session = console.sessions.require(request, "admin")
        return console.render(
            request, "users.html", session, users=console.users.everyone(), roles=ROLES, error=error
        )

    @r.post("/users", response_class=HTMLResponse)
    async def add(request: Request) -> Response:
        session, form = await console.sessions.require_form(request, "admin")
        roles = [str(v) for k, v in form.items() if k.startswith("role_")]
        try:
            console.users.add(
                str(form.get("username", "")),
                str(form.get("display_name", "")),
                str(form.get("password", "")),
                roles=roles,
                actor=session.user.username,
            )
        except UserError as exc:
            return console.render(
                request,
                "users.html",
                session,
                status_code=400,
                users=console.users.everyone(),
                roles=ROLES,
                error=str(exc),
            )
        return RedirectResponse(f"{PREFIX}/users", status_code=303)

    @r.post("/users/{username}/status")
    async def status(request: Request, username: str) -> Response:
        session, form = await console.sessions.require_form(request, "admin")
        wanted = "disabled" if form.get("status") == "disabled" else "active"
        if username == session.user.username and wanted == "disabled":
            return console.render(
                request,
                "message.html",
                session,
                status_code=400,
                message="an administrator cannot disable their own account",
            )
        try:
            console.users.set_status(username, wanted, actor=session.user.username)
        except UserError as exc:
            return console.render(
                request, "message.html", session, status_code=404, message=str(exc)
            )
        return RedirectResponse(f"{PREFIX}/users", status_code=303)

    @r.get("/events", response_class=HTMLResponse)
    def events(request: Request, actor: str = "", action: str = "") -> Response:
        session = console.sessions.require(request, "admin")
        found = console.users.events(actor=actor or None, action=action or None, limit=200)
        return console.render(
            request, "events.html", session, events=found, actor=actor, action=action
        )

    return r
