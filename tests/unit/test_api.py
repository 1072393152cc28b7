"""GET /api/v1/kpi: values, and a clear JSON error for every bad request."""
from __future__ import annotations

import pytest


@pytest.fixture
def client(client_as):
    return client_as("staff")


def test_kpi_for_a_year(client):
    response = client.get("/api/v1/kpi?city=thanh-hoa&year=2022")
    assert response.status_code == 200
    body = response.get_json()
    assert body["period"] == "2022"
    assert body["kpis"]["camera.security_total"] == 18_000
    assert round(body["kpis"]["services.level3_on_time_rate"], 2) == 99.98
    assert body["sources"]["infra.fibre_km"].startswith("Báo Thanh Hóa")


def test_kpi_same_as_cli(client):
    import json

    from click.testing import CliRunner

    from manage import cli

    result = CliRunner().invoke(cli, ["kpi", "--city", "thanh-hoa", "--year", "2022", "--json"])
    assert result.exit_code == 0, result.output
    api = client.get("/api/v1/kpi?city=thanh-hoa&year=2022").get_json()["kpis"]
    assert json.loads(result.output) == api


@pytest.mark.parametrize("query, status, fragment", [
    ("city=nowhere&year=2022", 404, "unknown city"),
    ("city=thanh-hoa&year=20x2", 400, "year"),
    ("city=thanh-hoa&year=1500", 400, "outside"),
    ("city=thanh-hoa", 400, "exactly one"),
    ("year=2022", 400, "city"),
    ("city=thanh-hoa&period=2022-Q9", 400, "period"),
    ("city=thanh-hoa&year=2022&ward=99999", 404, "ward"),
    ("city=thanh-hoa&year=2022&ward=%27%20OR%201=1--", 404, "ward"),
])
def test_bad_requests_get_json_errors(client, query, status, fragment):
    response = client.get(f"/api/v1/kpi?{query}")
    assert response.status_code == status
    assert fragment in response.get_json()["error"]


def test_ward_values(client):
    body = client.get("/api/v1/kpi?city=thanh-hoa&period=2022-Q2&ward=14755").get_json()
    assert body["ward"] == "14755"
    assert body["kpis"]["docs.sent"] is None
    assert body["kpis"]["camera.security_total"] > 0


def test_missing_database_is_a_503(tmp_path):
    from app import server
    from tests.conftest import use_databases

    use_databases(f"sqlite:///{tmp_path / 'missing-ioc.db'}", f"sqlite:///{tmp_path / 'missing-kpi.db'}")
    response = server.test_client().get("/api/v1/public/kpi?city=thanh-hoa&year=2022")
    assert response.status_code == 503
    assert "does not exist" in response.get_json()["error"]
    assert not (tmp_path / "missing-ioc.db").exists(), "reading must not create an empty database"


def test_indicator_catalog(client):
    catalog = client.get("/api/v1/indicators").get_json()
    codes = {item["code"] for item in catalog}
    assert {"camera.security_total", "services.level3_on_time_rate", "infra.fibre_km"} <= codes
