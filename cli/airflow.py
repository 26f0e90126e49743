"""``tongban airflow``: Airflow on one machine, scheduling the hub's DAGs against the
embedded store.

Prepares an ``AIRFLOW_HOME`` (``<data dir>/airflow`` unless given), points Airflow's dags
folder at the repository's ``dags/``, creates or migrates the store, and runs
``airflow standalone`` (scheduler, DAG processor, triggerer and API server in one
command, metadata in SQLite in the home) with the hub's settings in its environment.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from cli._common import app, console, fail, state

__all__ = ["airflow_env", "dags_folder"]


def dags_folder() -> Path:
    """The ``dags/`` directory installed with tongban (found without importing it)."""
    spec = importlib.util.find_spec("dags")
    if spec is None or not spec.submodule_search_locations:
        fail("the dags package is not installed; run `scripts/install dev` or install tongban")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def airflow_env(home: Path, *, port: int, base: Mapping[str, str]) -> dict[str, str]:
    """The environment ``airflow standalone`` runs with: its home and dags folder, no
    examples, the API server's port, and the hub's settings as absolute paths, so every
    task finds the same store whatever its working directory."""
    settings = state.settings
    env = dict(base)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder()),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__API__PORT=str(port),
        TONGBAN_DATA_DIR=str(settings.data_dir.resolve()),
    )
    if settings.database_url is not None:
        env["TONGBAN_DATABASE_URL"] = settings.database_url.get_secret_value()
    if settings.sources_dir is not None:
        env["TONGBAN_SOURCES_DIR"] = str(settings.sources_dir.resolve())
    # The airflow command of the same environment as this tongban, first on the PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    return env


def _airflow_command() -> str:
    beside = Path(sys.executable).parent / "airflow"
    found = str(beside) if beside.exists() else shutil.which("airflow")
    if found is None:
        fail("Airflow is not installed; install tongban with its airflow extra:"
             " scripts/install dev (or pip install 'tongban[airflow]')")  # fmt: skip
    return found


@app.command("airflow")
def airflow(
    home: Annotated[
        Path | None, typer.Option(help="AIRFLOW_HOME to use (default: <data dir>/airflow).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port of Airflow's web UI and API.")] = 8080,
    prepare_only: Annotated[
        bool,
        typer.Option(
            "--prepare-only",
            help="Prepare the home and the store, print the environment, and do not start Airflow.",
        ),
    ] = False,
) -> None:
    """Run Airflow standalone with the hub's DAGs against the embedded store."""
    settings = state.settings
    home = (home or settings.data_dir / "airflow").resolve()
    home.mkdir(parents=True, exist_ok=True)
    store = state.store()
    store.migrate()
    env = airflow_env(home, port=port, base=os.environ)
    shown = ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__LOAD_EXAMPLES",
             "AIRFLOW__API__PORT", "TONGBAN_DATA_DIR", "TONGBAN_SOURCES_DIR")  # fmt: skip
    for key in shown:
        if key in env:
            print(f"export {key}={env[key]}")
    if prepare_only:
        return
    command = _airflow_command()
    console.print(
        f"starting Airflow standalone on http://127.0.0.1:{port} (the admin password is in"
        f" {home / 'simple_auth_manager_passwords.json.generated'}); Ctrl-C stops it"
    )
    process = subprocess.Popen([command, "standalone"], env=env)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        code = process.wait()
    raise typer.Exit(code)
