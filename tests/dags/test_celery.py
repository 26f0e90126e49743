"""The scaled deployment on this machine's real services: Airflow with CeleryExecutor
(scheduler, DAG processor, API server, two Celery workers with the hub's Celery settings,
``dags.celery_config``), its metadata in a throwaway PostgreSQL database, the broker
in Redis, the hub's store in PostgreSQL and the e-licenses in a real S3 server
(SeaweedFS).

One stack serves the module, every DAG run only when triggered or by its assets. The
first test syncs every source through the scheduler (the partitioned population registry
over both workers) and lets the license asset start the issuance DAG; the second takes in
cases of the people synced, runs the supervision scan, whose outbox asset starts the
dispatcher that pushes them to the sandbox provincial platform and e-supervision, and
the monthly report; the third kills a worker while it runs a partition, and Airflow's
retry on the other worker still ends with the store exact; the fourth serves the
exchange API from two processes on one address against the same store.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from airflow_kit import BIN, DAGS, free_port, start_weed, stop_group, wait_healthy
from sqlalchemy import text
from sqlalchemy.engine import make_url

from connectors import load_definitions, sync_source
from sandbox import Sandbox, SandboxConfig
from sandbox.receivers import CaseReceiver
from tongban import SyncOptions
from tongban.store import Store
from tongban.store.schema import metadata

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BATCH = 100  # several batches per partition, so a worker can die between two of them
GROUP = 100  # validated a group at a time, so the batches are spread over the run
WORKERS = ("worker-a", "worker-b")
SOURCES = list(load_definitions())  # the order `tongban sync --all` takes
DOWNSTREAM = ("issue_licenses", "supervision_scan", "dispatch_outbox", "monthly_report")
CST = timezone(timedelta(hours=8))
MATERNITY = "11110000RS0201"  # 生育津贴申领: 10 working days


@dataclass
class Stack:
    base: Path
    env: dict[str, str]
    api: str
    store_url: str
    sandbox: Sandbox
    province: CaseReceiver
    supervision: CaseReceiver
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, args: list[str], **extra: str) -> None:
        log = (self.base / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            [str(BIN / "airflow"), *args], env={**self.env, **extra}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=self.base,
        )  # fmt: skip

    def log(self, name: str) -> str:
        return (self.base / f"{name}.log").read_text(errors="replace")

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = httpx.request(method, f"{self.api}/api/v2{path}", timeout=30, **kwargs)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def trigger(self, dag_id: str, **conf: Any) -> str:
        """Start a run of ``dag_id`` (the DAGs run only when triggered or by their assets
        here: the syncs in the order ``tongban sync --all`` takes)."""
        body = {"logical_date": None, "conf": conf}
        return str(self.call("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def run_dag(self, dag_id: str, *, during: Any = None, timeout: float = 240) -> dict:
        """Trigger one run of ``dag_id`` and wait for it to finish."""
        return self.wait_run(dag_id, self.trigger(dag_id), during=during, timeout=timeout)

    def wait_run(self, dag_id: str, run_id: str, *, during: Any = None, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in ("success", "failed"):
                return run
            if during is not None:
                during(self, run_id)
            time.sleep(1)
        tail = "\n".join(f"--- {n}\n{self.log(n)[-1500:]}" for n in self.processes)
        raise AssertionError(f"{dag_id} run {run_id} did not finish in {timeout} s\n{tail}")

    def runs(self, dag_id: str) -> list[dict]:
        return list(self.call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"])

    def settle(self, dag_id: str, *, timeout: float) -> list[dict]:
        """The runs of ``dag_id`` once settled: every run ended, and no new one started
        over the last 15 s (an asset-triggered DAG gets a run for each asset event, and the
        last may start late). A wait bound, not a timing."""
        deadline = time.monotonic() + timeout
        runs: list[dict] = []
        settled: tuple[str, ...] = ()
        while time.monotonic() < deadline:
            runs = self.runs(dag_id)
            if runs and all(r["state"] in ("success", "failed") for r in runs):
                seen = tuple(sorted(r["dag_run_id"] for r in runs))
                if seen == settled:
                    break
                settled = seen
                time.sleep(15)
                continue
            settled = ()
            time.sleep(2)
        return runs

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        answer = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return answer["task_instances"]

    def store(self) -> Store:
        return Store(self.store_url)

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker ``name`` and every process under it (a task's supervisor
        starts its task in a session of its own), as if its machine died."""
        parents: dict[int, int] = {}
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    stat = (proc / "stat").read_text()
                except OSError:
                    continue
                parents[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, todo = set(), [self.processes[name].pid]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            todo.extend(child for child, parent in parents.items() if parent == pid)
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue

    def explain(self, dag_id: str, run_id: str) -> str:
        """The run's task instances and the store's run log, for a failure message."""
        lines = [f"{t['task_id']}[{t['map_index']}] {t['state']} try {t['try_number']}"
                 f" on {t['hostname']}" for t in self.task_instances(dag_id, run_id)]  # fmt: skip
        store = self.store()
        try:
            lines += [f"{r['source']} {r['kind']} {r['status']}: {r['message']}"
                      for r in store.runs(limit=20)]  # fmt: skip
        finally:
            store.dispose()
        return "\n".join(lines)


def _store_reference(sandbox: Sandbox, path: Path, sources: list[str]) -> tuple[str, set[str]]:
    """What ``tongban sync`` of ``sources`` leaves in a fresh store: its checksum, and the
    sources it keeps a sync state (a cursor) for."""
    reference = Store(f"sqlite:///{path}")
    reference.migrate()
    found = load_definitions()
    for name in sources:
        sync_source(
            reference,
            found[name],
            SyncOptions(batch_size=BATCH, quality_group=GROUP),
            env=sandbox.env,
        )
    checksum, states = reference.checksum(), set(reference.sync_states())
    reference.dispose()
    return checksum, states


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, pg_database_pair) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("celery")
    airflow_db, store_db = pg_database_pair
    metadata_url = make_url(airflow_db).set(drivername="postgresql+psycopg2")
    metadata_url_text = metadata_url.render_as_string(hide_password=False)
    store = Store(store_db)
    store.migrate()
    store.dispose()
    (base / "weed").mkdir()
    weed, s3 = start_weed(base / "weed")
    sandbox = Sandbox(base / "sandbox", SandboxConfig(seed=20261122, people=2400, enterprises=120))
    sandbox.__enter__()
    province_secret, supervision_token = secrets.token_hex(16), secrets.token_hex(16)
    province = CaseReceiver.province("tongban", province_secret).start()
    supervision = CaseReceiver.supervision(supervision_token).start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TONGBAN_"))}
    env.update(sandbox.env)
    env.update(s3)
    env.update(
        AIRFLOW_HOME=str(base / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__HOSTNAME_CALLABLE="airflow_kit.worker_name",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url_text,
        AIRFLOW__CELERY__BROKER_URL="redis://127.0.0.1:6379/0",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+{metadata_url_text}",
        AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
        AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS="dags.celery_config.CELERY_CONFIG",
        # Our own queue on the shared Redis: no other deployment's worker takes our tasks.
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=f"tongban_{uuid.uuid4().hex[:10]}",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT="20",
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="5",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        PYTHONPATH=str(Path(__file__).parent),
        TONGBAN_DATABASE_URL=store_db,
        TONGBAN_DATA_DIR=str(base / "hub"),
        TONGBAN_BATCH_SIZE=str(BATCH),
        TONGBAN_QUALITY_GROUP=str(GROUP),
        TONGBAN_AIRFLOW_RETRY_DELAY="1",
        TONGBAN_AIRFLOW_SCHEDULES="manual",
        TONGBAN_VAULT_KEY_ENCRYPTION_KEY="celery test key-encryption key!!",
        TONGBAN_OUTBOX_PROVINCE_URL=province.url,
        TONGBAN_OUTBOX_PROVINCE_APP_KEY="tongban",
        TONGBAN_OUTBOX_PROVINCE_SECRET=province_secret,
        TONGBAN_OUTBOX_SUPERVISION_URL=supervision.url,
        TONGBAN_OUTBOX_SUPERVISION_TOKEN=supervision_token,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    stack = Stack(base, env, f"http://127.0.0.1:{port}", store_db, sandbox, province, supervision)
    try:
        done = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        stack.start("api-server", ["api-server", "--port", str(port)])
        stack.start("scheduler", ["scheduler"])
        stack.start("dag-processor", ["dag-processor"])
        for name in WORKERS:
            stack.start(name, ["celery", "worker", "-H", f"{name}@%h", "-q",
                               env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"], "-c", "1",
                               "--without-gossip", "--without-mingle"],
                        TONGBAN_TEST_WORKER=name,
                        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()))  # fmt: skip
        wait_healthy(port, components=("metadatabase", "scheduler", "dag_processor"),
                     timeout=300)  # fmt: skip
        wanted = {f"sync_{n}" for n in SOURCES} | set(DOWNSTREAM)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            dags = {d["dag_id"] for d in stack.call("GET", "/dags", params={"limit": 100})["dags"]}
            ready = all(f"{n}@" in stack.log(n) and " ready." in stack.log(n) for n in WORKERS)
            if wanted <= dags and ready:
                break
            time.sleep(2)
        else:
            raise AssertionError(f"DAGs {wanted - dags} not parsed or workers not ready")
        yield stack
    finally:
        for name in reversed(list(stack.processes)):
            stop_group(stack.processes[name], grace=30)
        province.stop()
        supervision.stop()
        sandbox.__exit__(None, None, None)
        stop_group(weed, grace=5)


def _clear_store(stack: Stack) -> None:
    store = stack.store()
    tables = ", ".join(t.name for t in metadata.sorted_tables if t.name != "alembic_version")
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    store.dispose()


def test_every_source_syncs_through_celery_and_licenses_follow(stack, tmp_path):
    runs = {}
    for name in SOURCES:
        run = stack.run_dag(f"sync_{name}")
        assert run["state"] == "success", stack.explain(f"sync_{name}", run["dag_run_id"])
        runs[name] = run["dag_run_id"]
    for name, run_id in runs.items():
        tis = stack.task_instances(f"sync_{name}", run_id)
        assert tis and {ti["state"] for ti in tis} == {"success"}, (name, tis)
    parts = [ti for ti in stack.task_instances("sync_gongan_population", runs["gongan_population"])
             if ti["task_id"] == "sync_partition"]  # fmt: skip
    assert sorted(ti["map_index"] for ti in parts) == [0, 1]
    # Both workers took tasks of the syncs. Which worker takes which partition is the
    # broker's choice: a partition takes about a second, and one worker may well take
    # both while the other is still picking up; the killed-worker test below needs both.
    hosts = {ti["hostname"] for name, run_id in runs.items()
             for ti in stack.task_instances(f"sync_{name}", run_id)}  # fmt: skip
    assert hosts == set(WORKERS), hosts

    # The license syncs updated the license asset, which started the issuance DAG (a
    # wait bound, not a timing: three sources' licenses are sealed B-LTA).
    issued = stack.settle("issue_licenses", timeout=600)
    assert issued and {r["state"] for r in issued} == {"success"}, issued
    assert all(r["run_type"] == "asset_triggered" for r in issued)

    reference, states = _store_reference(stack.sandbox, tmp_path / "reference.db", SOURCES)
    store = stack.store()
    try:
        # The DAGs end with the store `tongban sync --all` makes.
        assert store.checksum() == reference
        # The partitioned source ran as its partitions, and left no progress cursor behind.
        parts = store.runs(source="gongan_population~1of2") + store.runs(
            source="gongan_population~2of2"
        )
        assert len(parts) == 2 and {r["status"] for r in parts} == {"succeeded"}
        assert set(store.sync_states()) == states
        # The e-licenses are in the S3 server: the vault finds every one issued already.
        from license_vault import Vault, load_vault_settings
        from tongban.settings import load_settings

        hub = load_settings(data_dir=stack.base / "hub")
        overrides = {k.removeprefix("TONGBAN_VAULT_").lower(): v for k, v in stack.env.items()
                     if k.startswith("TONGBAN_VAULT_")}  # fmt: skip
        vault = Vault(store, load_vault_settings(hub, **overrides))
        again = vault.issue_all()
        assert again.issued and not any(i.new for i in again.issued)
        assert vault.storage.describe().startswith("S3 bucket hub-")
    finally:
        store.dispose()


def _cases(applicants: list[str], received: datetime) -> list[dict]:
    """A case per applicant, received and accepted on ``received``'s day and never
    concluded: long past its 10 working days."""
    events = []
    for i, applicant in enumerate(applicants):
        case_no = f"CEL{i:04d}"
        events += [
            {"type": "received", "event_id": f"{case_no}-1", "case_no": case_no,
             "at": received.isoformat(), "item_code": MATERNITY, "applicant_id": applicant,
             "channel": "online"},
            {"type": "accepted", "event_id": f"{case_no}-2", "case_no": case_no,
             "at": (received + timedelta(minutes=30)).isoformat()},
        ]  # fmt: skip
    return events


def test_cases_go_through_the_downstream_dags(stack):
    from exchange.cases import record_events
    from exchange.outbox import outbox_status
    from exchange.supervision import list_cards

    received = (datetime.now(CST) - timedelta(days=40)).replace(hour=9, minute=0, second=0,
                                                                microsecond=0)  # fmt: skip
    period = f"{received:%Y-%m}"
    store = stack.store()
    try:
        applicants = store.keys("person", limit=4)  # people the syncs brought in
        taken = record_events(store, "qlb-zwfw", _cases(applicants, received))
        assert len(applicants) == 4 and taken.stored == 8, taken
    finally:
        store.dispose()

    scan = stack.trigger("supervision_scan")
    report = stack.trigger("monthly_report", period=period)  # on the other worker meanwhile
    for dag_id, run_id in (("supervision_scan", scan), ("monthly_report", report)):
        run = stack.wait_run(dag_id, run_id, timeout=240)
        assert run["state"] == "success", stack.explain(dag_id, run_id)

    # The scan queued the cards and updated the outbox asset: that started the dispatcher.
    deadline = time.monotonic() + 240
    dispatched: list[dict] = []
    while time.monotonic() < deadline:
        dispatched = stack.runs("dispatch_outbox")
        if dispatched and all(r["state"] in ("success", "failed") for r in dispatched):
            break
        time.sleep(2)
    assert dispatched and {r["state"] for r in dispatched} == {"success"}, dispatched
    assert [r["run_type"] for r in dispatched] == ["asset_triggered"]

    # Every event of every case reached the provincial platform, in order, and a red
    # card of each case e-supervision; nothing is left in the outbox.
    cases = {f"CEL{i:04d}" for i in range(4)}
    assert {k: v for k, v in stack.province.sequences().items() if k in cases} == {
        case_no: [1, 2] for case_no in cases
    }  # fmt: skip
    assert stack.province.stats()["duplicates"] == 0
    assert set(stack.supervision.sequences()) == cases
    store = stack.store()
    try:
        cards = list_cards(store)
        assert {c["case_no"] for c in cards if c["kind"] == "red"} == cases, cards
        assert all(row["pending"] == 0 and row["dead"] == 0 for row in outbox_status(store))
    finally:
        store.dispose()

    csv = stack.base / "hub" / "reports" / f"cases-{period}.csv"
    assert csv.exists(), sorted((stack.base / "hub").rglob("*"))
    assert MATERNITY in csv.read_text(encoding="utf-8-sig")

    # Every run of every DAG in the deployment so far, and each of its task instances,
    # succeeded.
    # The issuance DAG runs on every license asset event: its runs are waited for.
    for dag_id in [f"sync_{n}" for n in SOURCES] + list(DOWNSTREAM):
        dag_runs = (stack.settle(dag_id, timeout=600) if dag_id == "issue_licenses"
                    else stack.runs(dag_id))  # fmt: skip
        for run in dag_runs:
            assert run["state"] == "success", (dag_id, run)
            tis = stack.task_instances(dag_id, run["dag_run_id"])
            assert tis and {ti["state"] for ti in tis} == {"success"}, (dag_id, tis)


def test_a_killed_worker_is_retried_and_the_store_stays_exact(stack, tmp_path):
    _clear_store(stack)
    killed: dict[str, Any] = {}

    def kill_a_busy_worker(stack: Stack, run_id: str) -> None:
        if killed:
            return
        for ti in stack.task_instances("sync_gongan_population", run_id):
            if ti["task_id"] == "sync_partition" and ti["state"] == "running" and ti["hostname"]:
                progress = f"gongan_population~{ti['map_index'] + 1}of2"
                store = stack.store()
                try:  # wait until the partition has written part of its share, then kill
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        state = store.cursor(progress)
                        if state is not None and not state.get("done"):
                            stack.kill_worker(ti["hostname"])
                            killed.update(worker=ti["hostname"], map_index=ti["map_index"])
                            return
                        if state is not None:
                            return  # finished already: try the other partition
                        time.sleep(0.05)
                finally:
                    store.dispose()

    run = stack.run_dag("sync_gongan_population", during=kill_a_busy_worker, timeout=300)
    assert killed, "no partition was seen running to kill its worker"
    assert run["state"] == "success", stack.explain("sync_gongan_population", run["dag_run_id"])
    tis = stack.task_instances("sync_gongan_population", run["dag_run_id"])
    [retried] = [
        ti
        for ti in tis
        if ti["task_id"] == "sync_partition" and ti["map_index"] == killed["map_index"]
    ]
    assert retried["state"] == "success" and retried["try_number"] >= 2, retried
    survivor = next(w for w in WORKERS if w != killed["worker"])
    assert retried["hostname"] == survivor

    reference, states = _store_reference(
        stack.sandbox, tmp_path / "reference.db", ["gongan_population"]
    )
    store = stack.store()
    try:
        assert store.checksum() == reference
        assert set(store.sync_states()) == states
        part = f"gongan_population~{killed['map_index'] + 1}of2"
        statuses = [r["status"] for r in store.runs(source=part)]
        assert "interrupted" in statuses and statuses[0] == "succeeded", statuses
    finally:
        store.dispose()


def test_two_api_processes_answer_behind_one_address(stack):
    """The exchange API on the same store: ``tongban serve --workers 2`` is two processes
    on one address (docker/ puts a load balancer in front of such processes instead)."""
    port = free_port()
    log = (stack.base / "serve.log").open("w")
    serve = subprocess.Popen(
        [str(BIN / "tongban"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2"],
        env=stack.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (stack.base / "serve.log").read_text()[-2000:]
            time.sleep(1)
        assert answer.json()["status"] == "ok"
        children = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                    and _parent(p) == serve.pid]  # fmt: skip
        assert len(children) >= 2, children  # the two API worker processes
        answers = [httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=10).status_code
                   for _ in range(20)]  # fmt: skip
        assert set(answers) == {200}
    finally:
        stop_group(serve, grace=20)
        log.close()


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
