"""The Celery settings of the hub's Airflow workers: Airflow's own, plus the modules a
sync task needs imported once, when the worker starts, instead of by every task.

A Celery worker starts each task in a process forked from itself, so what the worker
imported before forking costs a task nothing. Great Expectations alone takes about 5 s
to import on an idle core (more on a busy one), and every sync task and every partition
of a partitioned sync validates with it. Point the workers at this module:

    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=dags.celery_config.CELERY_CONFIG

The scheduler reads the same settings; only workers import the modules.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

__all__ = ["CELERY_CONFIG", "PRELOADED"]

PRELOADED = (
    "expectations.validator",  # Great Expectations and the suites
    "connectors",  # the connectors (zeep, httpx), definitions and the load path
)

CELERY_CONFIG: dict[str, Any] = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), *PRELOADED),
}
