"""The ``tongban`` command: the same code the Airflow DAGs run, on one machine.

The command is a composition root, like the DAGs: each subcommand imports the component
it drives (connectors, sandbox, license vault, exchange) when it runs; library code in
``tongban`` never imports them.
"""

from exchange.cases.cli import cases_app, outbox_app, report, supervision_app
from exchange.cli import audit_app, client_app, grant_app
from license_vault.cli import app as license_app
from tongban.cli import (  # noqa: F401  (they register commands)
    airflow,
    demo,
    quality,
    records,
    serve,
    sync,
)
from tongban.cli._common import app

app.add_typer(license_app, name="license")
app.add_typer(client_app, name="client")
app.add_typer(grant_app, name="grant")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")
app.add_typer(outbox_app, name="outbox")
app.add_typer(supervision_app, name="supervision")
app.command("report")(report)

__all__ = ["app", "main"]


def main() -> None:
    app()
