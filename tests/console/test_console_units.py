"""The console's parts without a browser: users and their CLI, the labels, the public
surface, and Data Docs rewritten to load nothing from another host."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import console
from cli import app
from cli._common import state
from console.i18n import LABELS
from console.users import UserError, Users
from tongban.store import Store, schema

TEMPLATES = Path(console.__file__).parent / "templates"


def test_public_surface_is_pinned() -> None:
    assert sorted(console.__all__) == [
        "Console", "ConsoleSettings", "PREFIX", "ROLES", "User", "UserError", "Users",
        "build_offline_docs", "create_app", "load_console_settings", "make_offline", "mount",
    ]  # fmt: skip
    for name in console.__all__:
        assert getattr(console, name) is not None


def test_every_label_a_template_uses_has_chinese_and_english() -> None:
    used: set[str] = set()
    for page in TEMPLATES.glob("*.html"):
        used.update(re.findall(r"t\('([a-z_0-9]+)'\)", page.read_text(encoding="utf-8")))
    assert used and used <= set(LABELS), sorted(used - set(LABELS))
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or zh.isascii(), key
    # Labels built from a prefix: every status, entity and role the pages can show.
    for prefix, values in {
        "status_": ("running", "succeeded", "failed", "interrupted", "open", "fixed",
                    "rejected", "all", "valid", "superseded", "revoked", "active", "disabled"),
        "entity_": ("person", "enterprise", "license"),
        "role_": console.ROLES,
        "done_": ("fixed", "rejected", "landed", "still_failing", "revoked"),
        "resolution_": ("kept", "replaced"),
    }.items():  # fmt: skip
        for value in values:
            assert prefix + value in LABELS


def test_passwords_are_argon2_and_refusals_are_clear(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.migrate()
    users = Users(store.engine)
    users.add("zhangsan", "张三", "long enough 1", roles=["reviewer"], actor="cli:test")
    with store.engine.connect() as conn:
        stored = conn.execute(schema.console_user.select()).mappings().one()
    assert stored["password_hash"].startswith("$argon2id$")
    assert "long enough 1" not in json.dumps(dict(stored), default=str)
    assert users.authenticate("zhangsan", "long enough 1") is not None
    assert users.authenticate("zhangsan", "wrong") is None
    assert users.authenticate("nobody", "long enough 1") is None
    with pytest.raises(UserError, match="at least 10 characters"):
        users.add("lisi", "李四", "short", roles=["reviewer"], actor="cli:test")
    with pytest.raises(UserError, match="not console roles"):
        users.add("lisi", "李四", "long enough 2", roles=["root"], actor="cli:test")
    with pytest.raises(UserError, match="exists already"):
        users.add("zhangsan", "张三", "long enough 3", roles=["reporter"], actor="cli:test")
    users.set_status("zhangsan", "disabled", actor="cli:test")
    assert users.authenticate("zhangsan", "long enough 1") is None
    actions = [e["action"] for e in users.events()]
    assert actions[:3] == ["sign_in.refused", "user.disable", "sign_in.refused"]
    assert "user.add" in actions
    store.dispose()


def test_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TONGBAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("NEW_PASSWORD", "a good password")
    state._store = None
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    assert cli("user", "list")[0] == 1  # no store yet: one clear line
    assert cli("init")[0] == 0
    code, out = cli("user", "add", "wangwu", "--role", "engineer", "--role", "reviewer",
                    "--name", "王五", "--password-env", "NEW_PASSWORD")  # fmt: skip
    assert code == 0 and "engineer, reviewer" in out
    code, out = cli("user", "add", "wangwu", "--role", "admin", "--password-env", "NEW_PASSWORD")
    assert code == 1 and "exists already" in out and "Traceback" not in out
    code, out = cli("user", "list")
    assert code == 0 and "wangwu" in out and "active" in out
    assert cli("user", "disable", "wangwu")[0] == 0
    assert "disabled" in cli("user", "list")[1]
    code, out = cli("user", "disable", "nobody")
    assert code == 1 and "no console user nobody" in out
    if state._store is not None:
        state._store.dispose()
        state._store = None


def test_data_docs_rewritten_load_nothing_from_another_host(tmp_path: Path) -> None:
    from expectations import build_data_docs, validate_batch

    records = [{"id_number": "11010519491231002X", "name": "张三"},
               {"id_number": "110105194912310021", "name": "李四"}]  # fmt: skip
    verdict = validate_batch("person", records, source="gongan_population", run_id="run-a")
    index = build_data_docs(
        tmp_path / "docs", results=[json.loads(json.dumps(verdict.as_record()))]
    )
    before = index.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" in before and "bootstrapTable(" in before
    assert console.make_offline(index.parent) >= 2
    assert console.make_offline(index.parent) == 0  # done once only
    for page in index.parent.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text), page
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), page
        assert "<script>" not in text
    html = index.read_text(encoding="utf-8")
    assert html.count('<link rel="stylesheet" href="static/tongban/docs.css">') == 1
    assert (index.parent / "static" / "tongban" / "docs.js").is_file()
    # The results are rows of the page itself, each linking to its validation page.
    rows = re.findall(r'<tr class="clickable-row" data-href="(validations/[^"]+)"', html)
    assert len(rows) == 1 and (index.parent / rows[0]).is_file()
    page = (index.parent / rows[0]).read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="../../../../static/tongban/docs.css">' in page
