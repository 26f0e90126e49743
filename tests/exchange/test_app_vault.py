"""The vault's public router inside the exchange app: it serves the hub's own vault."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from exchange_world import Api

from exchange import create_app
from tongban.settings import Settings
from tongban.store import Store


@pytest.mark.postgres
def test_the_vault_router_serves_the_hubs_vault_without_an_override(api: Api):
    # The vault comes from app.state, not a dependency override, which would make FastAPI
    # analyse every route's dependencies again on each request.
    got = httpx.get(api.base + "/licenses/pki/root.crt", timeout=30)
    assert got.status_code == 200, got.text
    root = api.hub.vault.seals.root().certificate
    assert got.content == root.public_bytes(serialization.Encoding.DER)


def test_the_app_overrides_no_dependency(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    app = create_app(Settings(data_dir=tmp_path, database_url=store.url), store=store)
    assert app.dependency_overrides == {}
    app.state.hub.dispose()
    store.dispose()
