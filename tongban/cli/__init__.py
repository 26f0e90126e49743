"""The ``tongban`` command: the same code the Airflow DAGs run, on one machine.

The command is a composition root, like the DAGs: each subcommand imports the component
it drives (connectors, sandbox, license vault) when it runs; library code in ``tongban``
never imports them.

A failure is one line on stderr and exit status 1; ``tongban --debug ...`` shows the
traceback as well.
"""

import sys

from license_vault.cli import app as license_app
from tongban.cli import demo, quality, records, sync  # noqa: F401  (they register commands)
from tongban.cli._common import app, errors, one_line, state

app.add_typer(license_app, name="license")

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
