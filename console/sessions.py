"""Sign-in sessions, CSRF tokens and role checks.

A session is a signed, timed cookie (itsdangerous) holding the user's id and a CSRF
token; nothing is kept in a process, so N console processes behind a load balancer accept
each other's sessions. The user is read again on every request: a disabled user's session
stops working at once. Every form that changes something carries the session's CSRF token,
and every page and action names the roles it needs.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from console.settings import ConsoleSettings
from console.users import User, Users

__all__ = ["COOKIE", "Forbidden", "Session", "Sessions", "SignInRequired"]

COOKIE = "tongban_console"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


class Forbidden(HTTPException):
    """Signed in, but without a role this page or action needs (or a bad CSRF token)."""

    def __init__(self, detail: str):
        super().__init__(status_code=403, detail=detail)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


class Sessions:
    def __init__(self, settings: ConsoleSettings, users: Users):
        self.settings = settings
        self.users = users
        self._signer = URLSafeTimedSerializer(settings.secret, salt="tongban-console-session")

    def cookie_for(self, user: User) -> str:
        return self._signer.dumps({"uid": user.id, "csrf": secrets.token_urlsafe(24)})

    def set_cookie(self, response: Any, value: str) -> None:
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(self.settings.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookie,
            path="/",
        )

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=int(self.settings.session_hours * 3600))
        except BadSignature:
            return None
        user = self.users.get(int(data["uid"]))
        if user is None or not user.active:
            return None
        return Session(user, str(data["csrf"]))

    def require(self, request: Request, *roles: str) -> Session:
        """The request's session, if its user holds one of ``roles`` (any role if none)."""
        session = self.read(request)
        if session is None:
            raise SignInRequired()
        if roles and not session.user.may(*roles):
            raise Forbidden(f"{session.user.username}: needs role {' or '.join(roles)}")
        return session

    async def require_form(self, request: Request, *roles: str) -> tuple[Session, dict[str, Any]]:
        """A changing action: the role check, then the form and its CSRF token."""
        session = self.require(request, *roles)
        form = await request.form()
        token = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
        if not hmac.compare_digest(token, session.csrf):
            raise Forbidden("the form's CSRF token does not match the session; reload the page")
        return session, dict(form)
