"""A small federation of hubs: a province and two counties (省级平台, 县级平台), each in its
own process, with its own store and the data of its own departments.

    >>> with start_levels(tmp_path) as levels:                        # doctest: +SKIP
    ...     county = levels["county-a"]
    ...     httpx.get(county.url + f"/v1/people/{levels.people[0].id_number}",
    ...               headers=county.headers())          # a province-held record, signed by it

- 福建省 (``province``) holds the vertical departments' data: the 公安 population registry,
  民政 marriage registrations and 人社 social insurance of everyone in both counties, and
  its vault the sealed marriage certificates (结婚证) of the first married residents. Its
  catalog offers every shared resource.
- 闽侯县 (``county-a``, 350121) and 连江县 (``county-b``, 350122) hold the enterprises their
  market regulators registered, and offer those.

Each hub registers one approval system (``Hub.api_key``). The province knows both
counties as children, each county the province as its parent; roots are taken from each
hub's own store, as an administrator would hand them over, and each hub's refresher fetches
its peers' catalogs. Hubs run ``tongban serve`` on free loopback ports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sandbox._level_data import (
    MARRIAGE_CERTIFICATE,
    SPECS,
    HubSpec,
    Resident,
    make_residents,
    seed,
)

__all__ = [
    "ITEM",
    "MARRIAGE_CERTIFICATE",
    "SPECS",
    "HubSpec",
    "LevelHub",
    "Levels",
    "Resident",
    "start_levels",
]

ITEM = "11110000RS0201"  # 生育津贴申领: identity, marriage and insurance are its materials


@dataclass
class LevelHub:
    """One hub of the federation: its process, store and approval system."""

    spec: HubSpec
    data_dir: Path
    database_url: str
    port: int
    api_key: str
    timeout_s: float
    rate_limit: int | None = None
    crl_max_age_s: float | None = None  # how long it keeps a peer's CRL
    process: subprocess.Popen[bytes] | None = None
    enterprises: list[str] = field(default_factory=list)
    _log: IO[bytes] | None = None

    @property
    def hub_id(self) -> str:
        return self.spec.hub_id

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
        env.update(
            TONGBAN_DATA_DIR=str(self.data_dir),
            TONGBAN_DATABASE_URL=self.database_url,
            TONGBAN_FEDERATION_HUB_ID=self.hub_id,
            TONGBAN_FEDERATION_TIMEOUT_S=str(self.timeout_s),
            TONGBAN_VAULT_HUB_NAME=self.spec.name,
            TONGBAN_VAULT_PKI_BASE_URL=f"{self.url}/licenses/pki",
            TONGBAN_VAULT_VERIFY_BASE_URL=f"{self.url}/licenses/verify",
        )
        if self.crl_max_age_s is not None:
            env["TONGBAN_FEDERATION_CRL_MAX_AGE_S"] = str(self.crl_max_age_s)
        if self.rate_limit is not None:  # the clients a peer enrols here
            env["TONGBAN_EXCHANGE_DEFAULT_RATE_LIMIT"] = str(self.rate_limit)
        if self.spec.offers is not None:
            env["TONGBAN_FEDERATION_OFFERS"] = (
                "[" + ",".join(f'"{o}"' for o in self.spec.offers) + "]"
            )
        return env

    def headers(self, *, case_no: str = "2026-0001", item: str = ITEM) -> dict[str, str]:
        """Headers of this hub's approval system: its key and a stated purpose."""
        return {"X-API-Key": self.api_key, "X-Service-Item": item, "X-Case-Number": case_no}

    def tongban(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a ``tongban`` command against this hub's store and settings."""
        return subprocess.run(
            [sys.executable, "-c", "from cli import main; main()", *args],
            env=self.env(), cwd=self.data_dir, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def start(self) -> None:
        self._log = (self.data_dir / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from cli import main; main()", "serve",
             "--port", str(self.port)],
            env=self.env(), cwd=self.data_dir, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.data_dir / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"hub {self.hub_id} exited: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"hub {self.hub_id} did not start within {timeout:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def pause(self) -> None:
        """Freeze the process: it accepts connections and never answers (a slow peer)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


@dataclass
class Levels:
    hubs: dict[str, LevelHub]
    people: list[Resident]

    def __getitem__(self, hub_id: str) -> LevelHub:
        return self.hubs[hub_id]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _root_pem(database_url: str) -> str:
    from sqlalchemy import select

    from tongban.store import Store, schema

    store = Store(database_url)
    try:
        t = schema.seal
        with store.engine.connect() as conn:
            return str(
                conn.execute(
                    select(t.c.certificate).where(t.c.kind == "root", t.c.status == "active")
                ).scalar_one()
            )
    finally:
        store.dispose()


def _wire(hubs: Mapping[str, LevelHub]) -> None:
    """Each hub knows its parent or children, by the root taken from the peer's own store."""
    from exchange.federation import PeerRegistry
    from tongban.store import Store

    roots = {h: _root_pem(hub.database_url) for h, hub in hubs.items()}
    links = [("province", c, "child") for c in hubs if c != "province"]
    links += [(c, "province", "parent") for c in hubs if c != "province"]
    for at, peer_id, level in links:
        store = Store(hubs[at].database_url)
        peer = hubs[peer_id]
        try:
            PeerRegistry(store).add(
                peer_id, peer.spec.name, url=peer.url, root_pem=roots[peer_id], level=level,
                regions=[peer.spec.region],
            )  # fmt: skip
        finally:
            store.dispose()


def _catalogs_fetched(hub: LevelHub, timeout: float = 120) -> None:
    """Wait for the hub to fetch its peers' catalogs (its refresher polls for new peers)."""
    from exchange.federation import PeerRegistry
    from tongban.store import Store

    store = Store(hub.database_url)
    deadline = time.monotonic() + timeout
    try:
        while any(p.catalog_at is None for p in PeerRegistry(store).list()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"hub {hub.hub_id} fetched no catalog within {timeout:g} s")
            time.sleep(0.2)
    finally:
        store.dispose()


@contextmanager
def start_levels(
    root: Path,
    *,
    database_urls: Mapping[str, str] | None = None,
    people: int = 12,
    enterprises: int = 3,
    timeout_s: float = 3.0,
    rate_limit: int | None = None,
    licenses: int = 2,
    crl_max_age_s: float | None = None,
) -> Iterator[Levels]:
    """Seed, start and wire the three hubs; stop them on the way out. ``licenses``: how
    many married residents hold a marriage certificate in the province's vault;
    ``crl_max_age_s``: how long each hub keeps a peer's CRL (default: the setting's)."""
    people_held = make_residents(people)
    hubs: dict[str, LevelHub] = {}
    for spec in SPECS:
        data = root / spec.hub_id
        data.mkdir(parents=True, exist_ok=True)
        url = (database_urls or {}).get(spec.hub_id) or f"sqlite:///{data / 'tongban.db'}"
        hubs[spec.hub_id] = LevelHub(
            spec, data, url, _free_port(), "", timeout_s, rate_limit, crl_max_age_s
        )
    try:
        for hub in hubs.values():
            seed(hub, people_held, enterprises, licenses)
            hub.start()
        for hub in hubs.values():
            hub.wait_ready()
        _wire(hubs)
        for hub in hubs.values():
            _catalogs_fetched(hub)
        yield Levels(hubs, people_held)
    finally:
        for hub in hubs.values():
            hub.stop()
