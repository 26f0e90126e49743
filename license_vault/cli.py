"""``tongban license``: issue, show, verify, revoke and list e-licenses.

The hub mounts :data:`app` as ``tongban license``; alone it runs as
``python -m license_vault.cli``. The store and data directory come from the hub settings
(``TONGBAN_*``), the vault's own from ``TONGBAN_VAULT_*``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from license_vault.settings import load_vault_settings
from tongban.errors import TongbanError
from tongban.settings import load_settings
from tongban.store import Store

if TYPE_CHECKING:
    from license_vault.issue import Vault

__all__ = ["app"]

app = typer.Typer(help="E-licenses: issue, e-seal, verify, revoke.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 120, markup=False, highlight=False)


def _fail(message: str) -> NoReturn:
    console.print(Text.assemble(("error:", "bold red"), f" {message}"))
    raise typer.Exit(1)


@contextmanager
def _one_line() -> Iterator[None]:
    """Every vault error reaches the user as one line and exit code 1, never a traceback."""
    try:
        yield
    except (TongbanError, OSError) as exc:
        _fail(_line(exc))
    except ValueError as exc:  # pydantic names the bad setting
        _fail(f"settings: {' '.join(str(exc).split())}")


def _line(exc: BaseException) -> str:
    from license_vault.issue import one_line

    return one_line(exc)


def _vault() -> Vault:
    # Imported here: signing and PDF libraries take seconds to load, and every other
    # `tongban` command would pay for them.
    from license_vault.issue import Vault

    with _one_line():
        hub = load_settings()
        settings = load_vault_settings(hub)
        hub.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(hub.store_url)
        if store.schema_revision() is None:
            _fail("the store is not initialised; run `tongban init` first")
        store.migrate()
        return Vault(store, settings)
    raise AssertionError("unreachable")


@app.command()
def issue(
    license_key: Annotated[
        str | None, typer.Argument(help="License key: <type code>:<license number>.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Issue every license record.")] = False,
    reissue: Annotated[bool, typer.Option(help="Make a new version even if unchanged.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many records.")] = None,
) -> None:
    """Issue sealed e-licenses (PDF and JWS) from license records in the store."""
    if all_ == (license_key is not None):
        _fail("give a license key or --all (not both)")
    vault = _vault()
    with _one_line():
        if license_key is not None:
            from license_vault.issue import IssueReport

            report = IssueReport([vault.issue(license_key, reissue=reissue)])
        else:
            report = vault.issue_all(limit=limit)
    issued = report.issued
    table = Table(title="issued e-licenses")
    for col in ("identifier", "license", "version", "new"):
        table.add_column(col, overflow="fold")
    for i in issued:
        table.add_row(i.identifier, i.license_key, str(i.version), "yes" if i.new else "unchanged")
    console.print(table)
    for key, error in report.not_in_force:
        console.print(
            Text.assemble(("not in force", "yellow"), f" {key}: {error.rule}: {error.message}")
        )
    for key, refusal in report.refused:
        console.print(
            Text.assemble(("refused", "yellow"), f" {key}: {refusal.rule}: {refusal.message}")
        )
    for key, line in report.failed:
        console.print(Text.assemble(("failed", "red"), f" {key}: {line}"))
    withheld = ", ".join(f"{n} {s}" for s, n in sorted(report.withheld_by_status().items()))
    console.print(
        f"{sum(i.new for i in issued)} issued, {sum(not i.new for i in issued)} unchanged,"
        f" {len(report.not_in_force)} not in force ({withheld or 'none'}),"
        f" {len(report.refused)} refused, {len(report.failed)} failed;"
        f" documents in {vault.storage.describe()}"
    )
    if report.failed or (license_key is None and report.refused):
        raise typer.Exit(1)


@app.command()
def show(
    identifier: str,
    save: Annotated[Path | None, typer.Option(help="Write the PDF (or .jws) to this file.")] = None,
) -> None:
    """Show an e-license: its status, versions, seal and stored documents."""
    vault = _vault()
    with _one_line():
        row = vault.show(identifier)
    table = Table(title=f"e-license {identifier}", show_header=False)
    for name, value in row.as_dict().items():
        table.add_row(name, "" if value is None else str(value))
    seal = vault.seals.get(row.seal_id)
    if seal is not None:
        table.add_row("seal", f"{seal.authority_name} ({seal.status})")
    console.print(table)
    versions = vault.documents.versions(row.license_key)
    console.print(
        "versions: " + ", ".join(f"{v.version} {v.status} {v.identifier}" for v in versions)
    )
    if save is not None:
        kind = "jws" if save.suffix == ".jws" else "pdf"
        with _one_line():
            save.write_bytes(vault.document(identifier, kind))
        console.print(f"wrote {save}")


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="An e-license PDF or JWS file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Verify an e-license document; exits 1 unless it is valid."""
    try:
        document = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc}")
    vault = _vault()
    with _one_line():
        verdict = vault.verify(document)
    if as_json:
        out = {
            "ok": verdict.ok, "kind": verdict.kind, "identifier": verdict.identifier,
            "license_status": verdict.license_status, "authority": verdict.authority,
            "reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons],
        }  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        head = ("VALID", "bold green") if verdict.ok else ("NOT VALID", "bold red")
        console.print(
            Text.assemble(head, f" {verdict.kind} {verdict.identifier or '(no identifier)'}")
        )
        console.print(f"license status: {verdict.license_status or 'unknown'}")
        if verdict.authority:
            console.print(f"sealed by: {verdict.authority}")
        for reason in verdict.reasons:
            console.print(Text.assemble("  ", (reason.code, "red"), f": {reason.message}"))
    if not verdict.ok:
        raise typer.Exit(1)


@app.command()
def revoke(
    identifier: str,
    reason: Annotated[str, typer.Option(help="Why it is revoked (recorded).")],
    seal: Annotated[
        bool, typer.Option("--seal", help="Revoke the seal that sealed it, not the license.")
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Who revokes (recorded).")] = "operator",
) -> None:
    """Revoke an e-license, or with --seal the issuing authority's seal."""
    vault = _vault()
    with _one_line():
        if seal:
            row = vault.show(identifier)
            revoked = vault.revoke_seal(row.seal_id, reason=reason)
            console.print(f"seal {revoked.seal_id} of {revoked.authority_name} revoked")
        else:
            vault.revoke(identifier, reason=reason, by=by)
            console.print(f"e-license {identifier} revoked")


@app.command()
def reinstate(
    identifier: str,
    by: Annotated[str, typer.Option("--by", help="The operator who decides (recorded).")],
    reason: Annotated[str, typer.Option(help="Why the revocation is undone (recorded).")],
) -> None:
    """Undo a revocation or cancellation: an operator's decision, logged with its reason."""
    vault = _vault()
    with _one_line():
        row = vault.reinstate(identifier, by=by, reason=reason)
    console.print(f"e-license {identifier} reinstated: {row.status}")


@app.command("list")
def list_(holder: Annotated[str, typer.Option("--holder", help="Holder ID number.")]) -> None:
    """List a holder's e-licenses (every version)."""
    vault = _vault()
    with _one_line():
        rows = vault.list(holder_id=holder)
    table = Table(title=f"e-licenses of {holder}")
    for col in ("identifier", "type", "version", "status", "issued"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r.identifier, r.license_type_code, str(r.version), r.status,
            r.issued_at.strftime("%Y-%m-%d %H:%M"),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} e-license version(s)")


if __name__ == "__main__":
    app()
