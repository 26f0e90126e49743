"""``issue_licenses``: issue and e-seal the e-licenses of new or changed license records,
whenever a sync updates the store's licenses (the ``tongban.license`` asset).

The vault issues a record whose license is missing or whose data changed and leaves the
others as they are, so a run after a sync that changed nothing issues nothing: the same
code as ``tongban license issue --all``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import dag, task

from dags.hub import START, default_args, entity_asset, hub_settings, hub_store


@dag(
    dag_id="issue_licenses",
    description="Issue sealed e-licenses for new or changed license records",
    schedule=[entity_asset("license")],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("license-vault", retries=2, timeout=3600),
    tags=["tongban", "license_vault"],
)
def issue_licenses() -> None:
    @task(task_id="issue")
    def issue() -> dict[str, Any]:
        from license_vault import Vault, load_vault_settings

        settings = load_vault_settings(hub_settings())
        with hub_store() as store:
            report = Vault(store, settings).issue_all()
        refused = [f"{key}: {error.rule}: {error.message}" for key, error in report.refused]
        for line in refused:
            print(f"refused {line}")
        return {
            "issued": sum(i.new for i in report.issued),
            "unchanged": sum(not i.new for i in report.issued),
            "refused": len(refused),
        }

    issue()


issue_licenses()
