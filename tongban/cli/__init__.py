"""The ``tongban`` command: the same code the Airflow DAGs run, on one machine.

The command is a composition root, like the DAGs: each subcommand imports the component
it drives (connectors, sandbox, license vault, exchange, console) when it runs; library
code in ``tongban`` never imports them.

A failure is one line on stderr and exit status 1; ``tongban --debug ...`` shows the
traceback as well.
"""

import sys

from console.cli import console_app, user_app
from exchange.cases.cli import cases_app, outbox_app, report, supervision_app
from exchange.cli import audit_app, client_app, grant_app
from exchange.federation.cli import peer_app
from license_vault.cli import app as license_app
from tongban.cli import (  # noqa: F401  (they register commands)
    airflow,
    demo,
    demo_federation,
    quality,
    records,
    serve,
    sync,
)
from tongban.cli._common import app, errors, one_line, state

app.add_typer(license_app, name="license")
app.add_typer(client_app, name="client")
app.add_typer(grant_app, name="grant")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")
app.add_typer(outbox_app, name="outbox")
app.add_typer(supervision_app, name="supervision")
app.command("report")(report)
app.add_typer(peer_app, name="peer")
app.add_typer(user_app, name="user")
app.add_typer(console_app, name="console")

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except (KeyboardInterrupt, Exception) as exc:
        if state.debug:
            raise
        if isinstance(exc, KeyboardInterrupt):
            errors.print("interrupted")
            sys.exit(130)
        said = one_line(f"{type(exc).__name__}: {exc}")
        errors.print(f"error: {said} (tongban --debug ... shows the traceback)")
        sys.exit(1)
