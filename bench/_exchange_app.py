"""The app `bench/exchange.py` serves: the exchange as `tongban serve` composes it, plus a
bare endpoint doing the same indexed lookup with no authentication, policy, signature
or audit. Loaded by uvicorn's workers as ``bench._exchange_app:make``."""

from __future__ import annotations

import msgspec
from fastapi import FastAPI, Request, Response

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

    return app
