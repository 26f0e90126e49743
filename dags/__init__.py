"""Airflow DAGs: thin, generated from the source definitions, calling the same code as the
``tongban`` command. Airflow reads this directory as its dags folder; the shared pieces
(``dags.hub``) are installed with tongban, so a worker imports them like any module, and so
are the Celery workers' settings (``dags.celery_config``)."""

__all__: list[str] = []  # nothing imports the DAGs; Airflow reads the folder
