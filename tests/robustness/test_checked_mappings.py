"""A mapping that reads a field the system does not have is refused before any record
is read, naming the mapping key and the nearest real field: against a file's header and
a front-end database's own columns (reflected)."""

from __future__ import annotations

import pytest
from kit import GOOD, HEADER, WORLD, definition, stored_state, write_drop

from connectors import sync_source
from sandbox import DirtRates, write_frontdb
from tongban import SyncOptions
from tongban.errors import FatalError


def _misspelt(name: str, target: str, wrong: str):
    d = definition(name)
    mapping = dict(d.mapping)
    entry = mapping[target]
    mapping[target] = (
        wrong if isinstance(entry, str) else entry.model_copy(update={"source": wrong})
    )
    return d.model_copy(update={"mapping": mapping})


def test_a_misspelt_field_of_a_file_drop_is_refused_with_the_nearest(store, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join(GOOD) + "\n")
    before = stored_state(store)
    d = _misspelt("renshe_insurance", "birth_date", "出生年月")
    with pytest.raises(FatalError) as info:
        sync_source(store, d, SyncOptions(), env={"TONGBAN_RENSHE_DROP_DIR": str(drop)})
    assert str(info.value) == (
        "renshe_insurance: mapping.birth_date: source field '出生年月' is not in the header of"
        " shebao_20261101.csv (nearest: '出生日期')"
    )
    assert stored_state(store) == before


def test_a_misspelt_column_of_a_front_end_db_is_refused_with_the_nearest(store, tmp_path):
    url = f"sqlite:///{tmp_path / 'frontdb.sqlite'}"
    write_frontdb(url, WORLD, DirtRates.none())
    before = stored_state(store)
    d = _misspelt("minzheng_marriage", "name", "xmm")
    with pytest.raises(FatalError) as info:
        sync_source(store, d, SyncOptions(), env={"TONGBAN_MINZHENG_DB_URL": url})
    assert str(info.value) == (
        "minzheng_marriage: mapping.name: source field 'xmm' is not in table 'mz_hydj'"
        " (nearest: 'xm')"
    )
    assert stored_state(store) == before
    assert (
        sync_source(
            store,
            definition("minzheng_marriage"),
            SyncOptions(),
            env={"TONGBAN_MINZHENG_DB_URL": url},
        ).status
        == "succeeded"
    )


def test_a_path_into_nested_and_repeated_records_maps_its_value(store):
    """A REST record whose legal representative comes nested in a list of roles."""
    import json

    from fault_proxy import Hit, Reply
    from kit import registry

    def nest(hit: Hit) -> Reply | None:
        if not hit.path.startswith("/api/v1/enterprises"):
            return None
        document = json.loads(hit.body)
        for item in document["items"]:
            item["roles"] = {"role": [{"kind": "法定代表人", "name": item.pop("lerep")}]}
        return hit.reply(body=json.dumps(document, ensure_ascii=False).encode())

    d = definition("scjg_enterprise")
    mapping = {**d.mapping, "legal_rep_name": "roles.role[0].name"}
    d = d.model_copy(update={"mapping": mapping})
    with registry(nest) as env:
        summary = sync_source(store, d, SyncOptions(), env=env)
    assert (summary.read, summary.inserted) == (30, 30)
    first = WORLD.enterprise(0)
    assert store.get("enterprise", first.credit_code)["legal_rep_name"] == first.legal_rep_name


def test_a_path_that_selects_many_values_is_refused_at_load(tmp_path):
    from connectors import DefinitionError, load_definition
    from connectors.definition import bundled_sources_dir

    text = (bundled_sources_dir() / "scjg_enterprise.yaml").read_text("utf-8")
    path = tmp_path / "scjg_enterprise.yaml"
    path.write_text(text.replace("legal_rep_name: lerep", "legal_rep_name: roles[*].name"))
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    line = text[: text.index("legal_rep_name: lerep")].count("\n") + 1
    assert f"line {line}: mapping.legal_rep_name:" in str(info.value)
    assert "'roles[*].name' selects every item of a list" in str(info.value)


def test_a_structured_target_is_built_from_several_source_fields():
    """A license's type-specific fields (坐落, 用途, 面积) from three source columns, each
    with its own transforms; a bad value names the structure's field."""
    from decimal import Decimal

    from connectors import compile_mapping
    from connectors.definition import FieldMapping

    fields = FieldMapping.model_validate({"fields": {
        "坐落": {"from": "zl", "transforms": ["clean"]},
        "用途": "yt",
        "面积": {"from": "mj", "transforms": ["decimal"]},
    }})  # fmt: skip
    mapper = compile_mapping({"license_number": FieldMapping.model_validate({"from": "bh"}),
                              "fields": fields})  # fmt: skip
    raw = {"bh": "X1", "zl": " 朝阳区  建国路1号 ", "yt": "住宅", "mj": "89.50"}
    assert mapper(raw) == {
        "license_number": "X1",
        "fields": {"坐落": "朝阳区 建国路1号", "用途": "住宅", "面积": Decimal("89.50")},
    }
    _, error = mapper.lenient({**raw, "mj": "八十"})
    assert error is not None and error.rule == "fields.面积.format"
    assert mapper({"bh": "X2"}) == {"license_number": "X2", "fields": None}
    with pytest.raises(ValueError, match="give it alone"):
        FieldMapping.model_validate({"from": "x", "fields": {"a": "b"}})


def test_a_misspelt_field_of_a_soap_record_is_refused_with_the_nearest(store):
    from kit import population

    before = stored_state(store)
    d = _misspelt("gongan_population", "birth_date", "csrqq")
    with population() as env, pytest.raises(FatalError) as info:
        sync_source(store, d, SyncOptions(), env=env)
    assert str(info.value) == (
        "gongan_population: mapping.birth_date: source field 'csrqq' is not in the WSDL's"
        " person records (nearest: 'csrq')"
    )
    assert stored_state(store) == before
