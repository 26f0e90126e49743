"""Fixtures of the exchange tests: a seeded PostgreSQL store and the API on a loopback port."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import uvicorn
from exchange_world import Api, free_port, seed
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exchange import ExchangeSettings, create_app
from tongban.settings import Settings
from tongban.store import Store

PG_ADMIN_URL = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    name = f"tongban_exchange_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def api(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The exchange app served by uvicorn on a free loopback port, over a seeded store."""
    data = tmp_path_factory.mktemp("hub")
    store = Store(pg_url)
    store.migrate()
    world = seed(store, data)
    settings = Settings(data_dir=data, database_url=pg_url)
    app = create_app(settings, ExchangeSettings(rate_window_s=3600), store=store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield Api(f"http://127.0.0.1:{port}", app.state.hub, world)
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.hub.dispose()
        store.dispose()
