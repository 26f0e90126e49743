"""Each transport against its real sandbox server: WSDL over HTTP, WS-Security checked by
the server, GBK, endpoint override, 429 and 5xx retried, HMAC refused, failures mid-run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from connectors import load_definitions, sync_source
from connectors.definition import Retry, SourceDefinition, Timeouts
from connectors.registry import resolved_transport
from connectors.soap import SoapConnector
from sandbox import DirtRates, World
from sandbox.enterprise import EnterpriseServer
from sandbox.population import PopulationServer
from tongban import SyncOptions
from tongban.errors import FatalError, RetriableError

WORLD = World(seed=7, people=120, enterprises=60)
QUICK = Retry(attempts=3, backoff=0.01, max_backoff=0.05)


def _definition(name: str, **transport: object) -> SourceDefinition:
    d = load_definitions()[name]
    return d.model_copy(update={"transport": d.transport.model_copy(update=transport)})


@contextmanager
def population(**options: object) -> Iterator[tuple[PopulationServer, dict[str, str]]]:
    server = PopulationServer(WORLD, DirtRates.none(), username="u", password="p", **options)
    with server:
        yield (
            server,
            {
                "TONGBAN_GONGAN_WSDL": server.wsdl_url,
                "TONGBAN_GONGAN_ENDPOINT": server.endpoint,
                "TONGBAN_GONGAN_USERNAME": "u",
                "TONGBAN_GONGAN_PASSWORD": "p",
            },
        )


@contextmanager
def registry(**options: object) -> Iterator[tuple[EnterpriseServer, dict[str, str]]]:
    server = EnterpriseServer(WORLD, DirtRates.none(), credentials={"k": "s3cret"}, **options)
    with server:
        yield (
            server,
            {
                "TONGBAN_SCJG_URL": server.url,
                "TONGBAN_SCJG_APP_KEY": "k",
                "TONGBAN_SCJG_APP_SECRET": "s3cret",
            },
        )


# -- SOAP -------------------------------------------------------------------------------


def test_soap_pages_through_the_registry_with_ws_security(store):
    with population() as (_, env):
        d = _definition("gongan_population", page_size=50)
        summary = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted, summary.pages) == (120, 120, 3)
    person = WORLD.person(0)
    stored = store.get("person", person.id_number)
    assert stored["name"] == person.name  # decoded from GBK
    assert stored["address"] == person.address


def test_a_wrong_password_is_refused_with_the_fault_string(store):
    with population() as (_, env), pytest.raises(FatalError, match="认证失败") as info:
        sync_source(
            store,
            load_definitions()["gongan_population"],
            SyncOptions(),
            env={**env, "TONGBAN_GONGAN_PASSWORD": "wrong"},
        )
    assert "wsse:FailedAuthentication" in str(info.value)
    [run] = store.runs(source="gongan_population")
    assert run["status"] == "failed" and "认证失败" in run["message"]
    assert store.count("person") == 0


def test_the_endpoint_the_wsdl_advertises_is_overridden(tmp_path):
    with population() as (server, env):
        t = resolved_transport(_definition("gongan_population"), env)
        advertised = t.model_copy(
            update={
                "wsdl": server.wsdl_url,
                "endpoint": None,
                "retry": Retry(attempts=1),
                "timeout": Timeouts(connect=0.3, read=0.3),
            }
        )
        connector = SoapConnector(
            "g",
            advertised,
            record_id="recordId",
            secrets={"TONGBAN_GONGAN_PASSWORD": "p"},
            cache_dir=tmp_path,
        )
        # 10.20.30.40 is the registry's internal address: not the sandbox, whatever answers.
        with pytest.raises((RetriableError, FatalError), match=r"QueryChangedPersons|Timeout"):
            next(connector.pages(None))
        overridden = advertised.model_copy(update={"endpoint": server.endpoint})
        connector = SoapConnector(
            "g",
            overridden,
            record_id="recordId",
            secrets={"TONGBAN_GONGAN_PASSWORD": "p"},
            cache_dir=tmp_path,
        )
        first = next(connector.pages(None))
        assert len(first.records) == 120
    assert list((tmp_path / "wsdl").glob("*.xml"))  # the WSDL is cached


def test_a_system_failing_mid_run_leaves_a_failed_run_and_the_last_cursor(store):
    d = _definition("gongan_population", page_size=40, retry=QUICK)
    with population(fail_after_pages=2) as (_, env):
        with pytest.raises(RetriableError, match=r"gave up after 3 tries.*soap:Server"):
            sync_source(store, d, SyncOptions(batch_size=40, quality_group=40), env=env)
    [run] = store.runs(source="gongan_population")
    assert run["status"] == "failed" and "服务暂不可用" in run["message"]
    assert run["read"] == 80 and store.count("person") == 80
    assert store.cursor("gongan_population")["next"] == 3  # page 3 is where to go on
    with population() as (_, env):  # the registry is back
        rest = sync_source(store, d, SyncOptions(batch_size=40, quality_group=40), env=env)
    assert (rest.read, rest.inserted) == (40, 40)
    assert store.count("person") == 120


# -- REST -------------------------------------------------------------------------------


def test_rest_honours_429_retry_after_and_retries_5xx(store, caplog):
    caplog.set_level(logging.INFO, logger="connectors.base")
    d = _definition("scjg_enterprise", retry=Retry(attempts=10, backoff=0.01, max_backoff=1))
    d = d.model_copy(
        update={
            "transport": d.transport.model_copy(
                update={"pagination": d.transport.pagination.model_copy(update={"limit": 5})}
            )
        }
    )
    with registry(rate_limit=8, error_every=4) as (_, env):
        summary = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted) == (60, 60)
    retried = " ".join(r.getMessage() for r in caplog.records)
    assert "HTTP 429" in retried and ("HTTP 503" in retried or "HTTP 500" in retried)


def _small_pages(d: SourceDefinition, limit: int) -> SourceDefinition:
    pagination = d.transport.pagination.model_copy(update={"limit": limit})  # type: ignore[union-attr]
    return d.model_copy(
        update={"transport": d.transport.model_copy(update={"pagination": pagination})}
    )


def test_a_page_cut_off_half_way_is_read_again(store, caplog):
    caplog.set_level(logging.INFO, logger="connectors.base")
    d = _small_pages(_definition("scjg_enterprise", retry=QUICK), 7)
    with registry(cut_every=3) as (_, env):
        summary = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted, summary.quarantined) == (60, 60, 0)
    assert summary.reconciles and store.count("enterprise") == 60
    retried = " ".join(r.getMessage() for r in caplog.records)
    assert "broke off" in retried and "IncompleteRead" in retried


def test_pages_share_one_keep_alive_connection(store):
    """The body is read whole and the connection goes back to the pool: a sync of nine
    pages opens one connection, not nine."""
    d = _small_pages(load_definitions()["scjg_enterprise"], 7)
    with registry() as (server, env):
        summary = sync_source(store, d, SyncOptions(), env=env)
        accepted = server.connections_accepted
    assert summary.pages == 9 and summary.read == 60
    assert accepted == 1


def test_a_wrong_hmac_secret_is_refused_with_a_clear_error(store):
    with registry() as (_, env):
        with pytest.raises(FatalError, match="HTTP 401, the system refused our credentials") as e:
            sync_source(
                store,
                load_definitions()["scjg_enterprise"],
                SyncOptions(),
                env={**env, "TONGBAN_SCJG_APP_SECRET": "guess"},
            )
    assert "invalid_signature" in str(e.value)
    [run] = store.runs(source="scjg_enterprise")
    assert run["status"] == "failed" and "invalid_signature" in run["message"]


def test_an_unreachable_system_fails_the_run_with_a_clear_message(store):
    d = _definition("scjg_enterprise", retry=QUICK)
    with pytest.raises(RetriableError, match=r"gave up after 3 tries.*ConnectionError"):
        sync_source(
            store,
            d,
            SyncOptions(),
            env={
                "TONGBAN_SCJG_URL": "http://127.0.0.1:9",
                "TONGBAN_SCJG_APP_KEY": "k",
                "TONGBAN_SCJG_APP_SECRET": "s",
            },
        )
    [run] = store.runs(source="scjg_enterprise")
    assert run["status"] == "failed" and "ConnectionError" in run["message"]
    assert store.cursor("scjg_enterprise") is None


def test_rest_incremental_pass_starts_at_the_high_water_mark(store):
    with registry() as (_, env):
        d = load_definitions()["scjg_enterprise"]
        sync_source(store, d, SyncOptions(), env=env)
        cursor = store.cursor("scjg_enterprise")
        assert cursor["next"] is None and cursor["high_water"]
        again = sync_source(store, d, SyncOptions(), env=env)
    # Only what changed at the high-water instant itself is read again, and it is unchanged.
    assert again.read < 60 and again.inserted == again.updated == 0
