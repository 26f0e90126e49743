"""The app `bench/exchange.py` serves: the exchange as `tongban serve` composes it, plus a
bare endpoint doing the same indexed lookup with no authentication, policy, signature
or audit. Every answer says which worker process gave it (``X-Worker``), so the bench
can count how the connections were spread. Loaded by the workers as
``bench._exchange_app:make``."""

from __future__ import annotations

import os

import msgspec
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tongban.cli.serve import compose


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
    return app


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
