"""``tongban serve``: the HTTP app, composed here for every API process.

:func:`compose` is the composition root of the web side: it builds the exchange app and
mounts what other packages serve next to it (the console, say). Each uvicorn worker
process calls it, so a mount added here holds in every worker.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import app, console, fail, ready_store, redact, state
from tongban.settings import load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["compose", "serve"]


def compose() -> FastAPI:
    """The app every API process serves (a uvicorn factory)."""
    from console import Console, mount
    from exchange import create_app

    settings = load_settings()
    web = create_app(settings)
    hub = web.state.hub
    mount(web, Console(hub.store, settings, exchange=hub))  # the web console at /console/
    return web


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
) -> None:
    """Run the exchange API (OpenAPI at /openapi.json, paths under /v1)."""
    from cli.workers import run_workers

    store = ready_store()
    from exchange import Hub

    try:  # the hub's answer seal, made once here rather than raced by the workers
        Hub(state.settings, store=store).signer.chain()
    except Exception as exc:
        fail(f"the hub's answer seal: {exc}")
    store.dispose()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tongban-metrics-")
    console.print(
        f"exchange API on http://{host}:{port} ({workers} worker(s)), store {redact(store.url)}"
    )
    run_workers(
        "cli.serve:compose",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
