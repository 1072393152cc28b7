"""Limits that hold across workers: login attempts per address and per user name counted
where every worker sees them (the database here; Redis when configured), an atomic
lockout that parallel attempts cannot outrun, the same work and answer for unknown names
as for wrong passwords, and per-address rate limits on the public API and callbacks
(429 with Retry-After, counted in /metrics)."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.conftest import PROJECT_ROOT, TEST_PASSWORD, TEST_USERS, csrf_from, login


@pytest.fixture(autouse=True)
def app_loaded():
    """The app is built in the test's own thread (Dash registers pages there), not in a pool thread."""
    from app import server  # noqa: F401


def _client(address: str):
    from app import server

    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def counted_checks(monkeypatch):
    """Every password check the login view makes: True when against a real account's hash."""
    from security import views

    checks: list[bool] = []
    real = views.verify_password

    def counting(password_hash, password):
        checks.append(password_hash is not None)
        return real(password_hash, password)
    monkeypatch.setattr(views, "verify_password", counting)
    return checks


@pytest.fixture
def leader_unlocked(demo_db):
    from security.accounts import update_user

    update_user(TEST_USERS["leader"], locked_until=None, failed_logins=0)
    yield TEST_USERS["leader"]
    update_user(TEST_USERS["leader"], locked_until=None, failed_logins=0)


def _attempt(username: str, password: str = "wrong-password-123", address: str | None = None):
    client = _client(address or _address())
    return login(client, username, password)


def test_parallel_wrong_passwords_reach_the_password_check_at_most_the_limit(leader_unlocked, counted_checks,
                                                                             monkeypatch):
    from security.accounts import get_user

    monkeypatch.setenv("LOGIN_MAX_FAILURES", "5")
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "1000")
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _i: _attempt(leader_unlocked).status_code, range(40)))
    assert sum(counted_checks) <= 5, f"{sum(counted_checks)} checks against the real hash"
    assert len(counted_checks) == 40  # the refused ones cost the same work, against a dummy hash
    assert statuses.count(401) <= 5 and statuses.count(403) >= 35 and set(statuses) <= {401, 403}
    assert get_user(leader_unlocked)["locked_until"] is not None
    assert _attempt(leader_unlocked, TEST_PASSWORD).status_code == 403  # locked, even with the right password


def test_parallel_attempts_from_one_address_stop_at_the_limit(demo_db, counted_checks, monkeypatch):
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "10")
    address = _address()
    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(lambda i: _attempt(f"nobody-{i}", address=address), range(30)))
    statuses = [response.status_code for response in responses]
    assert statuses.count(401) == 10 and statuses.count(429) == 20
    assert len(counted_checks) == 10
    assert all(0 < int(r.headers["Retry-After"]) <= 300 for r in responses if r.status_code == 429)


def test_a_window_opened_by_a_later_clock_reading_never_says_more_than_its_length(demo_db, monkeypatch):
    """Parallel hits read the clock before they queue for the row: the one that opens the
    window may have read it later than the one that counts next, and Retry-After must still
    stay within the window."""
    from security import throttle

    monkeypatch.setenv("REDIS_URL", "")  # the database counter; Redis keeps one clock
    key = f"test-clock:{uuid.uuid4().hex}"
    real_now = throttle.utc_now
    monkeypatch.setattr(throttle, "utc_now", lambda: real_now() + timedelta(seconds=30))
    opened = throttle.hit(key, 300)
    monkeypatch.setattr(throttle, "utc_now", real_now)
    counted = throttle.hit(key, 300)
    assert (opened.hits, counted.hits) == (1, 2)
    assert 260 < counted.resets_in <= 300
    throttle.clear(key)


def test_the_address_limit_holds_across_worker_processes(demo_urls, monkeypatch):
    """Another process (a gunicorn worker) counts three failures; this one sees them."""
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "4")
    address = _address()
    script = ("import sys\nfrom app import server\nfrom tests.conftest import login\n"
              "for _ in range(3):\n"
              "    c = server.test_client(); c.environ_base['REMOTE_ADDR'] = sys.argv[1]\n"
              "    print(login(c, 'nobody-there', 'wrong-password-123').status_code)\n")
    env = {**os.environ, "IOC_DATABASE_URL": demo_urls[0], "KPI_DATABASE_URL": demo_urls[1], "REDIS_URL": "",
           "LOGIN_ATTEMPTS_PER_IP": "4"}
    result = subprocess.run([sys.executable, "-c", script, address], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["401", "401", "401"]
    assert [_attempt("nobody-there", address=address).status_code for _ in range(2)] == [401, 429]


def test_a_successful_login_gives_its_attempt_back(demo_db, monkeypatch):
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "3")
    address = _address()
    for _ in range(6):
        assert _attempt(TEST_USERS["staff"], TEST_PASSWORD, address).status_code == 303
    assert _attempt("nobody", address=address).status_code == 401


def test_unknown_names_get_the_same_answer_and_work_as_wrong_passwords(leader_unlocked, counted_checks,
                                                                       monkeypatch):
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "50")
    timings = {"unknown": [], "wrong": []}
    answers = set()
    for _ in range(4):
        for kind, name in (("unknown", "khong.ton.tai"), ("wrong", leader_unlocked)):
            started = time.perf_counter()
            response = _attempt(name)
            timings[kind].append(time.perf_counter() - started)
            text = response.get_data(as_text=True)
            answers.add((response.status_code, "Sai tên đăng nhập hoặc mật khẩu." in text, "khóa" in text))
    assert answers == {(401, True, False)}
    assert len(counted_checks) == 8  # one argon2 check each, a dummy hash for the unknown name
    assert statistics.median(timings["unknown"]) > 0.5 * statistics.median(timings["wrong"])
    from security import throttle

    throttle.clear("login-user:khong.ton.tai")


def test_an_unknown_name_is_locked_like_a_real_one(leader_unlocked, monkeypatch):
    """'Locked' is said for every name tried too often, so it tells nobody which names exist."""
    from security import throttle

    monkeypatch.setenv("LOGIN_MAX_FAILURES", "3")
    answers = {}
    for name in ("ghost.user", leader_unlocked):
        throttle.clear(f"login-user:{name}")
        statuses = [_attempt(name).status_code for _ in range(4)]
        last = _attempt(name, TEST_PASSWORD)
        answers[name] = (statuses, last.status_code, "khóa" in last.get_data(as_text=True),
                         0 < int(last.headers["Retry-After"]) <= 15 * 60)
    assert answers["ghost.user"] == answers[leader_unlocked] == ([401, 401, 401, 403], 403, True, True)
    throttle.clear("login-user:ghost.user")


def test_the_lockout_is_one_atomic_claim(leader_unlocked):
    from security.accounts import claim_login_attempt, get_user

    with ThreadPoolExecutor(10) as pool:
        claims = list(pool.map(lambda _i: claim_login_attempt(leader_unlocked, 5, timedelta(minutes=15)), range(30)))
    granted = [claim for claim in claims if claim is not None]
    assert len(granted) == 5 and sum(claim["locked_now"] for claim in granted) == 1
    assert get_user(leader_unlocked)["locked_until"] is not None
    assert claim_login_attempt("khong.ton.tai", 5, timedelta(minutes=15)) is None


def test_an_unlock_by_an_admin_forgets_the_names_failures(leader_unlocked, monkeypatch):
    from security.accounts import update_user

    monkeypatch.setenv("LOGIN_MAX_FAILURES", "2")
    assert [_attempt(leader_unlocked).status_code for _ in range(3)] == [401, 401, 403]
    update_user(leader_unlocked, locked_until=None, failed_logins=0)
    assert _attempt(leader_unlocked, TEST_PASSWORD).status_code == 303


def _metric(admin, name: str, label: str) -> float:
    text = admin.get("/metrics").get_data(as_text=True)
    values = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(name) and label in line]
    return sum(values)


def test_the_public_api_is_rate_limited_per_address_with_retry_after(client_as, monkeypatch):
    monkeypatch.setenv("PUBLIC_API_RATE_LIMIT", "3/minute")
    admin = client_as("admin")
    before = _metric(admin, "ioc_rate_limited_total", 'limit="public-api"')
    anonymous, neighbour = _client(_address()), _client(_address())
    url = "/api/v1/public/kpi?city=thanh-hoa&year=2022"
    responses = [anonymous.get(url) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert 0 < int(responses[-1].headers["Retry-After"]) <= 61
    assert responses[-1].get_json()["status"] == 429 and "too many requests" in responses[-1].get_json()["error"]
    assert neighbour.get(url).status_code == 200  # per address
    staff = client_as("staff")
    assert all(staff.get(url).status_code == 200 for _ in range(4))  # signed-in sessions are not limited
    assert _metric(admin, "ioc_rate_limited_total", 'limit="public-api"') == before + 1


def test_public_callbacks_are_rate_limited_per_address(client_as, monkeypatch):

    monkeypatch.setenv("PUBLIC_CALLBACK_RATE_LIMIT", "2/minute")
    from tests.unit.test_security import public_body

    client = _client(_address())
    client.get("/login")
    body = public_body(client, "vi")
    statuses = [client.post("/_dash-update-component", json=body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/login").status_code == 200  # pages and the login form are not this limit


def test_login_refusals_are_counted_in_metrics(client_as, monkeypatch):
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "1")
    admin = client_as("admin")
    before = _metric(admin, "ioc_rate_limited_total", 'limit="login-address"')
    address = _address()
    assert [_attempt("nobody", address=address).status_code for _ in range(2)] == [401, 429]
    assert _metric(admin, "ioc_rate_limited_total", 'limit="login-address"') == before + 1


def test_the_csrf_token_still_guards_the_login_form(demo_db):
    client = _client(_address())
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "x", "password": "y", "csrf": token + "x"}).status_code == 400


def test_a_login_without_a_database_says_so_and_creates_nothing(demo_urls, tmp_path):
    from tests.conftest import use_databases

    use_databases(f"sqlite:///{tmp_path / 'gone-ioc.db'}", f"sqlite:///{tmp_path / 'gone-kpi.db'}")
    try:
        response = _attempt(TEST_USERS["staff"], TEST_PASSWORD)
        assert response.status_code == 503 and "manage.py demo" in response.get_data(as_text=True)
        assert not (tmp_path / "gone-ioc.db").exists()
    finally:
        use_databases(*demo_urls)
