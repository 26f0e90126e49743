"""The ``tongban`` command: the same code the Airflow DAGs run, on one machine.

The command is a composition root, like the DAGs: each subcommand imports the component
it drives (connectors, sandbox, license vault) when it runs; library code in ``tongban``
never imports them.
"""

from license_vault.cli import app as license_app
from tongban.cli import airflow, demo, quality, records, sync  # noqa: F401  (they register commands)
from tongban.cli._common import app

app.add_typer(license_app, name="license")

__all__ = ["app", "main"]


def main() -> None:
    app()
