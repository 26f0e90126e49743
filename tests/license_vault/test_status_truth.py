"""The source's status is the truth; revocation is final; one failing license does not
stop a run; every vault error is one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner
from vault_records import MARRIAGE_KEY, load_licenses, load_samples, marriage_record

from license_vault import Vault, load_vault_settings
from license_vault.cli import app
from license_vault.issue import NotInForce
from license_vault.storage import LocalStorage
from tongban.errors import RecordError
from tongban.settings import Settings
from tongban.store import Store


@pytest.fixture
def sqlite_vault(tmp_path, vault_settings) -> Iterator[Vault]:
    """The seeded vault on SQLite alone, for tests whose subject is not the SQL."""
    store = Store(f"sqlite:///{tmp_path / 'status.db'}")
    store.migrate()
    load_samples(store)
    load_licenses(store, [marriage_record()])
    yield Vault(store, vault_settings)
    store.dispose()


def _key(number: str) -> str:
    return f"11100000000013514R001:{number}"


def test_revoked_cancelled_and_expired_records_are_not_sealed_as_valid(sqlite_vault: Vault):
    vault = sqlite_vault
    load_licenses(vault.store, [
        marriage_record(license_number="J-REVOKED", status="吊销"),
        marriage_record(license_number="J-CANCELLED", status="注销"),
        marriage_record(license_number="J-EXPIRED", valid_until="2020-01-01",
                        valid_from="2019-01-01", issue_date="2019-01-01"),
        marriage_record(license_number="J-ODD", status="冻结"),
    ])  # fmt: skip
    report = vault.issue_all()
    assert report.withheld_by_status() == {"revoked": 1, "cancelled": 1, "expired": 1}
    assert {k for k, _ in report.not_in_force} == {
        _key("J-REVOKED"), _key("J-CANCELLED"), _key("J-EXPIRED")
    }  # fmt: skip
    assert [(k, e.rule) for k, e in report.refused] == [(_key("J-ODD"), "license.status_unknown")]
    assert not report.failed
    issued_keys = {i.license_key for i in report.issued}
    assert (
        not issued_keys & {k for k, _ in report.not_in_force} and _key("J-ODD") not in issued_keys
    )
    for issued in report.issued:  # what was sealed verifies as valid
        assert vault.verify(vault.document(issued.identifier)).ok
    with pytest.raises(NotInForce) as err:
        vault.issue(_key("J-CANCELLED"))
    assert err.value.rule == "license.cancelled" and "注销" in err.value.message


def test_an_issued_license_follows_its_source_and_cancelled_is_not_revoked(vault: Vault):
    issued = vault.issue(MARRIAGE_KEY)
    pdf = vault.document(issued.identifier)
    load_licenses(vault.store, [marriage_record(status="注销")])
    # Before any run catches up, verification reads the source itself.
    verdict = vault.verify(pdf)
    assert verdict.license_status == "cancelled" and verdict.codes == ["license.cancelled"]
    with pytest.raises(NotInForce):
        vault.issue(MARRIAGE_KEY)
    assert vault.show(issued.identifier).status == "cancelled"
    (event,) = vault.documents.events(MARRIAGE_KEY)
    assert (event.action, event.status_from, event.status_to) == (
        "source_status", "valid", "cancelled"
    )  # fmt: skip
    jws = vault.verify(vault.document(issued.identifier, "jws"))
    assert jws.license_status == "cancelled" and "license.revoked" not in jws.codes


def test_reissuing_a_revoked_license_is_refused_until_an_operator_reinstates_it(vault: Vault):
    issued = vault.issue(MARRIAGE_KEY)
    vault.revoke(issued.identifier, reason="登记错误", by="张三")
    for attempt in (lambda: vault.issue(MARRIAGE_KEY, reissue=True),
                    lambda: vault.issue(MARRIAGE_KEY)):  # fmt: skip
        with pytest.raises(RecordError) as err:
            attempt()
        assert err.value.rule == "license.revoked_final" and "reinstate" in err.value.message
    load_licenses(vault.store, [marriage_record(holder_name="王伟强")])  # the source changes
    report = vault.issue_all()
    assert [(k, e.rule) for k, e in report.refused] == [(MARRIAGE_KEY, "license.revoked_final")]
    assert vault.verify(vault.document(issued.identifier)).codes == ["license.revoked"]
    with pytest.raises(RecordError, match="who and why"):
        vault.reinstate(issued.identifier, by="李四", reason=" ")
    row = vault.reinstate(issued.identifier, by="李四", reason="复核：吊销决定已撤回")
    assert row.status == "valid" and row.revoked_at is None
    again = vault.issue(MARRIAGE_KEY)
    assert again.new and again.version == 2
    actions = [(e.action, e.actor, e.reason) for e in vault.documents.events(MARRIAGE_KEY)]
    assert actions[0] == ("revoke", "张三", "登记错误")
    assert ("reinstate", "李四", "复核：吊销决定已撤回") in actions
    assert ("refused", "issuance", actions[1][2]) == actions[1]


def test_a_license_revoked_at_the_source_cannot_be_reinstated(vault: Vault):
    issued = vault.issue(MARRIAGE_KEY)
    load_licenses(vault.store, [marriage_record(status="吊销")])
    with pytest.raises(NotInForce):
        vault.issue(MARRIAGE_KEY)
    assert vault.show(issued.identifier).status == "revoked"
    with pytest.raises(NotInForce, match="still revoked at the source"):
        vault.reinstate(issued.identifier, by="李四", reason="试图恢复")


def _corrupt_seal_image(vault: Vault, issuer_code: str) -> None:
    (seal,) = [s for s in vault.seals.all() if s.authority_code == issuer_code]
    assert isinstance(vault.storage, LocalStorage) and seal.image_key
    path = vault.storage.root / seal.image_key
    path.chmod(0o644)
    path.write_bytes(b"not the seal image any more")


def test_a_failing_license_is_logged_and_the_run_goes_on(sqlite_vault: Vault):
    vault = sqlite_vault
    first = vault.issue_all()
    assert len(first.issued) == 11
    _corrupt_seal_image(vault, marriage_record()["issuer_code"])
    load_licenses(vault.store, [marriage_record(holder_name="王伟强")])
    report = vault.issue_all()
    assert [k for k, _ in report.failed] == [MARRIAGE_KEY]
    (line,) = [line for _, line in report.failed]
    assert line.startswith("hash.mismatch: object sha256/") and "\n" not in line
    assert len(report.issued) == 10  # the others went on (unchanged)
    (event,) = vault.documents.events(MARRIAGE_KEY)
    assert event.action == "failed" and event.rule == "hash.mismatch"


def test_cli_errors_are_one_line_and_exit_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TONGBAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("TONGBAN_VAULT_KEY_ENCRYPTION_KEY", "status tests' key-encryption key!")
    (tmp_path / "data").mkdir()
    store = Store(f"sqlite:///{tmp_path / 'data' / 'tongban.db'}")
    store.migrate()
    load_samples(store)
    load_licenses(store, [marriage_record()])
    runner = CliRunner()
    assert runner.invoke(app, ["issue", "--all"]).exit_code == 0
    monkeypatch.setenv("TONGBAN_VAULT_KEY_ENCRYPTION_KEY", "only 16 letters")
    weak = runner.invoke(app, ["issue", MARRIAGE_KEY, "--reissue"])
    assert weak.exit_code == 1 and isinstance(weak.exception, SystemExit)
    assert "at least 32 characters" in " ".join(weak.output.split())
    monkeypatch.setenv("TONGBAN_VAULT_KEY_ENCRYPTION_KEY", "status tests' key-encryption key!")
    vault = Vault(store, load_vault_settings(Settings(data_dir=tmp_path / "data")))
    identifier = vault.documents.current(MARRIAGE_KEY).identifier
    row = vault.show(identifier)
    path = vault.storage.root / row.pdf_key  # type: ignore[attr-defined]
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.7 tampered")
    shown = runner.invoke(app, ["show", identifier, "--save", str(tmp_path / "x.pdf")])
    assert shown.exit_code == 1 and isinstance(shown.exception, SystemExit)
    assert "error: hash.mismatch: object" in shown.output and "Traceback" not in shown.output
    _corrupt_seal_image(vault, marriage_record()["issuer_code"])
    load_licenses(store, [marriage_record(holder_name="王伟强")])
    run = runner.invoke(app, ["issue", "--all"])
    assert run.exit_code == 1 and isinstance(run.exception, SystemExit)
    assert f"failed {MARRIAGE_KEY}: hash.mismatch" in " ".join(run.output.split())
    assert "10 unchanged" in run.output and "1 failed" in run.output
    store.dispose()
