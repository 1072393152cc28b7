"""API tokens for the city's other systems: created once and shown once, stored as a hash,
every use counted, expired and revoked tokens refused (401), routes outside the scopes refused
(403), never a key to pages or Dash callbacks, limited per token (429), audited, and managed
from the CLI and the admin-only /admin/tokens page."""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import TEST_USERS

KPI = "/api/v1/kpi?city=thanh-hoa&year=2022"
INDICATORS = "/api/v1/indicators"
TOKEN_PATTERN = re.compile(r"ioc_[A-Za-z0-9_-]{40,}")


@pytest.fixture(autouse=True)
def app_loaded():
    """The app is built in the test's own thread (Dash registers pages there)."""
    from app import server  # noqa: F401


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _create(name: str | None = None, scopes=("kpi:read",), **options) -> tuple[str, str]:
    from security.api_tokens import create

    name = name or _name()
    return name, create(name, list(scopes), actor="pytest", **options)


def _row(name: str) -> dict:
    from security.api_tokens import list_tokens

    return next(token for token in list_tokens() if token["name"] == name)


def _audit(action: str, fragment: str) -> list[dict]:
    from security.accounts import recent_audit

    return [event for event in recent_audit(500) if event["action"] == action
            and (fragment in event["detail"] or fragment in event["actor"])]


def _audit_count() -> int:
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect

    with connect("ioc") as connection:
        return connection.execute(select(func.count()).select_from(m.AuditEvent)).scalar_one()


def test_a_token_reads_what_its_scope_grants_and_every_use_is_counted(client_as):
    from domain.city_time import utc_now

    name, token = _create()
    assert TOKEN_PATTERN.fullmatch(token)
    anonymous = client_as(None)
    assert _row(name)["use_count"] == 0 and _row(name)["last_used_at"] is None
    kpi = anonymous.get(KPI, headers=_bearer(token))
    assert kpi.status_code == 200, kpi.get_json()
    assert kpi.get_json()["kpis"]["camera.security_total"] == 18_000
    assert anonymous.get(INDICATORS, headers=_bearer(token)).status_code == 200
    assert anonymous.get("/api/v1/public/kpi?city=thanh-hoa&year=2022", headers=_bearer(token)).status_code == 200
    row = _row(name)
    assert row["use_count"] == 3 and row["status"] == "active"
    assert row["last_used_at"].utcoffset() == timedelta(0)
    assert abs((utc_now() - row["last_used_at"]).total_seconds()) < 60


def test_only_the_tokens_hash_is_stored(demo_db):
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect

    name, token = _create()
    with connect("ioc") as connection:
        row = connection.execute(select(m.ApiToken.__table__).where(m.ApiToken.name == name)).mappings().one()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps({key: str(value) for key, value in row.items()})
    assert token not in json.dumps(_row(name), default=str)


def test_parallel_uses_are_all_counted(demo_db):
    from security.api_tokens import authenticate

    name, token = _create()
    with ThreadPoolExecutor(8) as pool:
        identities = list(pool.map(lambda _i: authenticate(f"Bearer {token}"), range(40)))
    assert all(identity is not None and identity.token == name for identity in identities)
    assert _row(name)["use_count"] == 40


def test_no_token_is_401_with_a_bearer_challenge(client_as):
    response = client_as(None).get(KPI)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json() == {"error": response.get_json()["error"], "status": 401}


@pytest.mark.parametrize("header", ["Bearer ioc_" + "x" * 43, "Bearer not-a-token", "Bearer ", "bearer ioc_"])
def test_an_unknown_token_is_401_and_fills_no_audit_log(client_as, header):
    before = _audit_count()
    response = client_as(None).get(KPI, headers={"Authorization": header})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.get_json()["status"] == 401
    assert _audit_count() == before  # anyone can send junk: it is logged, not audited


def test_an_expired_token_is_refused_and_audited(client_as, monkeypatch):
    from domain.city_time import utc_now
    from security import api_tokens

    name, token = _create(expires_days=1)
    client = client_as(None)
    assert client.get(KPI, headers=_bearer(token)).status_code == 200
    later = utc_now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(api_tokens, "utc_now", lambda: later)
    response = client.get(KPI, headers=_bearer(token))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert _row(name)["status"] == "expired" and _row(name)["use_count"] == 1
    assert _audit("api_token_denied", name) and "expired" in _audit("api_token_denied", name)[0]["detail"]


def test_a_revoked_token_is_refused_at_once_and_a_session_does_not_rescue_it(client_as):
    from security.api_tokens import TokenError, revoke

    name, token = _create()
    staff = client_as("staff")
    assert staff.get(KPI, headers=_bearer(token)).status_code == 200
    revoke(name, actor="pytest")
    response = staff.get(KPI, headers=_bearer(token))
    assert response.status_code == 401  # the token alone decides on /api/, the staff cookie is not read
    assert staff.get(KPI).status_code == 200  # the session itself still works
    assert _row(name)["status"] == "revoked" and _row(name)["use_count"] == 1
    assert _audit("api_token_revoked", name)[0]["actor"] == "pytest"
    assert "revoked" in _audit("api_token_denied", name)[0]["detail"]
    with pytest.raises(TokenError, match="no active token"):
        revoke(name, actor="pytest")


def test_a_route_outside_the_scopes_is_403_and_audited(client_as, monkeypatch):
    from security import policy

    monkeypatch.setitem(policy.TOKEN_SCOPES, "test:other", frozenset({"/api/v1/somewhere-else"}))
    name, token = _create(scopes=("test:other",))
    client = client_as(None)
    response = client.get(KPI, headers=_bearer(token))
    assert response.status_code == 403
    assert response.get_json() == {"error": response.get_json()["error"], "status": 403}
    assert "kpi:read" in response.get_json()["error"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert "do not grant /api/v1/kpi" in _audit("api_token_denied", name)[0]["detail"]
    kpi_name, kpi_token = _create()
    layer = client.get("/api/v1/map/thanh-hoa/security", headers=_bearer(kpi_token))
    assert layer.status_code == 403  # no scope grants the map's points
    assert "do not grant /api/v1/map/thanh-hoa/security" in _audit("api_token_denied", kpi_name)[0]["detail"]


@pytest.mark.parametrize("name, scopes, days, says", [
    ("", ["kpi:read"], None, "name"),
    ("bad name!", ["kpi:read"], None, "name"),
    ("ok", [], None, "scopes"),
    ("ok", ["kpi:write"], None, "unknown: kpi:write"),
    ("ok", ["kpi:read"], 0, "expiry"),
])
def test_a_token_that_cannot_be_made_says_why(demo_db, name, scopes, days, says):
    from security.api_tokens import TokenError, create

    with pytest.raises(TokenError, match=says):
        create(name, scopes, actor="pytest", expires_days=days)


def test_a_name_is_taken_once(demo_db):
    from security.api_tokens import TokenError

    name, _token = _create()
    with pytest.raises(TokenError, match="exists already"):
        _create(name)


@pytest.mark.parametrize("path", ["/", "/map", "/admin", "/admin/tokens"])
def test_a_token_never_opens_a_page(client_as, path):
    name, token = _create()
    response = client_as(None).get(path, headers=_bearer(token))
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert _row(name)["use_count"] == 0  # not even read


def test_a_token_never_runs_a_dash_callback(client_as):
    from tests.unit.test_security import _callbacks, _request_body

    name, token = _create()
    client = client_as(None)
    callbacks = _callbacks()
    router = next(o for o in callbacks if "_pages_content.children" in o)
    protected = [output for output in callbacks if "ops-" in output or "admin-tokens-" in output]
    assert protected
    for output in protected:
        response = client.post("/_dash-update-component", json=_request_body(output, callbacks[output]),
                               headers=_bearer(token))
        assert response.status_code == 401, output
    routed = client.post("/_dash-update-component", json=_request_body(router, callbacks[router], "/services"),
                         headers=_bearer(token))
    assert routed.status_code == 401
    assert _row(name)["use_count"] == 0


def _metric(admin, label: str) -> float:
    text = admin.get("/metrics").get_data(as_text=True)
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("ioc_rate_limited_total") and label in line)


def test_each_token_has_its_own_rate_limit_across_routes(client_as, monkeypatch):
    monkeypatch.setenv("API_TOKEN_RATE_LIMIT", "3/minute")
    admin = client_as("admin")
    before = _metric(admin, 'limit="api-token"')
    _name_a, first = _create()
    _name_b, second = _create()
    client = client_as(None)
    statuses = [client.get(path, headers=_bearer(first)).status_code for path in (KPI, INDICATORS, KPI, INDICATORS)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get(KPI, headers=_bearer(first))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert refused.get_json()["status"] == 429 and "API token" in refused.get_json()["error"]
    assert client.get(KPI, headers=_bearer(second)).status_code == 200  # per token, not per address
    assert client_as("staff").get(KPI).status_code == 200  # sessions are not this limit
    assert _metric(admin, 'limit="api-token"') == before + 2


def test_the_cli_creates_lists_and_revokes(client_as):
    from manage import cli

    runner = CliRunner()
    name = _name()
    created = runner.invoke(cli, ["api-token", "create", name, "--scope", "kpi:read", "--expires", "30"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert TOKEN_PATTERN.fullmatch(token) and "shown only now" in created.stderr
    assert client_as(None).get(KPI, headers=_bearer(token)).status_code == 200
    listed = runner.invoke(cli, ["api-token", "list"])
    line = next(line for line in listed.output.splitlines() if line.startswith(name))
    assert "active" in line and "uses 1" in line and "kpi:read" in line and token not in listed.output
    assert _row(name)["expires_at"] - _row(name)["created_at"] == timedelta(days=30)
    assert runner.invoke(cli, ["api-token", "revoke", name]).exit_code == 0
    assert client_as(None).get(KPI, headers=_bearer(token)).status_code == 401
    assert "revoked" in next(line for line in runner.invoke(cli, ["api-token", "list"]).output.splitlines()
                             if line.startswith(name))
    again = runner.invoke(cli, ["api-token", "revoke", name])
    assert again.exit_code != 0 and "no active token" in again.output
    bad = runner.invoke(cli, ["api-token", "create", _name(), "--scope", "everything"])
    assert bad.exit_code != 0 and "scopes must be among kpi:read" in bad.output
    assert [e["actor"] for e in _audit("api_token_created", name)] == ["cli"]
    assert [e["actor"] for e in _audit("api_token_revoked", name)] == ["cli"]


# --- the admin page ----------------------------------------------------------------------------

def _page_body(name: str | None = None, revoke: str | None = None) -> dict:
    """The /admin/tokens callback request the browser sends on "create" or on a row's "revoke"."""
    from app import app
    from components import ids

    output = next(key for key in app.callback_map if ids.TOKENS_RESULT in key)
    revokes = [{"id": {"type": ids.TOKENS_REVOKE, "name": revoke}, "property": "n_clicks", "value": 1}] if revoke else []
    changed = (json.dumps({"name": revoke, "type": ids.TOKENS_REVOKE}, separators=(",", ":")) if revoke
               else ids.TOKENS_CREATE) + ".n_clicks"
    return {"output": output,
            "outputs": [{"id": {"type": ids.TOKENS_BODY, "part": "table"}, "property": "children"},
                        {"id": ids.TOKENS_RESULT, "property": "children"}],
            "inputs": [{"id": ids.TOKENS_CREATE, "property": "n_clicks", "value": 0 if revoke else 1}, revokes,
                       {"id": ids.LANG_SELECT, "property": "value", "value": "vi"}],
            "state": [{"id": ids.TOKENS_NAME, "property": "value", "value": name},
                      {"id": ids.TOKENS_SCOPES, "property": "value", "value": ["kpi:read"]},
                      {"id": ids.TOKENS_EXPIRES, "property": "value", "value": 7}],
            "changedPropIds": [changed]}


@pytest.mark.parametrize("role", [None, "public", "staff", "leader"], ids=lambda r: r or "anonymous")
def test_the_admin_page_callbacks_refuse_other_roles(client_as, role):
    from security.api_tokens import list_tokens

    existing, token = _create()
    name = _name()
    client = client_as(role)
    assert client.post("/_dash-update-component", json=_page_body(name)).status_code in (401, 403)
    assert client.post("/_dash-update-component", json=_page_body(revoke=existing)).status_code in (401, 403)
    assert name not in {row["name"] for row in list_tokens()}
    assert _row(existing)["status"] == "active"
    assert client_as(None).get(KPI, headers=_bearer(token)).status_code == 200


def test_an_admin_creates_a_token_shown_once_and_revokes_it(client_as):
    admin = client_as("admin")
    name = _name()
    created = admin.post("/_dash-update-component", json=_page_body(name))
    assert created.status_code == 200, created.get_data(as_text=True)[:300]
    tokens = TOKEN_PATTERN.findall(created.get_data(as_text=True))
    assert len(tokens) == 1
    row = _row(name)
    assert row["created_by"] == TEST_USERS["admin"] and row["scopes"] == ["kpi:read"]
    assert row["expires_at"] - row["created_at"] == timedelta(days=7)
    assert _audit("api_token_created", name)[0]["actor"] == TEST_USERS["admin"]
    assert client_as(None).get(KPI, headers=_bearer(tokens[0])).status_code == 200
    listed = admin.post("/_dash-update-component", json=_page_body(None, revoke=name))
    assert listed.status_code == 200
    assert not TOKEN_PATTERN.search(listed.get_data(as_text=True))  # never shown again
    assert _row(name)["status"] == "revoked"
    assert _audit("api_token_revoked", name)[0]["actor"] == TEST_USERS["admin"]
    assert client_as(None).get(KPI, headers=_bearer(tokens[0])).status_code == 401


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_admin_page_speaks_one_language(demo_urls, lang):
    from app import server
    from tests.conftest import login, use_databases
    from tests.unit.test_language import english_left, render, texts, vietnamese_left

    use_databases(*demo_urls)
    _create()
    client = server.test_client()
    assert login(client, TEST_USERS["admin"]).status_code == 303
    page = render(client, "/admin/tokens", lang)
    shown = texts(page)
    assert any("kpi:read" in text for text in shown)
    names = sorted(set(TEST_USERS.values()) | {"pytest"}, key=len, reverse=True)
    if lang == "en":
        assert "API tokens for other systems" in shown and vietnamese_left(shown, names) == []
    else:
        assert "Mã truy cập API cho các hệ thống khác" in shown and english_left(shown, names) == []
