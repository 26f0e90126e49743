"""What a process imports before it does any work: a command that does not validate never
imports Great Expectations, nor does any process of the exchange API, and the gate
imports only what it needs. Each case runs in a fresh interpreter and reads its
``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("great_expectations", "pandas", "scipy.stats._stats_py", "altair.vegalite")


def imported_after(code: str, tmp_path: Path, **env: str) -> set[str]:
    """The heavy modules in ``sys.modules`` once ``code`` has run in a fresh interpreter."""
    script = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=environment,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def run_cli(*args: str) -> str:
    """Python that runs ``tongban *args`` in the same interpreter (exit status 0 kept)."""
    return (
        "import sys\nfrom cli import main\n"
        f"sys.argv = ['tongban', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
    )


def test_the_command_and_its_help_import_no_validation(tmp_path: Path) -> None:
    assert imported_after("import cli", tmp_path) == set()
    assert imported_after(run_cli("--help"), tmp_path) == set()


def test_listing_and_syncing_an_empty_source_import_no_validation(tmp_path: Path) -> None:
    """A sync that reads nothing (a drop directory with no file yet) never builds the gate."""
    drop = tmp_path / "drop"
    drop.mkdir()
    env = {"TONGBAN_DATA_DIR": str(tmp_path / "data"), "TONGBAN_RENSHE_DROP_DIR": str(drop)}
    commands = run_cli("init") + run_cli("sources") + run_cli("sync", "renshe_insurance")
    assert imported_after(commands, tmp_path, **env) == set()


def test_the_exchange_api_process_never_imports_validation(tmp_path: Path) -> None:
    """The app every API process serves (the uvicorn factory), console mounted."""
    env = {"TONGBAN_DATA_DIR": str(tmp_path / "data")}
    compose = run_cli("init") + "from cli.serve import compose\ncompose()\n"
    assert imported_after(compose, tmp_path, **env) == set()


CONSOLE_WORK = """
import time
from console import Console, ConsoleSettings
from tongban.settings import load_settings
from tongban.store import Store

hub = load_settings()
hub.data_dir.mkdir(parents=True)
store = Store(hub.store_url)
store.migrate()
console = Console(store, hub, settings=ConsoleSettings(secret="s", data_dir=hub.data_dir))
job = console.jobs.start("renshe_insurance", by="tester")
while console.jobs.get(job.id).status == "running":
    time.sleep(0.1)
job = console.jobs.get(job.id)
assert (job.status, job.counts["inserted"], job.counts["quarantined"]) == ("succeeded", 1, 1), job
assert store.validation_results(limit=10), "the sync's batch did not pass the gate"
entry = store.quarantined(status="open", limit=None)[0]
store.correct(entry["id"], "公民身份号码", "110105194912310038", by="tester", why="typo")
from console.offload import reprocess_in_child
report = reprocess_in_child(store, definitions=console.definitions(), ids=[entry["id"]],
                            region_check="historical")
assert report.landed == [entry["id"]], report
"""


def test_console_syncs_and_reprocessing_validate_in_a_process_of_their_own(
    tmp_path: Path,
) -> None:
    """A sync started from the console and a record reprocessed from it pass the gate,
    and the console's process (an API process) still never imports GX."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "shebao_20261101.csv").write_text(
        "公民身份号码,姓名,性别,出生日期,联系电话\n"
        "11010519491231002X,王芳,女,1949-12-31,13800138000\n"
        "11010519491231003Y,李四,男,1949-12-31,13800138001\n",
        encoding="gbk",
    )
    env = {"TONGBAN_DATA_DIR": str(tmp_path / "data"), "TONGBAN_RENSHE_DROP_DIR": str(drop)}
    assert imported_after(CONSOLE_WORK, tmp_path, **env) == set()


def test_sub_command_groups_load_when_they_run(tmp_path: Path) -> None:
    modules = ("console.cli", "exchange.cli", "license_vault.cli", "exchange.federation.cli")
    code = run_cli("--help") + f"assert not [m for m in {modules!r} if m in sys.modules]\n"
    assert imported_after(code, tmp_path) == set()


def test_each_lazy_group_shows_the_help_it_has() -> None:
    """The help ``tongban --help`` shows without importing a group is the group's own."""
    from cli import LAZY

    assert LAZY, "no lazily loaded command groups"
    for name, lazy in LAZY.items():
        command = lazy.load()
        assert command.name == name
        assert " ".join((command.help or "").split()) == lazy.help, name


@pytest.mark.slow
def test_the_gate_defers_what_it_never_runs(tmp_path: Path) -> None:
    """Importing the gate loads GX and pandas but not scipy.stats nor altair; an
    expectation that needs scipy.stats still gets the real module."""
    assert imported_after("import expectations", tmp_path) == {"great_expectations", "pandas"}
    code = (
        "import expectations\n"
        "from great_expectations.expectations.core import"
        " expect_column_kl_divergence_to_be_less_than as kl\n"
        "assert abs(kl.stats.norm.cdf(0) - 0.5) < 1e-12\n"
    )
    assert "scipy.stats._stats_py" in imported_after(code, tmp_path)
