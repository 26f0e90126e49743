"""The standard battery runs for every bundled source against its sandbox system, and for
a source added as a YAML file written here (no code)."""

from __future__ import annotations

import pytest
from source_kit import check_source

from connectors import load_definitions, load_sources
from connectors.definition import bundled_sources_dir

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(load_definitions()))
def test_every_bundled_source_passes_the_kit(sandbox, tmp_path, name):
    found = load_definitions()
    check_source(
        found[name], sandbox.env, tmp_path, expected_records=sandbox.manifest.records[name],
        before=(found["scjg_enterprise"],) if name == "scjg_license" else (),
    )  # fmt: skip


def test_a_source_written_as_yaml_gets_the_same_kit(sandbox, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    text = (bundled_sources_dir() / "renshe_insurance.yaml").read_text("utf-8")
    (sources / "shebao_copy.yaml").write_text(
        text.replace("name: renshe_insurance", "name: shebao_copy"), encoding="utf-8"
    )
    found = load_sources(sources)
    assert not found.problems
    check_source(
        found.definitions["shebao_copy"], sandbox.env, tmp_path,
        expected_records=sandbox.manifest.records["renshe_insurance"],
    )  # fmt: skip
