"""Shared pieces of the robustness battery: the sandbox systems (clean data, so every
quarantined record is one the test put there), file drops, and REST through a proxy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fault_proxy import FaultProxy, Hit, Reply

from connectors import load_definitions
from connectors.definition import Retry, SourceDefinition
from sandbox import DirtRates, World
from sandbox.enterprise import EnterpriseServer
from sandbox.population import PopulationServer

WORLD = World(seed=7, people=60, enterprises=30)
QUICK = Retry(attempts=4, backoff=0.01, max_backoff=0.05)

HEADER = "公民身份号码,姓名,性别,出生日期,联系电话,参保状态,参保日期,单位统一社会信用代码\n"
GOOD = [
    "11010519491231002X,张三,女,1949-12-31,13800138000,参保,2020-01-01,",
    "110101199003074477,李四,男,1990-03-07,13900139000,参保,2020-01-01,",
]


def definition(name: str, *, pagination: dict[str, Any] | None = None, **transport: Any):
    d: SourceDefinition = load_definitions()[name]
    t = d.transport
    if pagination is not None:
        t = t.model_copy(update={"pagination": t.pagination.model_copy(update=pagination)})  # type: ignore[union-attr]
    return d.model_copy(update={"transport": t.model_copy(update=transport)})


def write_drop(directory: Path, name: str, text: str, encoding: str = "gbk") -> Path:
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path


@contextmanager
def registry(fault: Callable[[Hit], Reply | None] | None = None) -> Iterator[dict[str, str]]:
    """The REST enterprise registry behind a fault-injecting proxy; yields the env."""
    server = EnterpriseServer(WORLD, DirtRates.none(), credentials={"k": "s3cret"})
    with server, FaultProxy(server.url, fault) as proxy:
        yield {
            "TONGBAN_SCJG_URL": proxy.url,
            "TONGBAN_SCJG_APP_KEY": "k",
            "TONGBAN_SCJG_APP_SECRET": "s3cret",
        }


@contextmanager
def population(fault: Callable[[Hit], Reply | None] | None = None) -> Iterator[dict[str, str]]:
    """The SOAP population registry behind a fault-injecting proxy; yields the env."""
    server = PopulationServer(WORLD, DirtRates.none(), username="u", password="p")
    with server, FaultProxy(server.url, fault) as proxy:
        yield {
            "TONGBAN_GONGAN_WSDL": f"{proxy.url}/population?wsdl",
            "TONGBAN_GONGAN_ENDPOINT": f"{proxy.url}/population",
            "TONGBAN_GONGAN_USERNAME": "u",
            "TONGBAN_GONGAN_PASSWORD": "p",
        }


def edit_first_item(field: str, value: Any, *, page: int = 1) -> Callable[[Hit], Reply | None]:
    """A fault: the ``page``-th page of records comes with item 0's ``field`` set to
    ``value`` (JSON-encoded as Python's json would, lone surrogates included)."""
    seen = {"pages": 0}

    def fault(hit: Hit) -> Reply | None:
        if not hit.path.startswith("/api/v1/enterprises"):
            return None
        seen["pages"] += 1
        if seen["pages"] != page:
            return None
        document = json.loads(hit.body)
        document["items"][0][field] = value
        return hit.reply(body=json.dumps(document).encode())

    return fault


def stored_state(store: Any) -> tuple[int, int, int, str]:
    """What a failed or refused input must leave as it was."""
    return (
        store.count("person"),
        store.count("enterprise"),
        store.count("quarantine"),
        store.checksum(cursors=False),
    )
