"""Every DAG imports, with the task graph, assets and schedule its definition asks for,
and parsing a DAG file stays light (nothing heavy imported, time per file printed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from airflow_kit import DAGS, airflow_base_env

from connectors import load_definitions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_PARSE = textwrap.dedent(
    """
    import json, sys, time
    from airflow.dag_processing.dagbag import DagBag
    heavy = ("great_expectations", "zeep", "connectors", "license_vault", "expectations",
             "pandas", "pyhanko", "sandbox", "exchange", "matplotlib")
    before = set(sys.modules)
    bag = DagBag(dag_folder=sys.argv[1])
    loaded = sorted({m.split(".")[0] for m in set(sys.modules) - before}
                    & set(heavy))
    print(json.dumps({
        "errors": {k: v[-500:] for k, v in bag.import_errors.items()},
        "heavy": loaded,
        "seconds": {s.file: s.duration.total_seconds() for s in bag.dagbag_stats},
        "dags": sorted(bag.dags),
        "schedules": {d.dag_id: str(d.timetable) for d in bag.dags.values()},
    }))
    """
)


def _parse(tmp_path: Path, extra_sources: Path | None = None, **extra: str) -> dict:
    env = {**airflow_base_env(tmp_path / "home"), **extra}
    if extra_sources is not None:
        env["TONGBAN_SOURCES_DIR"] = str(extra_sources)
    done = subprocess.run([sys.executable, "-c", _PARSE, str(DAGS)], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("airflow_home")
    for key, value in airflow_base_env(home).items():
        monkeypatch_module.setenv(key, value)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert not bag.import_errors, bag.import_errors
    return bag


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _uris(assets) -> set[str]:
    return {a.uri for a in assets}


def test_every_source_has_its_sync_dag(dagbag):
    definitions = load_definitions()
    sync_dags = {d for d in dagbag.dags if d.startswith("sync_")}
    assert sync_dags == {f"sync_{name}" for name in definitions}
    for name, definition in definitions.items():
        dag = dagbag.dags[f"sync_{name}"]
        assert dag.timetable.expression == definition.schedule, name
        assert dag.catchup is False and dag.max_active_runs == 1
        written = {definition.entity, *(c.entity for c in definition.children)}
        asset = {f"tongban://store/{entity}" for entity in written}
        for t in dag.tasks:
            assert t.owner == definition.owner, (name, t.task_id)
            assert t.retries == definition.retries
            assert t.execution_timeout == timedelta(seconds=definition.timeout)
            assert t.on_failure_callback, (name, t.task_id)
        if definition.partitions > 1:
            tasks = {t.task_id: t for t in dag.tasks}
            assert set(tasks) == {"plan", "sync_partition", "finish"}
            assert tasks["plan"].downstream_task_ids == {"sync_partition"}
            assert tasks["sync_partition"].downstream_task_ids == {"finish"}
            assert tasks["finish"].downstream_task_ids == set()
            mapped = tasks["sync_partition"]
            assert mapped.is_mapped
            assert mapped.op_kwargs_expand_input.value["part"] == list(range(definition.partitions))
            assert _uris(tasks["finish"].outlets) == asset
            assert not tasks["plan"].outlets and not mapped.outlets
        else:
            [only] = dag.tasks
            assert only.task_id == "sync" and _uris(only.outlets) == asset


def test_the_large_source_is_partitioned():
    assert load_definitions()["gongan_population"].partitions == 2


def test_license_issuance_follows_the_license_asset(dagbag):
    dag = dagbag.dags["issue_licenses"]
    assert [t.task_id for t in dag.tasks] == ["issue"]
    assert _uris(dag.timetable.asset_condition.objects) == {"tongban://store/license"}
    producers = {d.dag_id for d in dagbag.dags.values()
                 for t in d.tasks if "tongban://store/license" in _uris(t.outlets)}  # fmt: skip
    assert producers == {"sync_scjg_license", "sync_zrzy_realestate", "sync_zjj_qualification"}


def test_the_cases_dags_run_the_commands_code_on_their_schedules(dagbag):
    scan = dagbag.dags["supervision_scan"]
    assert scan.timetable.expression == "*/15 * * * *"
    [sweep] = scan.tasks
    assert sweep.task_id == "sweep" and _uris(sweep.outlets) == {"tongban://store/outbox"}

    dispatch = dagbag.dags["dispatch_outbox"]
    assert [t.task_id for t in dispatch.tasks] == ["dispatch"]
    schedule = dispatch.timetable  # every 5 minutes, and whenever the scan queued cards
    assert schedule.timetable.expression == "*/5 * * * *"
    assert _uris(schedule.asset_condition.objects) == {"tongban://store/outbox"}

    report = dagbag.dags["monthly_report"]
    assert report.timetable.expression == "0 2 1 * *"
    assert [t.task_id for t in report.tasks] == ["report"] and "period" in report.params
    for dag_id in ("supervision_scan", "dispatch_outbox", "monthly_report"):
        dag = dagbag.dags[dag_id]
        assert dag.catchup is False and dag.max_active_runs == 1
        assert all(t.on_failure_callback and t.retries >= 2 for t in dag.tasks)


def test_parsing_imports_nothing_heavy_and_is_timed(tmp_path, capsys):
    found = _parse(tmp_path)
    assert not found["errors"], found["errors"]
    assert found["heavy"] == []
    assert "issue_licenses" in found["dags"]
    with capsys.disabled():
        for name, seconds in sorted(found["seconds"].items()):
            print(f"\ndag_parse_seconds[{name}]: {seconds:.3f}")


def test_a_definition_in_the_sources_dir_becomes_a_dag(tmp_path):
    extra = tmp_path / "sources"
    extra.mkdir()
    raw = yaml.safe_load((DAGS.parent / "connectors/sources/scjg_enterprise.yaml").read_text())
    raw.update(name="scjg_branch", schedule="5 4 * * *", partitions=3, owner="branch-team")
    (extra / "scjg_branch.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    shutil.copy(DAGS.parent / "connectors/sources/scjg_license.yaml", extra / "scjg_license.yaml")
    found = _parse(tmp_path, extra)
    assert not found["errors"], found["errors"]
    assert "sync_scjg_branch" in found["dags"] and "sync_scjg_license" in found["dags"]


def test_dags_can_run_only_when_triggered_or_by_their_assets(tmp_path):
    found = _parse(tmp_path, TONGBAN_AIRFLOW_SCHEDULES="manual")
    assert not found["errors"], found["errors"]
    schedules = found["schedules"]
    clocked = {d: s for d, s in schedules.items()
               if d.startswith("sync_") or d in ("supervision_scan", "monthly_report")}  # fmt: skip
    assert len(clocked) > 2 and all("NullTimetable" in s for s in clocked.values()), clocked
    assert "AssetTriggeredTimetable" in schedules["issue_licenses"]
    assert "AssetTriggeredTimetable" in schedules["dispatch_outbox"]  # no 5-minute clock
