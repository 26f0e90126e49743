from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from cli._common import state


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TONGBAN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    state._store = None
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result

    yield invoke
    if state._store is not None:
        state._store.dispose()
        state._store = None


def test_the_tongban_command_is_the_cli_package():
    """The console script runs ``cli.main``: the top layer, not a module of the core."""
    from importlib.metadata import entry_points

    import cli as package

    (script,) = entry_points(group="console_scripts", name="tongban")
    assert script.value == "cli:main"
    assert script.load() is package.main


def test_commands_need_an_initialised_store(cli):
    result = cli("quarantine", "list")
    assert result.exit_code == 1
    assert "tongban init" in result.output


def test_init_load_lookup_and_quarantine(cli, tmp_path):
    assert "created" in cli("init").output
    assert "up to date" in cli("init").output
    people = tmp_path / "people.csv"
    people.write_text(
        "id_number,name,gender,birth_date\n"
        "110105491231002,张三,女,1949年12月31日\n"
        "11010519491231002Y,李四,,\n",
        encoding="gbk",
    )
    result = cli("load", str(people), "--entity", "person", "--encoding", "gbk")
    assert result.exit_code == 0, result.output
    assert "quarantine list" in result.output
    shown = cli("person", "11010519491231002x")
    assert shown.exit_code == 0
    assert "张三" in shown.output and "people.csv:2" in shown.output
    listed = cli("quarantine", "list")
    assert "id_number.charset" in listed.output and "1 shown of 1" in listed.output
    assert cli("person", "110105194912310029").exit_code == 1
    assert "as known on" in cli("person", "11010519491231002X", "--as-of", "2999-01-01").output
    assert cli("person", "11010519491231002X", "--as-of", "2000-01-01").exit_code == 1


def test_load_rejects_unknown_columns_and_missing_files(cli, tmp_path):
    cli("init")
    typo = tmp_path / "typo.csv"
    typo.write_text("id_numbr,name\n1,2\n", encoding="utf-8")
    result = cli("load", str(typo), "--entity", "person")
    assert result.exit_code == 1 and "id_numbr" in result.output
    assert cli("load", str(tmp_path / "nope.csv"), "--entity", "person").exit_code == 1
    assert cli("load", str(typo), "--entity", "spaceship").exit_code == 1


def test_demo_syncs_every_sandbox_system_and_is_repeatable(cli):
    first = cli("demo", "--people", "120", "--enterprises", "30")
    assert first.exit_code == 0, first.output
    assert "matches the" in first.output
    for source in ("gongan_population", "scjg_enterprise", "minzheng_marriage",
                   "renshe_insurance", "scjg_license", "zjj_qualification",
                   "zrzy_realestate"):  # fmt: skip
        assert source in first.output
    second = cli("demo", "--people", "120", "--enterprises", "30")
    assert second.exit_code == 0, second.output
    assert "matches the" in second.output
    assert " 0 new, 0 updated" in second.output
    sources = cli("sources")
    assert sources.output.count("succeeded") == 7


def test_enterprise_lookup_shows_sources_and_conflicts(cli, tmp_path):
    cli("init")
    first = tmp_path / "e1.csv"
    first.write_text("credit_code,name,registered_capital\n91350100M000100Y43,闽都有限公司,100\n")
    second = tmp_path / "e2.csv"
    second.write_text("credit_code,name\n91350100m000100y43,闽都公司\n")
    assert (
        cli("load", str(first), "--entity", "enterprise", "--source", "scjg_enterprise").exit_code
        == 0
    )
    assert cli("load", str(second), "--entity", "enterprise").exit_code == 0
    shown = cli("enterprise", "91350100M000100Y43")
    assert shown.exit_code == 0
    assert "闽都有限公司" in shown.output and "scjg_enterprise" in shown.output
    assert "conflicts between sources" in shown.output and "闽都公司" in shown.output
    bad = cli("enterprise", "91350100M000100Y44")
    assert bad.exit_code == 1 and "credit_code.checksum" in bad.output


def test_sync_offers_a_full_pass(cli):
    shown = cli("sync", "--help")
    assert shown.exit_code == 0 and "--full" in shown.output
    cli("init")
    unknown = cli("sync", "nope", "--full")
    assert unknown.exit_code == 1 and "unknown sources" in unknown.output
