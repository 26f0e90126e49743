"""The whole sandbox: the department systems started together, plus the manifest.

    >>> with Sandbox(tmp_path, SandboxConfig(people=200, enterprises=50)) as sb:  # doctest: +SKIP
    ...     sb.env["TONGBAN_SCJG_URL"], sb.manifest.invalid_count("gongan_population")

Starts the SOAP population registry and the REST enterprise registry on loopback ports
(0: free ones), writes the marriage front-end DB (default ``<dir>/frontdb.sqlite``) and the
insurance file drop (``<dir>/drop/``), starts the SOAP real-estate registry
(:mod:`sandbox.realestate`), and writes ``<dir>/manifest.json``. Credentials are
fixed per seed (``World.secret``), so a restarted sandbox accepts the same ones.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TextIO

from sandbox.construction import ConstructionServer, construction_dirt
from sandbox.dirt import DirtRates
from sandbox.enterprise import EnterpriseServer
from sandbox.filedrop import write_drop
from sandbox.frontdb import write_frontdb
from sandbox.manifest import Manifest, ManifestEntry, Written
from sandbox.population import PopulationServer
from sandbox.realestate import RealEstateServer
from sandbox.sources import enterprise_item, license_item, population_person
from sandbox.titles import written as titles_written
from sandbox.world import World

__all__ = ["DEFAULT_PORTS", "Sandbox", "SandboxConfig", "serve"]

DEFAULT_PORTS = (8711, 8712)  # SOAP, REST for `tongban sandbox up`
SOAP_USERNAME, REST_APP_KEY = "tongban_gongan", "tongban_scjg"
ZRZY_USERNAME = "tongban_zrzy"
_Render = Callable[[World, DirtRates, int], tuple[Mapping[str, object], ManifestEntry | None]]


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 20261122
    people: int = 400
    enterprises: int = 120
    dirt: DirtRates = field(default_factory=DirtRates)
    as_of: date = date(2026, 11, 22)
    rest_rate_limit: float | None = None
    rest_error_every: int = 0
    rest_fail_after_pages: int | None = None
    rest_prerender: bool = False
    soap_fail_after_pages: int | None = None
    frontdb_url: str | None = None  # SQLAlchemy URL; default: SQLite file in the directory
    drop_days: int = 3
    drop_start: date | None = None
    host: str = "127.0.0.1"
    soap_port: int = 0
    rest_port: int = 0


class Sandbox:
    """Runnable stand-ins for 公安, 市场监管, 民政 and 人社, and what they hold."""

    def __init__(self, directory: str | Path, config: SandboxConfig | None = None) -> None:
        self.directory = Path(directory)
        self.config = config or SandboxConfig()
        c = self.config
        self.world = World(c.seed, c.people, c.enterprises, as_of=c.as_of)
        self.drop_dir = self.directory / "drop"
        self.frontdb_url = c.frontdb_url or f"sqlite:///{self.directory / 'frontdb.sqlite'}"
        self.soap_username, self.soap_password = SOAP_USERNAME, self.world.secret("gongan")
        self.app_key, self.app_secret = REST_APP_KEY, self.world.secret("scjg")
        self._population: PopulationServer | None = None
        self._enterprise: EnterpriseServer | None = None
        self._manifest: Manifest | None = None
        self._construction: ConstructionServer | None = None
        self.zjj_api_key = self.world.secret("zjj")
        self._realestate: RealEstateServer | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> Sandbox:
        c, w = self.config, self.world
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(c.seed)
        parts = [
            *self._registry_dirt(),
            write_frontdb(self.frontdb_url, w, c.dirt),
            write_drop(self.drop_dir, w, c.dirt, c.drop_days, c.drop_start),
            construction_dirt(w, c.dirt),
            titles_written(w, c.dirt),
        ]
        for part in parts:
            manifest.add_source(part.source, part.records, part.entries)
        manifest.write(self.directory / "manifest.json")
        self._manifest = manifest
        try:
            self._population = PopulationServer(
                w, c.dirt, username=self.soap_username, password=self.soap_password,
                fail_after_pages=c.soap_fail_after_pages, host=c.host, port=c.soap_port,
            ).start()  # fmt: skip
            self._enterprise = EnterpriseServer(
                w, c.dirt, credentials={self.app_key: self.app_secret},
                rate_limit=c.rest_rate_limit, error_every=c.rest_error_every,
                fail_after_pages=c.rest_fail_after_pages, prerender=c.rest_prerender,
                host=c.host, port=c.rest_port,
            ).start()  # fmt: skip
            self._construction = ConstructionServer(
                w, c.dirt, api_key=self.zjj_api_key, host=c.host
            ).start()
            self._realestate = RealEstateServer(
                w, c.dirt, username=ZRZY_USERNAME, password=w.secret("zrzy"), host=c.host,
            ).start()  # fmt: skip
        except BaseException:
            self.stop()
            raise
        return self

    def _registry_dirt(self) -> list[Written]:
        w, rates = self.world, self.config.dirt

        def entries(render: _Render, count: int) -> list[ManifestEntry]:
            found = (render(w, rates, i)[1] for i in range(count))
            return [e for e in found if e is not None]

        enterprises = entries(enterprise_item, w.enterprises)
        licenses = entries(license_item, w.enterprises)
        return [
            Written("gongan_population", w.people, entries(population_person, w.people)),
            Written("scjg_enterprise", w.enterprises, enterprises),
            Written("scjg_license", w.enterprises, licenses + _orphans(enterprises, licenses)),
        ]

    def stop(self) -> None:
        servers = (self._population, self._enterprise, self._construction, self._realestate)
        for server in servers:
            if server is not None:
                server.stop()
        self._population = self._enterprise = self._construction = self._realestate = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def serve_forever(self, out: TextIO = sys.stdout, stop: threading.Event | None = None) -> None:
        """Start, print ``export NAME=value`` lines, and serve until interrupted."""
        self.start()
        try:
            for name, value in self.env.items():
                print(f"export {name}={value}", file=out)
            print(f"# manifest: {self.directory / 'manifest.json'}", file=out, flush=True)
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- what the hub's source definitions read ---------------------------------------------
    def _running(self) -> tuple[PopulationServer, EnterpriseServer]:
        if self._population is None or self._enterprise is None:
            raise RuntimeError("the sandbox is not running; use `with Sandbox(...)` or start()")
        return self._population, self._enterprise

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            raise RuntimeError("the sandbox has not been started")
        return self._manifest

    @property
    def population_url(self) -> str:
        return self._running()[0].endpoint

    @property
    def enterprise_url(self) -> str:
        return self._running()[1].url

    @property
    def env(self) -> dict[str, str]:
        soap, rest = self._running()
        return {
            "TONGBAN_GONGAN_WSDL": soap.wsdl_url,
            "TONGBAN_GONGAN_ENDPOINT": soap.endpoint,
            "TONGBAN_GONGAN_USERNAME": self.soap_username,
            "TONGBAN_GONGAN_PASSWORD": self.soap_password,
            "TONGBAN_SCJG_URL": rest.url,
            "TONGBAN_SCJG_APP_KEY": self.app_key,
            "TONGBAN_SCJG_APP_SECRET": self.app_secret,
            "TONGBAN_MINZHENG_DB_URL": self.frontdb_url,
            "TONGBAN_RENSHE_DROP_DIR": str(self.drop_dir),
            **self._construction_env(),
            **self._realestate_env(),
        }

    def _realestate_env(self) -> dict[str, str]:
        if self._realestate is None:
            raise RuntimeError("the sandbox is not running; use `with Sandbox(...)` or start()")
        return {
            "TONGBAN_ZRZY_WSDL": self._realestate.wsdl_url,
            "TONGBAN_ZRZY_ENDPOINT": self._realestate.endpoint,
            "TONGBAN_ZRZY_USERNAME": ZRZY_USERNAME,
            "TONGBAN_ZRZY_PASSWORD": self.world.secret("zrzy"),
        }

    def _construction_env(self) -> dict[str, str]:
        if self._construction is None:
            raise RuntimeError("the sandbox is not running; use `with Sandbox(...)` or start()")
        return {"TONGBAN_ZJJ_URL": self._construction.url, "TONGBAN_ZJJ_API_KEY": self.zjj_api_key}


def _orphans(
    enterprises: list[ManifestEntry], licenses: list[ManifestEntry]
) -> list[ManifestEntry]:
    """Business licenses whose holder never reaches the store: the registry's record of
    the enterprise is quarantined, so the hub must hold the license back as well (its
    holder is checked against the store). Business license i belongs to enterprise i."""
    dirty = {e.record for e in licenses}
    out = []
    for e in enterprises:
        if e.expect != "quarantined":
            continue
        record = "YYZZ" + e.record.removeprefix("SCJG")
        if record not in dirty:
            entry = ManifestEntry(
                "scjg_license", record, "holder_quarantined", "uniscid", "quarantined",
                "holder_id.not_in_store", None, "holder_id",
            )  # fmt: skip
            out.append(entry)
    return out


def serve(
    directory: str | Path,
    config: SandboxConfig | None = None,
    ports: tuple[int, int] = DEFAULT_PORTS,
    out: TextIO = sys.stdout,
) -> None:
    """`tongban sandbox up`: run the sandbox on fixed ports (SOAP, REST) until interrupted."""
    base = config or SandboxConfig()
    soap_port, rest_port = ports
    Sandbox(directory, replace(base, soap_port=soap_port, rest_port=rest_port)).serve_forever(out)
