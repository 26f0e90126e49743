"""The exchange HTTP app: ``create_app(settings)`` builds it, routers are included below.

    >>> app = create_app(load_settings())
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)

A refusal of any kind — a :class:`~exchange.errors.Refusal`, bad input FastAPI caught,
an unknown path, an error of our own — is answered as a :class:`~exchange.errors.Problem`
naming the rule, after its audit entry is written.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.anchor import Anchorer
from exchange.cases import routes as cases_routes
from exchange.deps import get_hub, request_access
from exchange.errors import Problem, Refusal
from exchange.federation import mount as mount_federation
from exchange.hub import Hub
from exchange.metrics import LATENCY, REFUSALS, REQUESTS
from exchange.routes import health, items, licenses, records, subjects
from exchange.settings import ExchangeSettings
from license_vault import http as vault_http
from tongban.errors import TongbanError
from tongban.settings import Settings
from tongban.store import Store

__all__ = ["create_app"]

REFUSAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in (
        (401, "no or unknown credentials, or a revoked client"),
        (403, "refused by a rule the body names (purpose, share class, grant)"),
        (404, "no such subject or document"),
        (409, "more than one subject matches"),
        (422, "malformed input; the body names the rule (id_number.checksum, ...)"),
        (429, "over the client's rate limit; see Retry-After"),
    )
}


def create_app(
    settings: Settings,
    config: ExchangeSettings | None = None,
    *,
    store: Store | None = None,
) -> FastAPI:
    """The exchange app over the store ``settings`` name (or the ``store`` given)."""
    hub = Hub(settings, config, store=store)
    app = FastAPI(
        title="tongban exchange API",
        version="1",
        description="Shared evidence and e-licenses for approval systems, for a stated"
        " purpose, every access on a hash-chained audit log (通办数据共享交换接口).",
    )
    app.state.hub = hub
    # The one place routers are included. A router of another part of the exchange (case
    # intake, the vault's TSA/OCSP) is one more line here; the console mounts in
    # `tongban serve`.
    for router in (records.router, licenses.router, items.router, subjects.router,
                   cases_routes.router):  # fmt: skip
        app.include_router(router, prefix="/v1", responses=REFUSAL_RESPONSES)
    app.include_router(health.router)
    # The vault's public side (verify page, RFC 3161 TSA, CRL, OCSP): anyone may ask, with
    # no client credentials, so it is not under /v1. It uses this process's vault.
    app.include_router(vault_http.router)
    # Not a dependency override: any override makes FastAPI analyse every dependency of
    # every route again on each request.
    app.state.current_vault = lambda: hub.vault
    _handlers(app)
    mount_federation(app, hub)  # peers answer; what a peer offers is asked of it
    app.add_middleware(_Metrics)
    if hub.config.anchor_interval_s > 0:
        # The audit chain's head is time-stamped at an interval by each API process.
        anchorer = Anchorer(hub.store, hub.anchor, hub.config.anchor_interval_s)
        app.router.on_startup.append(anchorer.start)
        app.router.on_shutdown.append(anchorer.stop)
    return app


def _problem(request: Request, status: int, rule: str, message: str, retry: int | None) -> Any:
    access = request_access(request)
    if request.url.path.startswith("/v1"):
        get_hub(request).audit.append(access.entry("refused", status, reason=rule))
    REFUSALS.labels(rule).inc()
    headers = {"X-Request-Id": access.request_id}
    if retry is not None:
        headers["Retry-After"] = str(retry)
    body = Problem(error=rule, message=message, request_id=access.request_id)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _handlers(app: FastAPI) -> None:
    async def refusal(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, Refusal)
        return await run_in_threadpool(
            _problem, request, exc.status, exc.rule, exc.message, exc.retry_after
        )

    async def invalid(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return await run_in_threadpool(_problem, request, 422, "request.invalid", message, None)

    async def http_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, StarletteHTTPException)
        rule = {404: "request.not_found", 405: "request.method"}.get(exc.status_code, "request")
        return await run_in_threadpool(
            _problem, request, exc.status_code, rule, str(exc.detail), None
        )

    async def ours(request: Request, exc: Exception) -> Any:
        # A fatal error of a component (a seal that cannot be unlocked, say): 503, named.
        return await run_in_threadpool(_problem, request, 503, "hub.unavailable", str(exc), None)

    app.add_exception_handler(Refusal, refusal)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(TongbanError, ours)


class _Metrics:
    """Counts requests and their latency by route template (pure ASGI: cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(route).observe(time.perf_counter() - start)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
