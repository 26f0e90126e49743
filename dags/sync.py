"""One sync DAG per source definition (``connectors/sources/`` and ``TONGBAN_SOURCES_DIR``):
``sync_<source>``, on the definition's schedule, owner, retries and timeout.

A source with ``partitions: n`` (n > 1) runs as ``plan`` → ``sync_partition`` mapped over
n partitions in parallel → ``finish``; any other as one ``sync`` task. Either calls what
``tongban sync`` calls (``connectors.sync_source``, or its partitioned form), with the
source's Great Expectations gate inside, and updates the asset of the source's entity
when it succeeds.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import dag, task

from dags.hub import (
    START,
    SourceSchedule,
    default_args,
    entity_asset,
    hub_env,
    hub_options,
    hub_settings,
    hub_store,
    source_schedules,
    sync_schedule,
)


def _assets(source: SourceSchedule) -> list[Any]:
    """What a sync of the source updates: its entity's records, and its children's."""
    return [entity_asset(entity) for entity in source.entities]


def _definition(name: str) -> Any:
    from connectors import load_definitions

    found = load_definitions(hub_settings().sources_dir)
    return found[name]


def _single(source: SourceSchedule) -> None:
    @task(task_id="sync", outlets=_assets(source))
    def sync() -> dict[str, int]:
        """Pull what changed since the saved cursor, exactly as ``tongban sync <source>``."""
        from connectors import sync_source

        with hub_store() as store:
            summary = sync_source(
                store, _definition(source.name), hub_options(), env=hub_env(source.name)
            )
        return summary.counts()

    sync()


def _partitioned(source: SourceSchedule) -> None:
    @task(task_id="plan")
    def plan() -> dict[str, Any]:
        """The cursor every partition starts from."""
        from connectors import plan_partitions

        with hub_store() as store:
            return {"cursor": plan_partitions(store, _definition(source.name))}

    @task(task_id="sync_partition", max_active_tis_per_dagrun=source.partitions)
    def sync_partition(part: int, start: dict[str, Any]) -> dict[str, Any]:
        """One partition's share of the run (records whose key hashes to ``part``)."""
        from connectors import sync_partition as run_partition

        with hub_store() as store:
            end = run_partition(
                store, _definition(source.name), start["cursor"], hub_options(), part=part,
                of=source.partitions, env=hub_env(source.name),
            )  # fmt: skip
        return end.as_dict()

    @task(task_id="finish", outlets=_assets(source))
    def finish(ends: list[dict[str, Any]]) -> dict[str, int]:
        """Move the source's cursor once every partition reached the same end."""
        from connectors import finish_partitions

        with hub_store() as store:
            return finish_partitions(store, _definition(source.name), list(ends))

    start = plan()
    ends = sync_partition.partial(start=start).expand(part=list(range(source.partitions)))
    finish(ends)  # type: ignore[arg-type]  # an XComArg, resolved to the list at run time


def sync_dag(source: SourceSchedule) -> Any:
    @dag(
        dag_id=f"sync_{source.name}",
        description=f"{source.department} {source.title}: sync into the shared store",
        schedule=sync_schedule(source),
        start_date=START,
        catchup=False,
        max_active_runs=1,  # one sync per source at a time, as the store's lock wants
        default_args=default_args(source.owner, source.retries, source.timeout),
        tags=["tongban", "sync", source.entity],
    )
    def build() -> None:
        if source.partitions > 1:
            _partitioned(source)
        else:
            _single(source)

    return build()


for _source in source_schedules():
    globals()[f"sync_{_source.name}"] = sync_dag(_source)
