"""Fixtures of the exchange tests: a seeded PostgreSQL store and the API on a loopback port.

The world: one person whose identity comes from 公安, marital status from 民政 and phone
from 人社; two namesakes born the same day (for the match's ambiguity); an enterprise
from 市场监管 with a sealed business license from the vault.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exchange import ExchangeSettings, Hub, create_app
from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char
from tongban.pipeline import load_records
from tongban.settings import Settings
from tongban.store import Store

PG_ADMIN_URL = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ITEM = "11110000RS0201"  # 生育津贴申领: identity (公安), marriage (民政), insurance (人社)
FOOD = "11110000SC0102"  # 食品经营许可: business license and registration (市场监管)


def citizen_id(region: str, born: str, seq: str) -> str:
    return region + born + seq + id_check_char(region + born + seq)


def credit_code(org8: str, region: str = "110105") -> str:
    org = org8 + org_code_check_char(org8)
    first17 = "91" + region + org
    return first17 + credit_check_char(first17)


@dataclass(frozen=True)
class World:
    person: str
    namesakes: tuple[str, str]
    enterprise: str
    license_id: str
    url: str  # the store


@dataclass
class Api:
    base: str
    hub: Hub
    world: World

    def client(self, client_id: str, *, rate_limit: int | None = None) -> dict[str, str]:
        """Register a client; headers with its key and a stated purpose."""
        _, key = self.hub.clients.add(client_id, f"审批系统 {client_id}", rate_limit=rate_limit)
        assert key is not None
        return {
            "X-API-Key": key,
            "X-Service-Item": ITEM,
            "X-Case-Number": f"{client_id}-001",
            "X-Operator": "%E5%BC%A0%E4%B8%89",
        }

    def get(self, path: str, headers: dict[str, str], **kw: object) -> httpx.Response:
        return httpx.get(self.base + path, headers=headers, timeout=30, **kw)  # type: ignore[arg-type]


def _seed(store: Store, tmp: Path) -> World:
    person = citizen_id("110105", "19900101", "123")
    a = citizen_id("310104", "19880808", "451")
    # A namesake born the same day whose number ends in the same four characters.
    b = next(
        n
        for region in (
            "310101",
            "310104",
            "310105",
            "310106",
            "310107",
            "310109",
            "310110",
            "310112",
            "310113",
            "310115",
            "310116",
            "310117",
        )
        for first in "0123456789"
        if (n := citizen_id(region, "19880808", first + "51")) != a and n[-4:] == a[-4:]
    )
    ent = credit_code("MA01ABCD")
    load_records(
        store,
        "person",
        [
            (
                "g1",
                {
                    "id_number": person,
                    "name": "王伟",
                    "gender": "1",
                    "birth_date": "1990-01-01",
                    "address": "北京市朝阳区新华街1号",
                    "ethnicity": "01",
                },
            ),
            ("g2", {"id_number": a, "name": "李娜", "gender": "1", "birth_date": "1988-08-08"}),
            ("g3", {"id_number": b, "name": "李娜", "gender": "1", "birth_date": "1988-08-08"}),
            (
                "g4",
                {
                    "id_number": citizen_id("110101", "19700101", "002"),
                    "name": "赵敏",
                    "gender": "2",
                    "birth_date": "1970-01-01",
                },
            ),
        ],
        source="gongan_population",
    )
    same = {"id_number": person, "name": "王伟", "gender": "1", "birth_date": "1990-01-01"}
    for source, extra in (
        ("minzheng_marriage", {"marital_status": "20"}),
        ("renshe_insurance", {"phone": "13812345678"}),
    ):
        summary = load_records(store, "person", [("x", {**same, **extra})], source=source)
        assert summary.quarantined == 0, store.quarantined()
    load_records(
        store,
        "enterprise",
        [
            (
                "e1",
                {
                    "credit_code": ent,
                    "name": "北京鸿达餐饮有限公司",
                    "enterprise_type": "有限责任公司",
                    "legal_rep_id_number": person,
                    "legal_rep_name": "王伟",
                    "registered_capital": "100",
                    "established_on": "2020-05-01",
                    "address": "北京市朝阳区新华街2号",
                    "status": "存续",
                },
            )
        ],
        source="scjg_enterprise",
    )
    load_records(
        store,
        "license",
        [
            (
                "l1",
                {
                    "license_type_code": "11100000000013127D001",
                    "license_type_name": "营业执照",
                    "license_number": ent,
                    "holder_name": "北京鸿达餐饮有限公司",
                    "holder_id": ent,
                    "holder_id_type": "001",
                    "issuer_name": "北京市朝阳区市场监督管理局",
                    "issuer_code": credit_code("MB012345"),
                    "issue_date": "2020-05-01",
                    "valid_from": "2020-05-01",
                    "valid_until": "",
                    "jurisdiction_code": "110105",
                    "status": "valid",
                },
            )
        ],
        source="scjg_license",
    )
    from license_vault import Vault, VaultSettings

    vault = Vault(store, VaultSettings(data_dir=tmp))  # the KEK file the API reads too
    report = vault.issue_all()
    assert not report.refused, report.refused
    return World(person, (a, b), ent, report.issued[0].identifier, store.url)


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The exchange app served by uvicorn on a free loopback port, over a seeded store."""
    data = tmp_path_factory.mktemp("hub")
    store = Store(pg_url)
    store.migrate()
    world = _seed(store, data)
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
        store.dispose()
