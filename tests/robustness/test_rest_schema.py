"""A REST mapping is checked against the system's own OpenAPI document (or a JSON Schema
of its answers) before any record is read: a path the schema does not declare is
refused naming the mapping key and the nearest real path; the document's fetch is
retried and refused as data calls are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fault_proxy import FaultProxy, Hit, Reply
from kit import QUICK, stored_state

from connectors import load_definitions, sync_source
from connectors._rest_schema import missing_paths
from connectors.definition import RestSchema, SourceDefinition
from sandbox import DirtRates, World
from sandbox.construction import OPENAPI, SOURCE, ConstructionServer
from tongban import SyncOptions
from tongban.errors import FatalError, RetriableError

WORLD = World(seed=9, people=60, enterprises=20)


@contextmanager
def construction(fault=None) -> Iterator[tuple[dict[str, str], FaultProxy]]:
    with ConstructionServer(WORLD, DirtRates.none(), api_key="key") as server:
        with FaultProxy(server.url, fault) as proxy:
            yield {"TONGBAN_ZJJ_URL": proxy.url, "TONGBAN_ZJJ_API_KEY": "key"}, proxy


def _definition(mapping: dict[str, str] | None = None, **schema: str) -> SourceDefinition:
    d = load_definitions()[SOURCE]
    t = d.transport.model_copy(update={"retry": QUICK})
    if schema:
        t = t.model_copy(update={"schema_": RestSchema.model_validate(schema)})
    return d.model_copy(update={"transport": t, "mapping": {**d.mapping, **(mapping or {})}})


def _schema_fetches(proxy: FaultProxy, path: str = "/openapi.json") -> int:
    return sum(h.path == path for h in proxy.hits)


def test_a_misspelt_nested_field_is_refused_with_the_nearest_before_any_record(store):
    before = stored_state(store)
    with construction() as (env, proxy), pytest.raises(FatalError) as info:
        sync_source(
            store, _definition({"legal_rep_name": "legal_rep.nmae"}), SyncOptions(), env=env
        )
    assert str(info.value) == (
        f"{SOURCE}: mapping.legal_rep_name: source field 'legal_rep.nmae' is not in the records"
        f" of the OpenAPI document {env['TONGBAN_ZJJ_URL']}/openapi.json"
        " (nearest: 'legal_rep.name')"
    )
    assert [h.path for h in proxy.hits] == ["/openapi.json"]  # no data call was made
    assert stored_state(store) == before


def test_the_bundled_mapping_matches_the_served_document(store):
    """... and fans out: every certificate a license held by its enterprise (a holder
    written in the same batch), every staff member a person."""
    from sandbox.construction import qualified_enterprise

    with construction() as (env, proxy):
        summary = sync_source(store, _definition(), SyncOptions(), env=env)
    assert (summary.status, summary.read) == ("succeeded", WORLD.enterprises)
    assert _schema_fetches(proxy) == 1
    items = [qualified_enterprise(WORLD, DirtRates.none(), i)[0] for i in range(WORLD.enterprises)]
    certificates = sum(len(i["qualifications"]) for i in items)
    staff = {p["id_number"] for i in items for p in i["registered_staff"]}
    assert (store.count("license"), store.count("person")) == (certificates, len(staff))
    assert summary.children["license"]["inserted"] == certificates
    number = items[0]["qualifications"][0]["cert_no"]
    license = store.get("license", f"1110000000001316XM001:{number}")
    assert license["holder_id"] == items[0]["uscc"] and license["holder_name"] == items[0]["name"]


def test_a_misspelt_path_of_a_child_record_is_refused_naming_the_child_key(store):
    d = _definition()
    staff = d.children[1]
    wrong = staff.model_copy(update={"mapping": {**staff.mapping, "name": "nmae"}})
    d = d.model_copy(update={"children": [d.children[0], wrong]})
    with construction() as (env, _), pytest.raises(FatalError) as info:
        sync_source(store, d, SyncOptions(), env=env)
    assert str(info.value) == (
        f"{SOURCE}: children[1].mapping.name: source field 'registered_staff[*].nmae' is not"
        f" in the records of the OpenAPI document {env['TONGBAN_ZJJ_URL']}/openapi.json"
        " (nearest: 'registered_staff[*].name')"
    )


def test_a_schema_fetch_answering_503_is_retried(tmp_path):
    answered = {"n": 0}

    def once_unavailable(hit: Hit) -> Reply | None:
        if hit.path != "/openapi.json":
            return None
        answered["n"] += 1
        return hit.reply(status=503, body=b"busy") if answered["n"] == 1 else None

    from tongban.store import Store

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.migrate()
    with construction(once_unavailable) as (env, _):
        summary = sync_source(store, _definition(), SyncOptions(), env=env)
    store.dispose()
    assert summary.status == "succeeded" and summary.read == WORLD.enterprises
    assert answered["n"] == 2


@pytest.mark.parametrize("status", [404, 403])
def test_a_fatal_schema_fetch_says_the_url_and_the_status(status):
    def refuse(hit: Hit) -> Reply | None:
        if hit.path == "/openapi.json":
            return hit.reply(status=status, body="没有这个文档".encode())
        return None

    from connectors import open_connector

    with construction(refuse) as (env, proxy):
        connector = open_connector(_definition(), env=env)
        with pytest.raises(FatalError) as info:
            next(iter(connector.pages(None)))
        connector.close()
    assert str(info.value) == (
        f"{SOURCE}: HTTP {status} fetching the OpenAPI document"
        f" {env['TONGBAN_ZJJ_URL']}/openapi.json: 没有这个文档"
    )
    assert _schema_fetches(proxy) == 1  # fatal: asked once


def test_a_schema_fetch_that_keeps_failing_gives_up_retriable():
    def down(hit: Hit) -> Reply | None:
        return hit.reply(status=502, body=b"bad gateway") if hit.path == "/openapi.json" else None

    from connectors import open_connector

    with construction(down) as (env, proxy):
        connector = open_connector(_definition(), env=env)
        with pytest.raises(RetriableError, match=r"gave up after 4 tries: .*HTTP 502 fetching"):
            next(iter(connector.pages(None)))
        connector.close()
    assert _schema_fetches(proxy) == QUICK.attempts


def test_a_json_schema_of_the_answer_checks_the_same_way():
    body = {
        **OPENAPI["components"]["schemas"]["EnterprisePage"],
        "components": OPENAPI["components"],
    }

    def serve_schema(hit: Hit) -> Reply | None:
        if hit.path == "/schemas/page.json":
            return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        return None

    from connectors import open_connector

    d = _definition({"address": "adress"}, json_schema="/schemas/page.json")
    with construction(serve_schema) as (env, _):
        connector = open_connector(d, env=env)
        with pytest.raises(FatalError) as info:
            next(iter(connector.pages(None)))
        connector.close()
    assert "mapping.address: source field 'adress' is not in the records of the JSON Schema" in (
        str(info.value)
    )
    assert str(info.value).endswith("(nearest: 'address')")


def test_an_operation_the_document_lacks_is_named_with_the_nearest():
    from connectors import open_connector

    d = _definition(openapi="/openapi.json", response="GET /api/v2/qualified-enterprise")
    with construction() as (env, _):
        connector = open_connector(d, env=env)
        with pytest.raises(FatalError, match=r"has no operation GET /api/v2/qualified-enterprise "
                           r"\(nearest: '/api/v2/qualified-enterprises'\)"):  # fmt: skip
            next(iter(connector.pages(None)))
        connector.close()


RECORD = OPENAPI["components"]["schemas"]["Enterprise"]


@pytest.mark.parametrize(
    ("path", "nearest"),
    [
        ("uscc", None),
        ("legal_rep.id_number", None),
        ("qualifications[*].cert_no", None),
        ("qualifications[0].issued_on", None),
        ("registered_staff[*].reg_no", None),  # from the second part of an allOf
        ("registered_staff[*].id_number", None),  # from a $ref in the first part
        ("qualifications[*].cert_noo", "qualifications[*].cert_no"),
        ("registered_staff[*].id_numbr", "registered_staff[*].id_number"),
        ("qualification[*].scope", "qualifications[*].scope"),
        ("legal_rep.nmae", "legal_rep.name"),
    ],
)
def test_paths_into_nested_objects_and_arrays_are_walked(path, nearest):
    from connectors._rest_schema import _Doc

    found = missing_paths(RECORD, {"k": path}, _Doc(OPENAPI))
    assert found == ([] if nearest is None else [("k", path, nearest)])


def test_what_the_schema_leaves_open_is_not_checked():
    record = {
        "type": "object",
        "properties": {
            "extra": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object"},
            "elsewhere": {"$ref": "other.json#/Thing"},
        },
    }
    wanted = {"a": "extra.anything", "b": "free.whatever", "c": "elsewhere.x", "d": "nope"}
    assert missing_paths(record, wanted) == [("d", "nope", None)]
