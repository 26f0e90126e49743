"""Sign-in, roles and CSRF over HTTP: every page and action checks the role, every change
is recorded, a disabled user's session stops working."""

from __future__ import annotations

import re

import pytest
from console_hub import ROLE_USERS, Hub, client

PAGES = {
    "/": ("engineer", "reviewer", "reporter", "admin"),
    "/sources": ("engineer", "reviewer", "reporter", "admin"),
    "/runs": ("engineer", "reviewer", "reporter", "admin"),
    "/quality": ("engineer", "reviewer", "reporter", "admin"),
    "/quality/quarantine": ("engineer", "reviewer", "admin"),
    "/records": ("engineer", "reviewer", "admin"),
    "/licenses": ("engineer", "reviewer", "admin"),
    "/held": ("engineer", "reviewer", "admin"),
    "/users": ("admin",),
    "/events": ("admin",),
    "/exchange": ("admin",),
    "/exchange/audit": ("admin",),
    "/supervision": ("reporter", "admin"),
}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_every_page_needs_a_session_and_the_right_role(hub: Hub) -> None:
    anonymous = client(hub, None)
    for path in PAGES:
        r = anonymous.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["location"], path
    for role in ROLE_USERS:
        c = client(hub, role)
        for path, allowed in PAGES.items():
            r = c.get(path)
            assert r.status_code == (200 if role in allowed else 403), (role, path, r.status_code)


def test_a_wrong_password_is_refused_and_recorded(hub: Hub) -> None:
    c = client(hub, None)
    r = c.post("/login", data={"username": "shenhe", "password": "not the password"})
    assert r.status_code == 401 and "tongban_console" not in r.cookies
    events = hub.console.users.events(action="sign_in.refused")
    assert any(e["target"] == "shenhe" for e in events)


def test_an_action_without_the_csrf_token_is_refused(hub: Hub) -> None:
    c = client(hub, "engineer")
    r = c.post("/sources/gongan_population/sync", data={})
    assert r.status_code == 403
    r = c.post("/sources/gongan_population/sync", data={"csrf": "forged"})
    assert r.status_code == 403


def test_a_reporter_cannot_fix_a_quarantined_record(hub: Hub) -> None:
    entry = hub.store.quarantined(limit=1)[0]
    c = client(hub, "reporter")
    token = _csrf(c.get("/").text)
    r = c.post(
        f"/quality/quarantine/{entry['id']}/fix",
        data={"csrf": token, "field": "x", "value": "y", "why": "z"},
    )
    assert r.status_code == 403
    assert hub.store.quarantine_entry(entry["id"])["corrections"] in (None, [])


def test_admin_adds_and_disables_a_user_and_each_change_is_recorded(hub: Hub) -> None:
    admin = client(hub, "admin")
    token = _csrf(admin.get("/users").text)
    r = admin.post(
        "/users",
        data={
            "csrf": token,
            "username": "linshi",
            "display_name": "临时",
            "password": "temporary pass 9",
            "role_reviewer": "reviewer",
        },
    )
    assert r.status_code == 303
    temp = client(hub, None)
    assert (
        temp.post("/login", data={"username": "linshi", "password": "temporary pass 9"}).status_code
        == 303
    )
    assert temp.get("/quality/quarantine").status_code == 200
    r = admin.post("/users/linshi/status", data={"csrf": token, "status": "disabled"})
    assert r.status_code == 303
    # The session of a disabled user stops working at once.
    assert temp.get("/quality/quarantine").status_code == 303
    actions = [(e["actor"], e["action"], e["target"]) for e in hub.console.users.events()]
    assert ("guanli", "user.add", "linshi") in actions
    assert ("guanli", "user.disable", "linshi") in actions
    page = admin.get("/events", params={"actor": "guanli"}).text
    assert "user.disable" in page and "linshi" in page


def test_sign_in_redirects_only_inside_the_console(hub: Hub) -> None:
    c = client(hub, None)
    username, password = hub.login_as("reviewer")
    r = c.post(
        "/login", data={"username": username, "password": password, "next": "https://example.org/"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labels_follow_the_language(hub: Hub, lang: str) -> None:
    c = client(hub, "reviewer")
    html = c.get("/quality", params={"lang": lang}).text
    assert ('<html lang="zh-CN">' in html) == (lang == "zh")
    assert ("数据质量" in html) == (lang == "zh")
    assert ("Data quality" in html) == (lang == "en")


def test_pages_forbid_other_hosts_and_framing(hub: Hub) -> None:
    r = client(hub, "reviewer").get("/quality/quarantine", params={"source": "scjg_license"})
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # The other language keeps the page's filters.
    assert 'href="?source=scjg_license&amp;lang=en"' in r.text


def test_held_batches_show_with_their_reason(hub: Hub) -> None:
    run_id = hub.store.start_run("renshe_insurance", entity="person", kind="sync")
    hub.store.hold_batch(
        run_id=run_id, source="renshe_insurance", entity="person",
        reason="name: 40% empty, above max_null_share 10%",
        records=[("drop.csv:2", {"xm": ""})], cursor_before=None, cursor_after={"done": []},
    )  # fmt: skip
    page = client(hub, "engineer").get("/held").text
    assert "40% empty, above max_null_share 10%" in page and run_id[:8] in page
