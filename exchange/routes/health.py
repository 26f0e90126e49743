"""Liveness, readiness (the store answers and its migrations are current) and metrics."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from exchange.hub import Hub
from exchange.metrics import CONTENT_TYPE_LATEST, render

__all__ = ["router"]

router = APIRouter(tags=["health"])


@cache
def _head() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("tongban.store").joinpath("migrations"))
    )
    return ScriptDirectory.from_config(cfg).get_current_head()


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """The store answers and its schema is at the migrations' head (503 otherwise)."""
    hub: Hub = request.app.state.hub

    def check() -> tuple[bool, dict[str, str | None]]:
        try:
            revision = hub.store.schema_revision()
        except Exception as exc:  # any driver error means not ready
            return False, {"status": "store unreachable", "detail": str(exc)[:200]}
        head = _head()
        ok = revision == head
        return ok, {
            "status": "ok" if ok else "migrations pending",
            "revision": revision,
            "head": head,
        }

    ok, body = await run_in_threadpool(check)
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus metrics: requests, latency, refusals by reason, proofs saved."""
    return Response(render(), media_type=CONTENT_TYPE_LATEST)
