"""What every tongban DAG shares: the hub's settings, sync options and store, the
environment a source reads its endpoints and secrets from, the schedule fields of the
source definitions, the asset of each entity, and a failure callback that says why.

DAG files import this at parse time, so it stays light: the definitions' schedule fields
are read as plain YAML here, and everything heavy (connectors, Great Expectations, the
vault) is imported inside the tasks, when they run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from airflow.sdk import Asset

if TYPE_CHECKING:
    from tongban.options import SyncOptions
    from tongban.settings import Settings
    from tongban.store import Store

__all__ = [
    "START",
    "SourceSchedule",
    "clock",
    "default_args",
    "entity_asset",
    "hub_env",
    "hub_options",
    "hub_settings",
    "hub_store",
    "on_the_clock",
    "outbox_asset",
    "say_why",
    "source_schedules",
    "sync_schedule",
]

log = logging.getLogger("tongban.dags")

START = datetime(2026, 1, 1, tzinfo=UTC)
"""The first logical date of every DAG (runs are never caught up)."""

BUNDLED_SOURCES = Path(__file__).resolve().parent.parent / "connectors" / "sources"


def entity_asset(entity: str) -> Asset:
    """The store's records of one entity (person, enterprise, license), as an asset: a sync
    that wrote records of it updates it, and the DAGs that act on new records follow it."""
    return Asset(name=f"tongban.{entity}", uri=f"tongban://store/{entity}", group="tongban")


def outbox_asset() -> Asset:
    """The outbox to the provincial platform and e-supervision: the supervision scan
    updates it when it queues cards, and the dispatcher follows it."""
    return Asset(name="tongban.outbox", uri="tongban://store/outbox", group="tongban")


@dataclass(frozen=True)
class SourceSchedule:
    """The part of a source definition the scheduler needs, read without checking the
    rest (the task loads and checks the whole definition when it runs)."""

    name: str
    title: str
    department: str
    entity: str
    schedule: str | None
    owner: str
    retries: int
    timeout: int
    partitions: int
    children: tuple[str, ...] = ()  # entities of its child records (``children:``)

    @property
    def entities(self) -> tuple[str, ...]:
        """The entities a sync of the source writes: its own, then its children's."""
        return tuple(dict.fromkeys((self.entity, *self.children)))


def on_the_clock() -> bool:
    """Whether DAGs run on their clocks (cron schedules): yes, unless
    ``TONGBAN_AIRFLOW_SCHEDULES=manual`` says they run only when triggered (by an operator
    or through the API, e.g. while a province loads its history in order) or when an
    asset they follow is updated."""
    mode = os.environ.get("TONGBAN_AIRFLOW_SCHEDULES", "definitions")
    if mode not in ("definitions", "manual"):
        raise ValueError(f"TONGBAN_AIRFLOW_SCHEDULES={mode!r}: expected definitions or manual")
    return mode == "definitions"


def clock(expression: str) -> str | None:
    """A DAG's cron schedule, or none when DAGs do not run on their clocks."""
    return expression if on_the_clock() else None


def sync_schedule(source: SourceSchedule) -> str | None:
    """The cron schedule of a source's sync DAG: the definition's, on the clock."""
    return source.schedule if on_the_clock() else None


def _sources_dirs() -> list[Path]:
    dirs = [BUNDLED_SOURCES]
    extra = os.environ.get("TONGBAN_SOURCES_DIR")
    if extra:
        dirs.append(Path(extra))
    return dirs


def source_schedules() -> list[SourceSchedule]:
    """One entry per source definition, bundled first, ``TONGBAN_SOURCES_DIR`` after
    (a later file of the same name replaces an earlier one, as in the CLI)."""
    found: dict[str, SourceSchedule] = {}
    for directory in _sources_dirs():
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            name = raw.get("name")
            if not isinstance(name, str):
                raise ValueError(f"{path}: a source definition needs a name")
            found[name] = SourceSchedule(
                name=name, title=str(raw.get("title", name)),
                department=str(raw.get("department", "")), entity=str(raw.get("entity")),
                schedule=raw.get("schedule"), owner=str(raw.get("owner", "data-engineering")),
                retries=int(raw.get("retries", 2)), timeout=int(raw.get("timeout", 3600)),
                partitions=int(raw.get("partitions", 1)),
                children=tuple(
                    str(c.get("entity")) for c in raw.get("children") or [] if isinstance(c, dict)
                ),
            )  # fmt: skip
    return list(found.values())


def hub_settings() -> Settings:
    from tongban.settings import load_settings

    return load_settings()


def hub_options() -> SyncOptions:
    """How a sync task runs (batch size, quality group, region check, worker, cache), as
    the hub's settings say: the options ``tongban sync`` builds from the same settings."""
    from tongban.options import SyncOptions

    return SyncOptions.from_settings(hub_settings())


@contextmanager
def hub_store() -> Iterator[Store]:
    """The hub's store, as the settings name it (``TONGBAN_DATABASE_URL``); it must have
    been created (``tongban init``, which ``tongban airflow`` runs)."""
    from tongban.errors import FatalError
    from tongban.store import Store

    settings = hub_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.store_url)
    if store.schema_revision() is None:
        store.dispose()
        raise FatalError(f"the store at {settings.data_dir} is not initialised; run `tongban init`")
    try:
        yield store
    finally:
        store.dispose()


def _connection_env(conn_id: str) -> dict[str, str]:
    """``TONGBAN_*`` values from the Airflow connection ``conn_id``, if there is one.

    The connection's extra holds them by name, e.g. ``AIRFLOW_CONN_TONGBAN_SCJG='{"conn_type":
    "generic", "extra": {"TONGBAN_SCJG_URL": "https://...", "TONGBAN_SCJG_APP_SECRET": "..."}}'``;
    its host, login and password fill ``url``/``username``/``password`` names in the extra's
    ``env`` map when given (``{"env": {"password": "TONGBAN_GONGAN_PASSWORD"}}``).
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowRuntimeError

    try:
        conn = Connection.get(conn_id)
    except AirflowRuntimeError:
        return {}
    except Exception as exc:  # the connection exists but cannot be read: say which
        if type(exc).__name__ in {"AirflowNotFoundException", "ConnectionNotFound"}:
            return {}
        raise
    extra = conn.extra_dejson if conn.extra else {}
    found = {k: str(v) for k, v in extra.items() if k.startswith("TONGBAN_")}
    parts = {"url": conn.get_uri() if conn.host else None, "host": conn.host,
             "username": conn.login, "password": conn.password}  # fmt: skip
    for part, name in (extra.get("env") or {}).items():
        if parts.get(part):
            found[str(name)] = str(parts[part])
    return found


def _variable_env(key: str) -> dict[str, str]:
    """``TONGBAN_*`` values from the Airflow variable ``key`` (a JSON object), if there is
    one: ``AIRFLOW_VAR_TONGBAN_SCJG_ENTERPRISE='{"TONGBAN_SCJG_URL": "https://..."}'``."""
    from airflow.sdk import Variable

    from tongban.errors import FatalError

    try:
        value = Variable.get(key, default=None, deserialize_json=True)
    except ValueError as exc:  # not JSON
        raise FatalError(f"Airflow variable {key}: not a JSON object ({exc})") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FatalError(f"Airflow variable {key}: expected a JSON object of TONGBAN_* names")
    return {str(k): str(v) for k, v in value.items() if str(k).startswith("TONGBAN_")}


def hub_env(source: str) -> dict[str, str]:
    """The environment a source's definition reads (``${NAME}``, ``password_env``): the
    process environment, then the Airflow variables ``tongban`` (every source) and
    ``tongban_<source>`` (endpoints and other plain settings), then the Airflow
    connections of the same names (secrets), later ones winning."""
    env = dict(os.environ)
    keys = ("tongban", f"tongban_{source}")
    for key in keys:
        env.update(_variable_env(key))
    for conn_id in keys:
        env.update(_connection_env(conn_id))
    return env


def say_why(context: Mapping[str, Any]) -> None:
    """Failure callback: one line naming the DAG, the task and the reason, in the task's
    log (the store's run log keeps the same reason for a failed sync)."""
    ti = context.get("task_instance") or context.get("ti")
    exc = context.get("exception")
    reason = f"{type(exc).__name__}: {exc}" if exc is not None else "no exception was given"
    where = f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}"
    index = getattr(ti, "map_index", -1)
    if index is not None and index >= 0:
        where += f"[{index}]"
    attempt = getattr(ti, "try_number", None)
    log.error("tongban: %s failed (attempt %s): %s", where, attempt, reason)
    print(json.dumps({"tongban_failure": where, "attempt": attempt, "reason": reason},
                     ensure_ascii=False))  # fmt: skip


def default_args(owner: str, retries: int, timeout: int) -> dict[str, Any]:
    return {
        "owner": owner,
        "retries": retries,
        "retry_delay": timedelta(seconds=int(os.environ.get("TONGBAN_AIRFLOW_RETRY_DELAY", 60))),
        "execution_timeout": timedelta(seconds=timeout),
        "on_failure_callback": say_why,
    }
