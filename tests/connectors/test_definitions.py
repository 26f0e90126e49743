"""The same battery for every source definition, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connectors import DefinitionError, load_definition, load_definitions
from connectors.definition import bundled_sources_dir, resolve_env
from connectors.registry import resolved_transport
from tongban.entities import ENTITIES

BUNDLED = sorted(bundled_sources_dir().glob("*.yaml"))


def test_the_four_department_systems_are_defined():
    found = load_definitions()
    assert {"gongan_population", "scjg_enterprise", "minzheng_marriage", "renshe_insurance"} <= set(
        found
    )
    assert {d.transport.kind for d in found.values()} == {"soap", "rest", "sql", "files"}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
class TestEveryDefinition:
    def test_loads_and_maps_the_entity_key(self, path: Path):
        d = load_definition(path)
        spec = ENTITIES[d.entity]
        assert d.name == path.stem
        assert spec.key in d.mapping or d.entity == "license"
        assert set(d.mapping) <= {spec.key, *spec.fields}

    def test_holds_no_secret(self, path: Path):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        auth = data["transport"].get("auth") or {}
        for key, value in auth.items():
            if key not in (
                "kind",
                "username",
                "app_key",
                "digest",
                "algorithm",
                "header",
            ) and not key.endswith(("_env", "_header")):
                pytest.fail(f"{path.name}: auth.{key} looks like an inline secret: {value}")

    def test_every_environment_reference_is_named(self, path: Path):
        d = load_definition(path)
        with pytest.raises(DefinitionError, match="environment variable TONGBAN_"):
            resolved_transport(d, env={})

    def test_has_a_schedule_and_quality_thresholds(self, path: Path):
        d = load_definition(path)
        assert d.schedule and len(d.schedule.split()) == 5
        assert 0 < d.quality.min_success_ratio <= 1


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _minimal(**overrides) -> dict:
    data = {
        "name": "demo_rest",
        "title": "t",
        "department": "d",
        "entity": "enterprise",
        "record_id": "id",
        "transport": {
            "kind": "rest", "base_url": "http://x", "path": "/e",
            "pagination": {"kind": "page"},
        },
        "mapping": {"credit_code": "code", "name": {"from": "n", "transforms": ["clean"]}},
    }  # fmt: skip
    data.update(overrides)
    return data


def test_a_new_system_of_a_known_transport_is_only_a_yaml_file(tmp_path):
    _write(tmp_path, "demo_rest", _minimal())
    found = load_definitions(tmp_path)
    assert found["demo_rest"].transport.kind == "rest"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "blue"}, r"colour: Extra inputs are not permitted"),
        ({"title": None}, r"title: Input should be a valid string"),
        ({"entity": "planet"}, r"unknown entity 'planet'"),
        ({"mapping": {"credit_code": "c", "shoe_size": "s"}}, r"\['shoe_size'\] are not fields"),
        ({"mapping": {"name": "n"}}, r"must give the enterprise key 'credit_code'"),
        (
            {"mapping": {"credit_code": {"from": "c", "transforms": ["shout"]}}},
            r"unknown transform 'shout'",
        ),
        (
            {"mapping": {"credit_code": {"from": "c", "transforms": [{"map": "x"}]}}},
            r"transform map: map takes a mapping",
        ),
        ({"transport": {"kind": "ftp"}}, r"transport: Input tag 'ftp' found using 'kind'"),
        (
            {
                "transport": {
                    "kind": "rest",
                    "base_url": "x",
                    "path": "/",
                    "pagination": {"kind": "page"},
                    "auth": {"kind": "hmac", "app_key": "k", "secret": "s"},
                }
            },
            r"secret_env: Field required",
        ),
        ({"record_id": None}, r"record_id: give the source field"),
        (
            {"transport": {"kind": "files", "directory": "d", "sheet": "第一页"}},
            r"sheet applies to format: xlsx only",
        ),
    ],
)
def test_a_bad_definition_is_refused_naming_the_problem(tmp_path, change, message):
    path = _write(tmp_path, "demo_rest", _minimal(**change))
    with pytest.raises(DefinitionError, match=message) as info:
        load_definition(path)
    assert str(path) in str(info.value)


def test_the_name_must_match_the_file(tmp_path):
    path = _write(tmp_path, "other", _minimal())
    with pytest.raises(DefinitionError, match="must match the file name"):
        load_definition(path)


def test_environment_references():
    env = {"A": "1", "EMPTY": ""}
    assert resolve_env("x${A}y", env, where="w") == "x1y"
    assert resolve_env("${B:-dflt}", env, where="w") == "dflt"
    assert resolve_env("${EMPTY:-dflt}", env, where="w") == "dflt"
    with pytest.raises(DefinitionError, match="w: environment variable B is not set"):
        resolve_env("${B}", env, where="w")
