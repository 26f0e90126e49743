"""The app `bench/exchange.py` serves: the exchange as `tongban serve` composes it, plus a
bare endpoint doing the same indexed lookup with no authentication, policy, signature
or audit. Every answer says which worker process gave it (``X-Worker``), so the bench
can count how the connections were spread. With ``TONGBAN_BENCH_TIMINGS`` naming a
folder, each worker also times the steps the bench reports apart (the audit append, the
wait for a store connection, the signature) and writes them there when it stops.
Loaded by the workers as ``bench._exchange_app:make``."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cli.serve import compose


def make() -> FastAPI:
    app = compose()
    store = app.state.hub.store
    encode = msgspec.json.Encoder().encode

    @app.get("/bare/people/{id_number}", include_in_schema=False)
    def bare(id_number: str, request: Request) -> Response:
        record = store.get("person", id_number)
        if record is None:
            return Response(status_code=404)
        return Response(encode({"data": record}), media_type="application/json")

    app.add_middleware(_Worker)
    if os.environ.get("TONGBAN_BENCH_TIMINGS"):
        _time_steps(app, Path(os.environ["TONGBAN_BENCH_TIMINGS"]))
    return app


def _time_steps(app: FastAPI, folder: Path) -> None:
    """Wrap the steps in timers; ``(wall clock at the end, step, seconds)`` each call."""
    hub = app.state.hub
    hub.signer.chain()  # the seal loaded now, not in the first timed signature
    seen: list[tuple[float, str, float]] = []
    lock = threading.Lock()

    def timed(step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.perf_counter() - t0
                with lock:
                    seen.append((time.time(), step, took))

        return call

    hub.audit.append = timed("audit_append", hub.audit.append)
    hub.signer.sign = timed("sign", hub.signer.sign)
    pool = hub.store.engine.pool
    pool.connect = timed("store_pool_wait", pool.connect)

    def dump() -> None:
        (folder / f"{os.getpid()}.json").write_text(json.dumps(seen))

    app.router.on_shutdown.append(dump)


class _Worker:
    """Adds ``X-Worker: <pid>`` to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = (b"x-worker", str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), self.header]
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)
