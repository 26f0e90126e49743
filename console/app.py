"""The console mounted into a FastAPI app: its context, templates, static files and routes.

    >>> mount(app, Console(store, hub_settings, env=os.environ))   # doctest: +SKIP

``create_app`` builds an app holding the console alone (for ``tongban console serve`` and
tests); the hub's composition root mounts the same routes into the exchange app.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from console.i18n import LANGS, label
from console.jobs import SyncJobs
from console.sessions import Forbidden, Session, Sessions, SignInRequired
from console.settings import ConsoleSettings, load_console_settings
from console.users import Users
from tongban.settings import Settings
from tongban.store import Store

if TYPE_CHECKING:
    from connectors import SourceDefinition
    from exchange import Hub as ExchangeHub
    from license_vault import Vault

__all__ = ["PREFIX", "Console", "create_app", "mount"]

PREFIX = "/console"
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    # The browser itself refuses anything from another host, and framing by another site.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _with_lang(request: Request, lang: str) -> str:
    """This page's address in the other language (its other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*params, ("lang", lang)])


class Console:
    """What every page needs: the store, settings, users, sessions, templates, sync jobs."""

    def __init__(
        self,
        store: Store,
        hub: Settings,
        *,
        env: Mapping[str, str] | None = None,
        settings: ConsoleSettings | None = None,
        exchange: ExchangeHub | None = None,
    ):
        self.store = store
        self.hub = hub
        self.env = dict(os.environ if env is None else env)
        self.settings = settings or load_console_settings(hub, self.env)
        self.users = Users(store.engine)
        self.sessions = Sessions(self.settings, self.users)
        self.jobs = SyncJobs(self)
        self._definitions: tuple[float, dict[str, SourceDefinition]] | None = None
        self._exchange = exchange
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals["PREFIX"] = PREFIX
        self.templates.env.policies["json.dumps_kwargs"] = {
            "ensure_ascii": False,
            "sort_keys": True,
        }

    def definitions(self) -> dict[str, SourceDefinition]:
        """The source definitions, read again at most every half minute."""
        from connectors import load_definitions

        now = time.monotonic()
        if self._definitions is None or now - self._definitions[0] > 30:
            self._definitions = (now, load_definitions(self.hub.sources_dir))
        return self._definitions[1]

    @property
    def exchange(self) -> ExchangeHub:
        """The exchange's registries and audit log: the app's own when mounted in it."""
        if self._exchange is None:
            from exchange import Hub

            self._exchange = Hub(self.hub, store=self.store)
        return self._exchange

    @cached_property
    def vault(self) -> Vault:
        # Imported on first use: the signing and PDF libraries take seconds to load.
        from license_vault import Vault, load_vault_settings

        return Vault(self.store, load_vault_settings(self.hub))

    def lang(self, request: Request) -> str:
        wanted = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
        return wanted if wanted in LANGS else "zh"

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = self.lang(request)
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "session": session,
                "user": session.user if session else None,
                "csrf": session.csrf if session else "",
                "lang": lang,
                "html_lang": "zh-CN" if lang == "zh" else "en",
                "t": lambda key: label(key, lang),
                "other_lang_url": _with_lang(request, "en" if lang == "zh" else "zh"),
                **context,
            },
            status_code=status_code,
        )
        if request.query_params.get("lang") in LANGS:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", path="/")
        response.headers.update(SECURITY_HEADERS)
        return response

    def record(self, session: Session, action: str, target: str | None, **detail: Any) -> None:
        """One change made through the console: who, when, what."""
        self.users.record(session.user.username, action, target, detail)


def _routes(console: Console) -> APIRouter:
    from console import (
        pages_citizen,
        pages_exchange,
        pages_licenses,
        pages_quality,
        pages_records,
        pages_sources,
        pages_supervision,
        pages_users,
    )

    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        session = console.sessions.require(request)
        return console.render(request, "home.html", session)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = PREFIX + "/") -> Response:
        return console.render(request, "login.html", None, next=_safe_next(next), failed=False)

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        nxt = _safe_next(str(form.get("next", PREFIX + "/")))
        user = await run_in_threadpool(console.users.authenticate, username, password)
        if user is None:
            return console.render(
                request,
                "login.html",
                None,
                status_code=401,
                next=nxt,
                failed=True,
                username=username,
            )
        response = RedirectResponse(nxt, status_code=303)
        console.sessions.set_cookie(response, console.sessions.cookie_for(user))
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        session, _ = await console.sessions.require_form(request)
        console.record(session, "sign_out", session.user.username)
        response = RedirectResponse(PREFIX + "/login", status_code=303)
        response.delete_cookie("tongban_console", path="/")
        return response

    for module in (pages_sources, pages_quality, pages_records, pages_licenses, pages_users,
                   pages_exchange, pages_citizen, pages_supervision):  # fmt: skip
        router.include_router(module.router(console))
    return router


def _safe_next(value: str) -> str:
    """Only a path inside the console: never an open redirect to another host."""
    if value.startswith(PREFIX) and not value.startswith("//"):
        return value
    return PREFIX + "/"


def mount(app: FastAPI, console: Console) -> None:
    """Add the console's pages under ``/console``, its assets and the Data Docs (the
    exchange app's composition root calls this; see ``tongban serve``)."""
    from console.datadocs import DocsFiles

    app.include_router(_routes(console), prefix=PREFIX)
    app.mount(
        PREFIX + "/static", StaticFiles(directory=str(HERE / "static")), name="console-static"
    )
    app.mount(PREFIX + "/docs", DocsFiles(console), name="console-docs")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        session = console.sessions.read(request)
        return console.render(
            request, "forbidden.html", session, status_code=403, reason=exc.detail
        )


def create_app(console: Console) -> FastAPI:
    """An app holding the console alone (the root path leads to it)."""
    app = FastAPI(title="tongban console", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(PREFIX + "/", status_code=303)

    mount(app, console)
    return app
