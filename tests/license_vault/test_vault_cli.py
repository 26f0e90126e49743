from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from vault_records import HUSBAND, MARRIAGE_KEY, load_licenses, load_samples, marriage_record

from license_vault.cli import app
from tongban.store import Store


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TONGBAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("TONGBAN_VAULT_KEY_ENCRYPTION_KEY", "the CLI tests key-encryption key, 2026")
    (tmp_path / "data").mkdir()
    store = Store(f"sqlite:///{tmp_path / 'data' / 'tongban.db'}")
    store.migrate()
    load_samples(store)
    load_licenses(store, [marriage_record()])
    store.dispose()
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_issue_list_show_verify_revoke(hub):
    result = run("issue", "--all")
    assert result.exit_code == 0, result.output
    assert "11 issued, 0 unchanged, 0 not in force (none), 0 refused, 0 failed" in result.output
    assert "0 issued, 11 unchanged" in run("issue", "--all").output

    listed = run("list", "--holder", HUSBAND)
    assert listed.exit_code == 0 and "1 e-license version(s)" in listed.output
    store = Store(f"sqlite:///{hub / 'data' / 'tongban.db'}")
    from license_vault.records import ElicenseTable

    identifier = ElicenseTable(store).current(MARRIAGE_KEY).identifier
    store.dispose()

    pdf = hub / "marriage.pdf"
    shown = run("show", identifier, "--save", str(pdf))
    assert shown.exit_code == 0 and "valid" in shown.output and pdf.exists()

    ok = run("verify", str(pdf), "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True

    assert run("revoke", identifier, "--reason", "registration annulled").exit_code == 0
    bad = run("verify", str(pdf))
    assert bad.exit_code == 1 and "license.revoked" in bad.output and "NOT VALID" in bad.output


def test_usage_errors_are_clear(hub):
    assert "give a license key or --all" in run("issue").output
    missing = run("issue", "11100000000013127D001:NOPE")
    assert missing.exit_code == 1 and "license.missing" in missing.output
    assert run("show", "1.2.156.3005.2.x").exit_code == 1
    assert run("verify", str(hub / "absent.pdf")).exit_code == 1
