"""The consumer half's DAGs, each the code of a ``tongban`` command:

- ``supervision_scan`` every 15 minutes (``tongban supervision sweep``): raises the
  yellow and red cards due now and queues them for e-supervision, updating the
  ``tongban.outbox`` asset;
- ``dispatch_outbox`` when the scan queued cards, and every 5 minutes for the case
  events approval systems post (``tongban outbox dispatch --until-empty``);
- ``monthly_report`` on the 1st of each month for the month before (``tongban report``),
  or for the ``period`` given when triggered by hand.

With ``TONGBAN_AIRFLOW_SCHEDULES=manual`` none runs on its clock: the scan and the report
run when triggered, the dispatcher when the scan queued cards (or when triggered).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from airflow.sdk import (
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    dag,
    get_current_context,
    task,
)

from dags.hub import (
    START,
    clock,
    default_args,
    hub_settings,
    hub_store,
    on_the_clock,
    outbox_asset,
)


def _case_dag(
    dag_id: str,
    description: str,
    schedule: Any,
    *,
    owner: str,
    retries: int,
    timeout: int,
    tag: str,
    **more: Any,
) -> Any:
    """The ``@dag`` of one of these DAGs: never caught up, one run at a time."""
    return dag(
        dag_id=dag_id,
        description=description,
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(owner, retries=retries, timeout=timeout),
        tags=["tongban", "cases", tag],
        **more,
    )


@_case_dag(
    "supervision_scan",
    "E-supervision: raise the yellow and red cards due now",
    clock("*/15 * * * *"),
    owner="supervision",
    retries=2,
    timeout=600,
    tag="supervision",
)
def supervision_scan() -> None:
    @task(task_id="sweep", outlets=[outbox_asset()])
    def sweep() -> dict[str, Any]:
        from exchange.supervision import SupervisionSettings, supervise

        with hub_store() as store:
            result = supervise(store, settings=SupervisionSettings())
        for problem in result.problems:
            print(f"skipped {problem}")
        return {"checked": result.checked, "raised": len(result.raised),
                "skipped": len(result.problems)}  # fmt: skip

    sweep()


def _dispatch_schedule() -> Any:
    """The outbox asset, and every 5 minutes on the clock."""
    if not on_the_clock():
        return [outbox_asset()]
    every_5 = CronTriggerTimetable("*/5 * * * *", timezone="UTC")
    return AssetOrTimeSchedule(timetable=every_5, assets=[outbox_asset()])


@_case_dag(
    "dispatch_outbox",
    "Push the outbox to the provincial platform and e-supervision",
    _dispatch_schedule(),
    owner="cases",
    retries=3,
    timeout=1800,
    tag="outbox",
)
def dispatch_outbox() -> None:
    @task(task_id="dispatch")
    def dispatch() -> dict[str, int]:
        """Send until the outbox is empty (what is due now); failed sends stay queued
        with their backoff, and several dispatchers may run at once."""
        from exchange.outbox import Dispatcher, OutboxSettings

        settings = OutboxSettings()
        with hub_store() as store:
            dispatcher = Dispatcher(store, settings.receivers(), settings)
            delivered = dispatcher.run(until_empty=True)
        return {"delivered": delivered}

    dispatch()


def _previous_month(day: date) -> str:
    first = day.replace(day=1)
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@_case_dag(
    "monthly_report",
    "The monthly provincial report of cases per department and service item",
    clock("0 2 1 * *"),
    owner="reports",
    retries=2,
    timeout=1800,
    tag="reports",
    params={"period": Param("", type="string", description="YYYY-MM; empty: the month before")},
)
def monthly_report() -> None:
    @task(task_id="report")
    def report() -> dict[str, Any]:
        from exchange.reports import period_report, write_report
        from exchange.supervision import SupervisionSettings

        context = get_current_context()
        period = str(context["params"].get("period") or "")
        if not period:
            when = context.get("logical_date") or datetime.now(UTC)
            period = _previous_month(when.date())
        with hub_store() as store:
            result = period_report(store, period, calendar=SupervisionSettings().calendar())
        csv_path, html_path = write_report(result, hub_settings().data_dir / "reports")
        return {"period": period, "csv": str(csv_path), "html": str(html_path)}

    report()


supervision_scan()
dispatch_outbox()
monthly_report()
