"""Security: every route and callback walked as every role, public responses
scanned for sensitive data, traversal probes, lockout, expiry, forged cookies,
unsafe configuration, headers, and no SQL built from strings."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.callbacks import lang_input
from tests.conftest import PROJECT_ROOT, TEST_PASSWORD, TEST_USERS, csrf_from, login

ROLES = (None, "public", "staff", "leader", "admin")
# What each role may reach, written here independently of security/policy.py.
PUBLIC_RULES = {"/login", "/logout", "/assets/<path:filename>", "/_favicon.ico", "/_dash-layout",
                "/_dash-dependencies", "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
                "/_dash-component-suites/plotly/package_data/plotly.min.js",  # serving/plotly_bundle.py
                "/api/v1/public/kpi", "/api/v1/openapi.json", "/healthz", "/readyz"}
ADMIN_RULES: set[str] = {"/metrics"}  # or a bearer METRICS_TOKEN (tests/unit/test_serving.py)
PUBLIC_CALLBACK_OUTPUTS = {"shell-city-select.value", "shell-nav-source.data", "not-found-body.children",
                           "public-body.children", "public-alerts.children", "wall-bar.children",
                           "shell-alert-badge.children"}  # checks the role itself: nothing for visitors
ADMIN_CALLBACK_OUTPUTS = {"admin-users.children", "admin-sessions.children", "admin-import-", "calendar-",
                          "admin-tokens-", "admin-alert-rules-"}
ADMIN_PAGES = {"/admin", "/admin/import", "/admin/calendar", "/admin/tokens", "/admin/alert-rules"}
SAMPLE_VALUES = {"filename": "app.css", "package_name": "dash", "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
                 "path": "khong-co"}


def expected_allowed(rule: str, role: str | None) -> bool:
    if rule in PUBLIC_RULES:
        return True
    if rule in ADMIN_RULES:
        return role == "admin"
    return role in ("staff", "leader", "admin")


def concrete(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_VALUES.get(m.group(1), "x"), rule)


def blocked(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


def all_rules():
    from app import server

    return sorted({(rule.rule, "GET" if "GET" in rule.methods else "POST") for rule in server.url_map.iter_rules()
                   if rule.rule != "/_dash-update-component"})


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_every_route_allows_exactly_the_expected_roles(client_as, role):
    client = client_as(role)
    wrong = []
    for rule, method in all_rules():
        path = concrete(rule)
        data = {"csrf": "x"} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        if blocked(response) == expected_allowed(rule, role):
            wrong.append((rule, method, response.status_code))
    assert wrong == [], f"routes with the wrong access for {role or 'anonymous'}"


def _callbacks():
    """The app's server-side callbacks, read from its registry (clientside ones never reach the server)."""
    from app import app

    app._setup_server()
    return {output: entry for output, entry in app.callback_map.items() if "callback" in entry}


def _request_body(output: str, entry: dict, pathname: str = "/") -> dict:
    inputs = [{"id": dep["id"], "property": dep["property"],
               "value": pathname if dep["property"] == "pathname" else None} for dep in entry["inputs"]]
    state = [{"id": dep["id"], "property": dep["property"], "value": None} for dep in entry.get("state", [])]
    return {"output": output, "outputs": [], "inputs": inputs, "state": state, "changedPropIds": []}


def _public_callback(output: str) -> bool:
    return any(part in output for part in PUBLIC_CALLBACK_OUTPUTS)


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_every_callback_allows_exactly_the_expected_roles(client_as, role):
    client = client_as(role)
    callbacks = _callbacks()
    assert len(callbacks) >= 4
    wrong = []
    for output, entry in callbacks.items():
        response = client.post("/_dash-update-component", json=_request_body(output, entry))
        if any(part in output for part in ADMIN_CALLBACK_OUTPUTS):
            allowed = role == "admin"
        else:
            allowed = _public_callback(output) or role in ("staff", "leader", "admin")
        if blocked(response) == allowed:
            wrong.append((output, response.status_code))
        if blocked(response):
            assert response.get_json() == {"error": response.get_json()["error"], "status": response.status_code}
    assert wrong == []


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_admin_pages_and_their_router_are_admin_only(client_as, role):
    client = client_as(role)
    callbacks = _callbacks()
    router = next(o for o in callbacks if "_pages_content.children" in o)
    for path in ADMIN_PAGES:
        page = client.get(path)
        routed = client.post("/_dash-update-component", json=_request_body(router, callbacks[router], path))
        assert blocked(page) == (role != "admin"), (path, page.status_code)
        assert blocked(routed) == (role != "admin"), (path, routed.status_code)


def _page_paths() -> dict[str, str]:
    """Every page's path (templates filled in) → the role it needs, written here independently
    of the policy: /admin* admin, /public anyone, everything else staff and above."""
    import dash

    _callbacks()
    out = {}
    for page in dash.page_registry.values():
        path = re.sub(r"<[^>]+>", "14755", page.get("path_template") or page["path"])
        out[path] = "admin" if path.startswith("/admin") else "anyone" if path == "/public" else "staff"
    return out


def _may(role: str | None, needed: str) -> bool:
    return needed == "anyone" or (needed == "staff" and role in ("staff", "leader", "admin")) or role == "admin"


def _router(pathnames: list, state: list | None = None, search: str = "") -> tuple[str, dict]:
    """A page-router request whose inputs are `pathnames` (each an _pages_location.pathname) and the search."""
    router = next(o for o in _callbacks() if "_pages_content.children" in o)
    inputs = [{"id": "_pages_location", "property": "pathname", "value": value} for value in pathnames]
    inputs.insert(1, {"id": "_pages_location", "property": "search", "value": search})
    inputs.append(lang_input("vi"))
    return router, {"output": router, "outputs": [{"id": "_pages_content", "property": "children"},
                                                  {"id": "_pages_store", "property": "data"}],
                    "inputs": inputs, "state": state or [], "changedPropIds": ["_pages_location.pathname"]}


# Crafted router bodies: (name, pathnames around the target, extra state, valid body?)
ROUTER_BODIES = [
    ("as the browser sends it", lambda target: [target], None, True),
    ("slashes doubled", lambda target: ["//" + target.strip("/") + "//"], None, True),
    ("target first, /public last", lambda target: [target, "/public"], None, False),
    ("/public first, target last", lambda target: ["/public", target], None, False),
    ("target again in state", lambda target: ["/public"],
     [{"id": "_pages_location", "property": "pathname", "value": "{target}"}], False),
    ("not a path", lambda target: [{"path": target}], None, False),
]


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_crafted_router_bodies_for_every_page_get_what_the_role_may_see(client_as, role):
    """The policy reads the page the router will render exactly as Dash reads it: a body with
    inputs other than the declared ones is refused (400), whoever sends it; a valid one renders
    the page only for a role that may open it (KNOWN-TRAPS: Dash hands the router the first
    pathname)."""
    client = client_as(role)
    client.get("/login")  # the first request sets the Dash server up
    wrong = []
    for target, needed in _page_paths().items():
        for name, pathnames, state, valid in ROUTER_BODIES:
            state = json.loads(json.dumps(state).replace("{target}", target)) if state else None
            _output, body = _router(pathnames(target), state)
            response = client.post("/_dash-update-component", json=body)
            if not valid:
                expected = {400}
            elif _may(role, needed):
                expected = {200}
            else:
                expected = {401} if role is None else {403}
            if response.status_code not in expected:
                wrong.append((target, name, response.status_code))
    assert wrong == []


def test_a_router_body_naming_a_protected_page_first_leaks_nothing(client_as):
    client = client_as(None)
    client.get("/login")
    _output, body = _router(["/admin/import", "/public"])
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400
    assert "admin-import" not in response.get_data(as_text=True)


def test_admin_changes_are_audited(client_as):
    from security.accounts import get_user, recent_audit, update_user

    callbacks = _callbacks()
    output = next(o for o in callbacks if "admin-users.children" in o)
    body = _request_body(output, callbacks[output])
    body["inputs"][0]["value"] = 1
    body["changedPropIds"] = ["admin-apply.n_clicks"]  # the click, as the browser reports it
    body["outputs"] = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
                       for part in output.strip(".").split("...")]
    body["state"] = [{"id": "admin-user", "property": "value", "value": TEST_USERS["public"]},
                     {"id": "admin-role", "property": "value", "value": "staff"},
                     {"id": "admin-active", "property": "value", "value": None}]
    try:
        assert client_as("staff").post("/_dash-update-component", json=body).status_code == 403
        assert get_user(TEST_USERS["public"])["role"] == "public"
        response = client_as("admin").post("/_dash-update-component", json=body)
        assert response.status_code == 200
        assert get_user(TEST_USERS["public"])["role"] == "staff"
        event = recent_audit(1)[0]
        assert (event["actor"], event["action"]) == (TEST_USERS["admin"], "user_changed")
    finally:
        update_user(TEST_USERS["public"], role="public")


def test_unknown_callback_is_refused(client_as):
    response = client_as("staff").post("/_dash-update-component", json={"output": "nope.children", "inputs": []})
    assert response.status_code == 404


def test_anonymous_dash_requests_get_no_data(client_as, demo_db):
    client = client_as(None)
    callbacks = _callbacks()
    overview = next(o for o in callbacks if "overview-cards.children" in o)
    response = client.post("/_dash-update-component", json=_request_body(overview, callbacks[overview]))
    assert response.status_code == 401
    assert b"18000" not in response.data and b"kpi" not in response.data


def _sensitive_strings() -> list[str]:
    """Security-camera coordinates, incident summaries and report categories+channels from the DB."""
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect

    with connect("ioc") as connection:
        cameras = connection.execute(select(m.Camera.lon, m.Camera.lat).where(m.Camera.kind == "security")
                                     .limit(3000)).all()
        incidents = connection.execute(select(m.Incident.summary).distinct().limit(200)).scalars().all()
    return [f"{lon:.5f}"[:9] for lon, _lat in cameras] + [f"{lat:.5f}"[:8] for _lon, lat in cameras] + list(incidents)


def test_public_callbacks_reveal_nothing_sensitive(client_as):
    sensitive = _sensitive_strings()
    callbacks = _callbacks()
    client = client_as(None)
    scanned = 0
    for output, entry in callbacks.items():
        if not _public_callback(output):
            continue
        for pathname in ("/", "/public"):
            body = _request_body(output, entry, pathname)
            for item in body["inputs"]:
                if item["property"] == "value" and "city" in json.dumps(item["id"]):
                    item["value"] = "thanh-hoa"
            response = client.post("/_dash-update-component", json=body)
            text = response.get_data(as_text=True)
            scanned += 1
            leaks = [s for s in sensitive if s in text]
            assert leaks == [], f"{output} leaks {leaks[:3]}"
    assert scanned >= 4
    public_api = client.get("/api/v1/public/kpi?city=thanh-hoa&year=2022").get_data(as_text=True)
    assert not [s for s in sensitive if s in public_api]


@pytest.mark.parametrize("path", [
    "/assets/../app.py", "/assets/..%2fapp.py", "/assets/%2e%2e/settings.py", "/assets/..%5capp.py",
    "/assets/%252e%252e%252fapp.py", "/_dash-component-suites/dash/../../app.py",
    "/_dash-component-suites/..%2f..%2fsettings.py", "/_dash-component-suites/nope/x.js",
    "/static/../app.py",
])
def test_path_traversal_is_404(client_as, path):
    for role in (None, "admin"):
        response = client_as(role).get(path)
        assert response.status_code == 404, (role, path)
        assert b"import" not in response.data


def test_wrong_password_locks_the_account(demo_db, monkeypatch):
    from app import server
    from security.accounts import get_user, recent_audit, update_user

    monkeypatch.setenv("LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "1000")
    client = server.test_client()
    username = TEST_USERS["leader"]
    try:
        statuses = [login(client, username, "wrong-password-123").status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        assert get_user(username)["locked_until"] is not None
        right = login(client, username)
        assert right.status_code == 403
        assert "khóa" in right.get_data(as_text=True)
        actions = [event["action"] for event in recent_audit(10)]
        assert "account_locked" in actions and "login_locked" in actions
    finally:
        update_user(username, locked_until=None, failed_logins=0)
    assert login(client, username).status_code == 303


def test_login_rate_limit_per_address(demo_db, monkeypatch):
    from app import server
    from security import throttle

    address = "198.51.100.20"
    throttle.clear(f"login-ip:{address}")  # the count is shared (database), so it outlives a test
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "2")
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    responses = [login(client, "nobody-here", "wrong-password-123") for _ in range(3)]
    assert [r.status_code for r in responses] == [401, 401, 429]
    assert 0 < int(responses[-1].headers["Retry-After"]) <= 300
    throttle.clear(f"login-ip:{address}")
    throttle.clear("login-user:nobody-here")


def test_expired_session_goes_to_login(client_as, monkeypatch):
    from security import session as auth_session

    client = client_as("staff")
    assert client.get("/").status_code == 200
    real_now = auth_session.now()
    monkeypatch.setattr(auth_session, "now", lambda: real_now + 61 * 60)
    response = client.get("/?year=2022")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/%3Fyear%3D2022") or \
        response.headers["Location"].startswith("/login?next=/?year")
    assert "expired=1" in response.headers["Location"]
    assert client.post("/_dash-update-component", json={"output": "x"}).status_code == 401


def test_absolute_expiry(client_as, monkeypatch):
    from security import session as auth_session

    client = client_as("staff")
    real_now = auth_session.now()
    for hours in range(1, 14):
        monkeypatch.setattr(auth_session, "now", lambda h=hours: real_now + h * 3600 - 60)
        response = client.get("/")
        if response.status_code != 200:
            break
    assert hours == 12 or hours == 13
    assert response.status_code == 303


def test_forged_and_tampered_cookies_are_rejected(client_as):
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import URLSafeTimedSerializer

    from app import server

    interface = SecureCookieSessionInterface()
    forged_serializer = URLSafeTimedSerializer("not-the-server-key", salt=interface.salt,
                                               serializer=interface.serializer,
                                               signer_kwargs={"key_derivation": "hmac", "digest_method": interface.digest_method})
    forged = forged_serializer.dumps({"user": TEST_USERS["admin"], "login_at": 9e12, "seen_at": 9e12})
    client = server.test_client()
    client.set_cookie("ioc_session", forged)
    assert client.get("/").status_code == 303

    signed_in = client_as("staff")
    cookie = signed_in.get_cookie("ioc_session").value
    tampered = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
    fresh = server.test_client()
    fresh.set_cookie("ioc_session", tampered)
    assert fresh.get("/").status_code == 303


def test_role_change_and_disabling_take_effect_at_once(client_as):
    """A role change ends the user's sessions (they sign in again with the new role); disabling
    the account ends them too, and a disabled user cannot sign in."""
    from app import server
    from security.accounts import update_user

    client = client_as("staff")
    username = TEST_USERS["staff"]
    try:
        update_user(username, role="public")
        assert client.get("/api/v1/kpi?city=thanh-hoa&year=2022").status_code == 401
        again = server.test_client()
        assert login(again, username).status_code == 303
        assert again.get("/api/v1/kpi?city=thanh-hoa&year=2022").status_code == 403
        update_user(username, role="staff", active=False)
        assert again.get("/api/v1/kpi?city=thanh-hoa&year=2022").status_code == 401
        assert login(server.test_client(), username).status_code == 401
    finally:
        update_user(username, role="staff", active=True)


def test_csrf_token_required(demo_db):
    from app import server

    client = server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": TEST_USERS["staff"], "password": TEST_PASSWORD})
    assert response.status_code == 400
    response = client.post("/login", data={"username": TEST_USERS["staff"], "password": TEST_PASSWORD,
                                           "csrf": "guessed"})
    assert response.status_code == 400


@pytest.mark.parametrize("next_path, landing", [
    ("/?year=2022", "/?year=2022"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
])
def test_no_open_redirect_after_login(demo_db, next_path, landing):
    from app import server

    client = server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": TEST_USERS["staff"], "password": TEST_PASSWORD,
                                           "csrf": token, "next": next_path})
    assert response.status_code == 303
    assert response.headers["Location"] == landing


def test_logout_needs_post_with_token_and_ends_the_session(client_as):
    client = client_as("staff")
    assert client.get("/logout").status_code == 200
    assert client.get("/").status_code == 200, "GET /logout must not sign out"
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert client.get("/").status_code == 303


def test_security_headers(client_as):
    response = client_as("staff").get("/")
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers
    secure = client_as("staff").get("/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_session_cookie_flags(demo_db):
    from app import server

    client = server.test_client()
    response = login(client, TEST_USERS["staff"])
    cookie = next(value for key, value in response.headers.items() if key == "Set-Cookie" and "ioc_session" in value)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_upload_limit_enforced(client_as, monkeypatch):
    from app import server

    limit = server.config["MAX_CONTENT_LENGTH"]
    response = client_as("staff").post("/login", data=b"x" * (limit + 1), content_type="application/octet-stream")
    assert response.status_code == 413


def public_body(client, lang: str) -> dict:
    """The /public kiosk's callback request for Thanh Hóa, as the browser sends it."""
    from components import ids
    from tests.unit.test_response_cache import _body

    return _body(client, ids.PUBLIC_BODY, {ids.CITY_SELECT: "thanh-hoa", ids.LANG_SELECT: lang})


@pytest.mark.parametrize("role", [None, "staff"], ids=["anonymous", "staff"])
def test_a_body_over_the_limit_is_413_on_every_route(client_as, role):
    import io

    from app import server

    limit = server.config["MAX_CONTENT_LENGTH"]
    big = b"{" + b" " * limit + b"}"
    client = client_as(role)
    wrong = []
    for rule, _method in all_rules() + [("/_dash-update-component", "POST")]:
        response = client.post(concrete(rule), data=big, content_type="application/json")
        if response.status_code != 413 or response.get_json() != {"error": response.get_json()["error"], "status": 413}:
            wrong.append((rule, response.status_code))
    assert wrong == []
    chunked = client.post("/_dash-update-component", input_stream=io.BytesIO(big), content_type="application/json",
                          headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413 and b"Traceback" not in chunked.data
    small = client.post("/_dash-update-component", input_stream=io.BytesIO(b'{"output": "nope.children", "inputs": []}'),
                        content_type="application/json", headers={"Transfer-Encoding": "chunked"},
                        environ_overrides={"wsgi.input_terminated": True})
    assert small.status_code == (401 if role is None else 404)  # a chunked body within the limit still works


def test_a_zip_of_many_small_entries_that_inflates_far_is_refused(tmp_path):
    """170 KB holding 150 entries of 1 MiB each (150 MiB) was accepted: each entry passed a
    per-entry check that began at 1 MiB. The archive's total inflation is checked too."""
    import zipfile

    from security.uploads import UnsafeUpload, check_zip

    bomb = tmp_path / "wards.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(150):
            archive.writestr(f"ward_{index}.geojson", b"\0" * (1 << 20))
    assert bomb.stat().st_size < 400_000
    with pytest.raises(UnsafeUpload, match="zip bomb"):
        check_zip(bomb)
    many_small = tmp_path / "small.zip"
    with zipfile.ZipFile(many_small, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(150):
            archive.writestr(f"part_{index}.txt", b"\0" * 200_000)
    with pytest.raises(UnsafeUpload, match="zip bomb"):
        check_zip(many_small)
    honest = tmp_path / "honest.zip"
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as archive:
        import random

        rng = random.Random(1)
        for index in range(20):
            archive.writestr(f"ward_{index}.geojson", "".join(f"[{rng.uniform(105, 106):.6f},{rng.uniform(19, 20):.6f}],"
                                                                  for _ in range(3000)))
    assert len(check_zip(honest)) == 20


def test_the_public_callback_cache_is_keyed_by_the_validated_inputs_only(client_as, monkeypatch):
    """A junk field or value per request no longer makes a new key: one rendering serves them all."""
    from unittest.mock import MagicMock

    import pages.public as public
    from data_access import cache

    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("PUBLIC_CALLBACK_RATE_LIMIT", "")
    cache.clear()
    renders = MagicMock(wraps=public._services_panel)
    monkeypatch.setattr(public, "_services_panel", renders)
    client = client_as(None)
    client.get("/login")
    body = public_body(client, "vi")
    answers = set()
    for junk in range(5):
        variant = {**body, f"junk{junk}": "x" * 100, "changedPropIds": [f"junk-{junk}.value"]}
        response = client.post("/_dash-update-component", json=variant)
        assert response.status_code == 200
        answers.add(response.get_data())
    assert renders.call_count == 1 and len(answers) == 1
    extra_input = {**body, "inputs": body["inputs"] + [{"id": "junk", "property": "value", "value": 1}]}
    assert client.post("/_dash-update-component", json=extra_input).status_code == 400
    cache.clear()


def test_the_public_api_exposes_exactly_what_the_kiosk_shows(client_as):
    """One whitelist: the kiosk's KPI cards and the public API's KPIs are the same set; a ward's
    figures are only those the kiosk shows per ward; the protected API still has them all."""
    from api import PUBLIC_WARD_FIGURES
    from domain.city_time import city_today
    from domain.headlines import PUBLIC_KPI_CODES

    client = client_as(None)
    client.get("/login")
    year = city_today().year - 1  # the year the kiosk shows
    kiosk = client.post("/_dash-update-component", json=public_body(client, "en")).get_json()
    cards = set()

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict) and props.get("className") == "kiosk-card" and "data-code" in props:
                cards.add(props["data-code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(kiosk)
    api = client.get(f"/api/v1/public/kpi?city=thanh-hoa&year={year}").get_json()
    assert cards and set(api["kpis"]) == cards == set(PUBLIC_KPI_CODES)
    assert "sources" not in api
    ward = client.get(f"/api/v1/public/kpi?city=thanh-hoa&year={year}&ward=14755").get_json()
    assert set(ward["kpis"]) == set(PUBLIC_WARD_FIGURES) and ward["ward"] == "14755"
    assert client.get("/api/v1/public/kpi?city=thanh-hoa&period=2022-Q3").status_code == 400
    staff = client_as("staff").get(f"/api/v1/kpi?city=thanh-hoa&year={year}&ward=14755").get_json()
    assert len(staff["kpis"]) > len(PUBLIC_KPI_CODES)


def test_cache_keys_include_the_role(client_as):
    from data_access import cache

    seen = []
    original = cache._key

    def spy(name, args, kwargs, shared=False):
        key = original(name, args, kwargs, shared)
        seen.append((cache._scope(), key, shared))
        return key

    cache._key = spy
    try:
        for role in ("staff", "admin"):
            client_as(role).get("/api/v1/kpi?city=thanh-hoa&year=2022")
    finally:
        cache._key = original
    staff_keys = {key for scope, key, shared in seen if scope == "staff" and not shared}
    admin_keys = {key for scope, key, shared in seen if scope == "admin" and not shared}
    assert staff_keys and admin_keys and not staff_keys & admin_keys
    # One value for every role only where a function is declared so: the city's computed indicators
    # and their sources, which every caller filters by role (the API by PUBLIC_KPI_CODES, pages by
    # their access).
    assert {key.split(":")[0] for _, key, shared in seen if shared} == {"data_access.kpi.compute_kpis",
                                                                        "data_access.kpi.kpi_sources"}


@pytest.mark.parametrize("key", ["", "changeme", "secret", "short-key-123", "a" * 36, "ab" * 32, "abc123" * 6])
def test_production_refuses_a_weak_secret_key(key, tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": key, "PATH": "/usr/bin:/bin",
           "IOC_DATABASE_URL": f"sqlite:///{tmp_path}/i.db", "KPI_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "refusing to start" in result.stderr and "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_key_entropy_estimate():
    import secrets

    from security.secret_key import MIN_KEY_BITS, key_bits

    assert key_bits("a" * 36) == 0 and key_bits("ab" * 32) == 64
    assert all(key_bits(secrets.token_hex(32)) > MIN_KEY_BITS for _ in range(20))
    assert all(key_bits(secrets.token_urlsafe(32)) > MIN_KEY_BITS for _ in range(20))


@pytest.mark.parametrize("value", ["prod", "Production ", "staging", ""])
def test_an_unknown_app_env_stops_the_start(value, tmp_path):
    env = {"APP_ENV": value, "PATH": "/usr/bin:/bin", "IOC_DATABASE_URL": f"sqlite:///{tmp_path}/i.db",
           "KPI_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if value.strip().lower() == "production":  # a known value, whatever the case: the key check stops it
        assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    else:
        assert result.returncode != 0 and "APP_ENV" in result.stderr and "Traceback" not in result.stderr


def test_production_starts_with_a_strong_key_and_no_debug(tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": "k" * 16 + "9f3a7c2e4b6d8a1f0e3c5b7d9a2f4e6c", "DEBUG": "1",
           "PATH": "/usr/bin:/bin"}
    code = "import app, settings; print(settings.debug_enabled(), app.server.config['SESSION_COOKIE_SECURE'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


SQL_FORMATTING = re.compile(
    r"""(text|execute|exec_driver_sql|executescript|read_sql(_query)?)\(\s*(f["']|["'][^"']*["']\s*(%|\.format))"""
    r"""|["'](SELECT|INSERT|UPDATE|DELETE)\b[^"']*["']\s*(%|\+|\.format)"""
    r"""|f["'](SELECT|INSERT|UPDATE|DELETE|COPY)\b""", re.IGNORECASE)
UNESCAPED_HTML = re.compile(r"dangerously_allow_html\s*=\s*True|DangerouslySetInnerHTML|Markup\(|\|\s*safe\b")


def _project_sources():
    """The project's own code: not the environment, the tests, or third-party files kept in `vendor/`."""
    for path in PROJECT_ROOT.rglob("*"):
        if path.suffix in (".py", ".html", ".js") and not {".venv", "tests", "vendor"} & set(path.parts):
            yield path


@pytest.mark.parametrize("pattern, what", [(SQL_FORMATTING, "SQL built by string formatting"),
                                           (UNESCAPED_HTML, "HTML rendered unescaped")])
def test_no_dangerous_patterns_in_code(pattern, what):
    offenders = [f"{path.relative_to(PROJECT_ROOT)}:{number}"
                 for path in _project_sources()
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if pattern.search(line)]
    assert offenders == [], f"{what}: {offenders}"


@pytest.mark.parametrize("line", ['connection.execute(f"SELECT * FROM t WHERE id={x}")',
                                  'text("DELETE FROM t WHERE id=%s" % x)', 'sql = "SELECT a FROM " + table',
                                  'text("select 1 where a = {}".format(a))'])
def test_the_sql_grep_catches_what_it_must(line):
    assert SQL_FORMATTING.search(line)


@pytest.mark.parametrize("groups, status", [("ioc-leaders", 200), ("ioc-admins,other", 200),
                                            ("other", 403), ("", 403)])
def test_single_sign_on_through_a_trusted_proxy(demo_db, monkeypatch, groups, status):
    from app import server

    monkeypatch.setenv("SSO_USER_HEADER", "X-Forwarded-User")
    monkeypatch.setenv("SSO_GROUP_ROLES", "ioc-admins:admin,ioc-leaders:leader")
    response = server.test_client().get("/api/v1/kpi?city=thanh-hoa&year=2022",
                                        headers={"X-Forwarded-User": "nguyen.van.a", "X-Forwarded-Groups": groups})
    assert response.status_code == status


def test_sso_headers_ignored_unless_configured(demo_db):
    from app import server

    response = server.test_client().get("/api/v1/kpi?city=thanh-hoa&year=2022",
                                        headers={"X-Forwarded-User": "attacker", "X-Forwarded-Groups": "ioc-admins"})
    assert response.status_code == 401
