"""Server-side sessions: the cookie holds a random id and nothing about the user; logout,
a new password, a role change, a disabled account or an admin ending the sessions make a
saved cookie worthless at once, in every worker process; admins list and end sessions
(CLI and /admin); a users-table outage keeps wall screens on their dashboards without
admin rights."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.conftest import PROJECT_ROOT, TEST_USERS, csrf_from

KPI_API = "/api/v1/kpi?city=thanh-hoa&year=2022"


def _cookie(client) -> str:
    return client.get_cookie("ioc_session").value


def _replay(cookie: str):
    """A fresh client (another browser, or an attacker) sending a saved cookie."""
    from app import server

    client = server.test_client()
    client.set_cookie("ioc_session", cookie)
    return client


def _cookie_payload(cookie: str) -> dict:
    from app import server

    return server.session_interface.get_signing_serializer(server).loads(cookie)


def test_the_cookie_holds_a_random_id_and_nothing_about_the_user(client_as):
    client = client_as("admin")
    cookie = _cookie(client)
    payload = _cookie_payload(cookie)
    assert set(payload) <= {"sid", "csrf", "_permanent"} and len(payload["sid"]) >= 40
    readable = json.dumps(payload)
    assert TEST_USERS["admin"] not in readable and "admin" not in readable
    from security.session_store import id_hash, user_sessions

    assert id_hash(payload["sid"])[:8] in [row["session"] for row in user_sessions(TEST_USERS["admin"])]


def test_a_cookie_saved_before_logout_is_worthless_after_it(client_as):
    client = client_as("staff")
    saved = _cookie(client)
    assert _replay(saved).get("/").status_code == 200
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    replayed = _replay(saved)
    assert replayed.get("/").status_code == 303
    assert replayed.get(KPI_API).status_code == 401
    assert replayed.post("/_dash-update-component", json={"output": "overview-cards.children"}).status_code == 401


@pytest.mark.parametrize("change", ["password", "role", "disabled"])
def test_password_role_and_account_changes_end_every_session_at_once(client_as, change):
    from security.accounts import update_user
    from security.passwords import hash_password
    from tests.conftest import TEST_PASSWORD

    username = TEST_USERS["leader"]
    phone, desk = client_as("leader"), client_as("leader")
    assert phone.get(KPI_API).status_code == desk.get(KPI_API).status_code == 200
    values = {"password": {"password_hash": hash_password(TEST_PASSWORD)}, "role": {"role": "staff"},
              "disabled": {"active": False}}[change]
    try:
        update_user(username, **values)
        assert phone.get(KPI_API).status_code == 401 and desk.get(KPI_API).status_code == 401
    finally:
        update_user(username, role="leader", active=True)


def test_a_display_name_change_keeps_the_sessions(client_as):
    from security.accounts import update_user

    client = client_as("leader")
    update_user(TEST_USERS["leader"], display_name="Lãnh đạo A")
    assert client.get(KPI_API).status_code == 200


def test_an_ended_session_is_refused_by_another_worker_process(client_as, demo_urls):
    """Two processes share nothing but the database: the session ended in this one (a logout)
    is refused by the other one on its very next request."""
    client = client_as("staff")
    cookie = _cookie(client)
    script = ("import sys; from app import server; c = server.test_client(); "
              "c.set_cookie('ioc_session', sys.argv[1]); print(c.get('/api/v1/kpi?city=thanh-hoa&year=2022').status_code)")
    env = {**os.environ, "IOC_DATABASE_URL": demo_urls[0], "KPI_DATABASE_URL": demo_urls[1], "REDIS_URL": ""}

    def other_worker() -> str:
        result = subprocess.run([sys.executable, "-c", script, cookie], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.strip().splitlines()[-1]

    assert other_worker() == "200"
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    client.post("/logout", data={"csrf": token})
    assert other_worker() == "401"


def test_admins_list_and_end_a_users_sessions_from_the_cli(client_as):
    from manage import cli

    first, second = client_as("staff"), client_as("staff")
    listed = CliRunner().invoke(cli, ["sessions", TEST_USERS["staff"]])
    assert listed.exit_code == 0, listed.output
    assert "open session(s)" in listed.output and int(listed.output.split(": ")[-1].split()[0]) >= 2
    ended = CliRunner().invoke(cli, ["end-sessions", TEST_USERS["staff"]])
    assert ended.exit_code == 0 and "session(s) ended" in ended.output
    assert first.get(KPI_API).status_code == 401 and second.get(KPI_API).status_code == 401
    assert "0 open session(s)" in CliRunner().invoke(cli, ["sessions", TEST_USERS["staff"]]).output
    from security.accounts import recent_audit

    assert recent_audit(1)[0]["action"] == "sessions_ended"


def _admin_sessions_body(app, username: str, button: str) -> dict:
    output = next(o for o in app.callback_map if o.startswith("admin-sessions.children"))
    entry = app.callback_map[output]
    inputs = [{"id": dep["id"], "property": dep["property"], "value": 1 if dep["id"] == button else 0}
              for dep in entry["inputs"]]
    return {"output": output, "outputs": {"id": "admin-sessions", "property": "children"}, "inputs": inputs,
            "state": [{"id": "admin-user", "property": "value", "value": username},
                      {"id": "shell-lang-select", "property": "value", "value": "en"}],
            "changedPropIds": [f"{button}.n_clicks"]}


def test_admins_list_and_end_a_users_sessions_on_the_admin_page(client_as):
    from app import app

    staff = client_as("staff")
    admin = client_as("admin")
    shown = admin.post("/_dash-update-component", json=_admin_sessions_body(app, TEST_USERS["staff"],
                                                                             "admin-sessions-show"))
    assert shown.status_code == 200 and "werkzeug" in shown.get_data(as_text=True).lower()  # the browser column
    assert staff.post("/_dash-update-component",
                      json=_admin_sessions_body(app, TEST_USERS["staff"], "admin-sessions-end")).status_code == 403
    ended = admin.post("/_dash-update-component", json=_admin_sessions_body(app, TEST_USERS["staff"],
                                                                             "admin-sessions-end"))
    assert ended.status_code == 200 and "session(s) of t-staff ended" in ended.get_data(as_text=True)
    assert staff.get(KPI_API).status_code == 401
    assert admin.get(KPI_API).status_code == 200


def test_the_last_active_admin_cannot_be_demoted_or_disabled(client_as):
    from security.accounts import UserError, create_user, get_user, update_user
    from security.passwords import hash_password
    from tests.conftest import TEST_PASSWORD

    admin = TEST_USERS["admin"]
    for values in ({"role": "leader"}, {"active": False}, {"role": "staff", "active": False}):
        with pytest.raises(UserError, match="last active admin"):
            update_user(admin, **values)
    assert get_user(admin)["role"] == "admin" and get_user(admin)["active"]
    try:
        create_user("t-admin-2", hash_password(TEST_PASSWORD), "admin")
    except UserError:
        update_user("t-admin-2", role="admin", active=True)
    try:
        update_user(admin, role="leader")  # another admin exists: allowed
        with pytest.raises(UserError, match="last active admin"):
            update_user("t-admin-2", active=False)
    finally:
        update_user(admin, role="admin")
        update_user("t-admin-2", role="staff")
    assert client_as("admin").get("/admin").status_code == 200


def test_the_admin_page_refuses_to_demote_the_last_admin(client_as):
    from app import app
    from security.accounts import get_user

    client = client_as("admin")
    output = next(o for o in app.callback_map if "admin-users.children" in o)
    entry = app.callback_map[output]
    body = {"output": output,
            "outputs": [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
                        for part in output.strip(".").split("...")],
            "inputs": [{"id": entry["inputs"][0]["id"], "property": "n_clicks", "value": 1},
                       {"id": entry["inputs"][1]["id"], "property": "value", "value": "en"}],
            "state": [{"id": "admin-user", "property": "value", "value": TEST_USERS["admin"]},
                      {"id": "admin-role", "property": "value", "value": "staff"},
                      {"id": "admin-active", "property": "value", "value": None}],
            "changedPropIds": [f"{entry['inputs'][0]['id']}.n_clicks"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200 and "last active admin" in response.get_data(as_text=True)
    assert get_user(TEST_USERS["admin"])["role"] == "admin"


def test_a_users_table_outage_keeps_wall_screens_without_admin_rights(client_as, monkeypatch):
    from data_access.db import DatabaseUnavailable
    from security import session_store

    leader, admin = client_as("leader"), client_as("admin")
    assert leader.get("/").status_code == 200 and admin.get("/admin").status_code == 200

    def down(_key):
        raise DatabaseUnavailable("IOC database cannot be read: connection refused", transient=True)
    monkeypatch.setattr(session_store, "find", down)
    assert leader.get("/").status_code == 200  # the wall keeps its dashboards
    assert admin.get("/").status_code == 200
    assert admin.get("/admin").status_code == 403  # but admin rights cannot be checked: none
    assert client_as(None).get("/").status_code == 303


def test_a_session_ended_before_an_outage_is_not_honoured_during_it(client_as, monkeypatch):
    from data_access.db import DatabaseUnavailable
    from security import session_store
    from security.session import end_user_sessions

    leader = client_as("leader")
    assert leader.get("/").status_code == 200
    end_user_sessions(TEST_USERS["leader"])

    def down(_key):
        raise DatabaseUnavailable("IOC database cannot be read", transient=True)
    monkeypatch.setattr(session_store, "find", down)
    assert leader.get("/").status_code == 303


def test_session_rows_store_only_a_digest_of_the_id(client_as):
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect

    client = client_as("staff")
    session_id = _cookie_payload(_cookie(client))["sid"]
    with connect("ioc") as connection:
        keys = list(connection.execute(select(m.AppSession.id_hash)).scalars())
    assert session_id not in keys and all(len(key) == 64 for key in keys)
