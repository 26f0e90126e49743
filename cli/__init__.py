"""The ``tongban`` command: the same code the Airflow DAGs run, on one machine.

The command is the top layer, a composition root like the DAGs: each subcommand imports
the component it drives (connectors, sandbox, license vault, exchange, console) when it
runs, and nothing imports ``cli``.

A failure is one line on stderr and exit status 1; ``tongban --debug ...`` shows the
traceback as well.
"""

import sys

from cli import (  # noqa: F401  (they register commands)
    airflow,
    demo,
    demo_federation,
    quality,
    records,
    serve,
    sync,
)
from cli._common import app, errors, one_line, state
from cli._lazy import LAZY, Lazy

# The other packages' command groups load when one of them runs (``cli._lazy``).
for _lazy in (
    Lazy("report", "exchange.cases.cli:report", "Cases per department and service item for a"
         " month: CSV, an HTML page with charts, and a summary table."),
    Lazy("license", "license_vault.cli:app", "E-licenses: issue, e-seal, verify, revoke."),
    Lazy("client", "exchange.cli:client_app",
         "Approval systems registered with the exchange API."),
    Lazy("grant", "exchange.cli:grant_app", "Grants on conditional resources (有条件共享)."),
    Lazy("audit", "exchange.cli:audit_app", "The hash-chained audit log of the exchange API."),
    Lazy("cases", "exchange.cases.cli:cases_app", "Cases from approval systems: intake, progress."),
    Lazy("outbox", "exchange.cases.cli:outbox_app",
         "The outbox to the province and e-supervision."),
    Lazy("supervision", "exchange.cases.cli:supervision_app",
         "E-supervision: the clock's yellow and red cards."),
    Lazy("peer", "exchange.federation.cli:peer_app",
         "Peer hubs (province, city, county) that answer each other."),
    Lazy("user", "console.cli:user_app", "Console users and their roles."),
    Lazy("console", "console.cli:console_app", "The web console."),
):  # fmt: skip
    LAZY[_lazy.name] = _lazy

__all__ = ["LAZY", "app", "main"]


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
