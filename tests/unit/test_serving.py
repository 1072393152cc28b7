"""Probes, the per-request JSON log and /metrics."""
from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import use_databases


def test_healthz_answers_without_any_database(client_as, tmp_path):
    use_databases(f"sqlite:///{tmp_path / 'missing-ioc.db'}", f"sqlite:///{tmp_path / 'missing-kpi.db'}")
    response = client_as(None).get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert not (tmp_path / "missing-ioc.db").exists()


def test_readyz_is_ok_when_both_databases_answer(client_as):
    response = client_as(None).get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["databases"] == {"ioc": "ok", "kpi": "ok"}


@pytest.mark.parametrize("broken_url", ["sqlite:///{tmp}/no-such.db", "postgresql://nobody@127.0.0.1:1/nothing"])
def test_readyz_is_503_with_the_reason_when_a_database_is_down(client_as, demo_urls, tmp_path, broken_url):
    client = client_as(None)
    url = broken_url.format(tmp=tmp_path)
    use_databases(demo_urls[0], url)
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["databases"]["ioc"] == "ok"
    assert body["databases"]["kpi"].startswith("KPI database")
    text = response.get_data(as_text=True)
    assert "127.0.0.1" not in text and str(tmp_path) not in text  # the public probe reveals no addresses
    use_databases(*demo_urls)


def test_probes_skip_the_session_lookup(client_as, demo_urls, tmp_path):
    """A signed-in browser hitting /healthz while the database is down still gets 200."""
    client = client_as("staff")
    use_databases(f"sqlite:///{tmp_path / 'gone.db'}", demo_urls[1])
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    use_databases(*demo_urls)


@pytest.mark.parametrize("role, token_header, expected", [
    (None, None, 401), ("staff", None, 401), ("leader", None, 401), ("admin", None, 200),
    (None, "Bearer s3cret-metrics-token-for-tests", 200), (None, "Bearer wrong", 401), (None, "s3cret", 401),
])
def test_metrics_needs_an_admin_or_the_token(client_as, monkeypatch, role, token_header, expected):
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-metrics-token-for-tests")
    headers = {"Authorization": token_header} if token_header else {}
    response = client_as(role).get("/metrics", headers=headers)
    assert response.status_code == expected
    if expected == 200:
        assert response.mimetype == "text/plain"


def test_metrics_without_a_token_setting_refuse_every_bearer(client_as, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", "")
    assert client_as(None).get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def _metric_lines(client, name: str) -> list[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return [line for line in text.splitlines() if line.startswith(name)]


def test_metrics_count_requests_by_route_template_and_cache_lookups(client_as):
    admin = client_as("admin")
    staff = client_as("staff")
    staff.get("/api/v1/public/kpi?city=thanh-hoa&year=2022")
    staff.get("/api/v1/public/kpi?city=thanh-hoa&year=2022")
    staff.get("/ward/14755?year=2022")
    lines = _metric_lines(admin, "ioc_http_requests_total")
    assert any('route="/api/v1/public/kpi"' in line and 'status="200"' in line for line in lines), lines
    assert any('route="/ward/<gso_code>"' in line for line in lines), lines
    assert not any("14755" in line or "thanh-hoa" in line for line in lines)
    assert _metric_lines(admin, "ioc_http_request_duration_seconds_bucket")
    lookups = _metric_lines(admin, "ioc_cache_lookups_total")
    assert any('result="hit"' in line for line in lookups), lookups
    ratio = _metric_lines(admin, "ioc_cache_hit_ratio")
    assert len(ratio) == 1 and 0 < float(ratio[0].split()[-1]) <= 1


def test_metrics_export_the_ingest_counters(client_as, monkeypatch):
    from data_access import operations

    monkeypatch.setattr(operations, "ingest_counters", lambda: {"accepted.reading": 41, "rejected.invalid_json": 2})
    lines = _metric_lines(client_as("admin"), "ioc_ingest_messages_total")
    assert 'ioc_ingest_messages_total{result="accepted.reading"} 41.0' in lines
    assert 'ioc_ingest_messages_total{result="rejected.invalid_json"} 2.0' in lines


def test_one_json_log_line_per_request_without_personal_data(client_as, caplog):
    client = client_as("staff")
    with caplog.at_level(logging.INFO, logger="ioc.request"):
        client.get("/api/v1/kpi?city=thanh-hoa&year=2022&token=abc123")
        client_as(None).get("/api/v1/kpi?city=thanh-hoa&year=2022")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ioc.request"]
    kpi = [line for line in lines if line["path"] == "/api/v1/kpi"]
    assert [(line["status"], line["role"]) for line in kpi] == [(200, "staff"), (401, "anonymous")]
    for line in kpi:
        assert {"method", "path", "route", "status", "duration_ms", "role", "time"} <= set(line)
        assert line["duration_ms"] >= 0
    raw = " ".join(r.getMessage() for r in caplog.records if r.name == "ioc.request")
    assert "abc123" not in raw and "t-staff" not in raw and "thanh-hoa" not in raw


@pytest.mark.parametrize("query_timeout_ms, web_timeout, refuses", [("10000", "30", False), ("30000", "30", True),
                                                                    ("45000", "30", True), ("45000", "60", False)])
def test_gunicorn_config_keeps_the_statement_timeout_below_the_worker_timeout(query_timeout_ms, web_timeout,
                                                                               refuses, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    env = {**os.environ, "QUERY_TIMEOUT_MS": query_timeout_ms, "WEB_TIMEOUT": web_timeout,
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
                           "print(c['timeout'], c['workers'] >= 1, c['preload_app'], c['accesslog'])"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    if refuses:
        assert done.returncode != 0 and "must be below WEB_TIMEOUT" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [web_timeout, "True", "True", "None"]


@pytest.mark.parametrize("served_by", ["gunicorn.conf.py", "python app.py"])
def test_a_new_server_serves_the_renderer_to_requests_arriving_together(demo_urls, served_by):
    """Dash sets up on a process's first request without a lock; both ways of serving make that
    request themselves before taking any (serving/warmup.py), so a page's scripts asked for
    together all load."""
    import os
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.map_load import free_port, start_gunicorn, wait_for_port
    from tests.conftest import PROJECT_ROOT

    env = {**os.environ, "IOC_DATABASE_URL": demo_urls[0], "KPI_DATABASE_URL": demo_urls[1], "MAP_WARM_S": "0"}
    if served_by == "gunicorn.conf.py":
        # the port opens before the worker takes requests: the 8 below arrive together at a new worker
        server, base = start_gunicorn(PROJECT_ROOT, env, workers=1, threads=8, timeout=120)
    else:
        port = free_port()
        server = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env={**env, "HOST": "127.0.0.1", "PORT": str(port)})
        base = f"http://127.0.0.1:{port}"
        wait_for_port(port, timeout=120)

    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        script = f"{base}/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js"
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(status, [script] * 8)) == [200] * 8
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_apps_own_files_are_kept_by_the_address_dash_writes_and_revalidated_without_it(client_as):
    """The page names every asset with its modification time (`?m=`): such an address is kept a year
    without asking again; the same file asked for without it is still revalidated; a missing one is
    not kept."""
    import re

    client = client_as("staff")
    page = client.get("/services").get_data(as_text=True)
    address = re.search(r'/assets/app\.css\?m=[\d.]+', page).group(0)
    kept = client.get(address)
    assert kept.status_code == 200
    assert kept.cache_control.max_age == 365 * 24 * 3600 and kept.cache_control.immutable
    assert kept.cache_control.public and not kept.cache_control.no_cache
    bare = client.get("/assets/app.css")
    assert bare.cache_control.no_cache and bare.cache_control.max_age is None
    assert client.get("/assets/none.css?m=1").cache_control.max_age is None
