"""The public kiosk (`/public`) shows aggregates only, and the server enforces it:
crafted anonymous requests to the Dash callback endpoint and to the APIs never
return security-camera positions, incident details or citizen-report contents."""
from __future__ import annotations

import json

import pytest

KIOSK_OUTPUT = "..public-body.children...public-panels.data.."


def _callbacks():
    from app import app

    app._setup_server()
    return {output: entry for output, entry in app.callback_map.items() if "callback" in entry}


def _body(output: str, entry: dict, pathname: str = "/public", city: str = "thanh-hoa", lang: str = "vi") -> dict:
    def value(dep):
        if dep["property"] == "pathname":
            return pathname
        if "city" in json.dumps(dep["id"]):
            return city
        if "lang" in json.dumps(dep["id"]):
            return lang
        return None

    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in output.strip(".").split("...")]
    return {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [{"id": d["id"], "property": d["property"], "value": value(d)} for d in entry["inputs"]],
            "state": [{"id": d["id"], "property": d["property"], "value": value(d)} for d in entry.get("state", [])],
            "changedPropIds": []}


@pytest.fixture(scope="module")
def sensitive(demo_urls):
    """Strings that must never reach an anonymous visitor: security-camera coordinates
    (5 decimals), incident summaries, citizen-report categories and channels."""
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect
    from tests.conftest import use_databases

    use_databases(*demo_urls)
    with connect("ioc") as connection:
        cameras = connection.execute(select(m.Camera.lon, m.Camera.lat).where(m.Camera.kind == "security")).all()
        incidents = connection.execute(select(m.Incident.summary).distinct()).scalars().all()
    strings = {f"{lon:.5f}" for lon, _ in cameras} | {f"{lat:.5f}" for _, lat in cameras}
    assert len(strings) > 1000 and len(incidents) > 10
    return {"coordinates": strings, "incidents": {s for s in incidents if len(s) >= 12}}


def _text(response) -> str:
    """The body with JSON unicode escapes undone, so Vietnamese text can be searched."""
    raw = response.get_data(as_text=True)
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


def _leaks(text: str, sensitive: dict) -> list[str]:
    found = [s for s in sensitive["coordinates"] if s in text]
    found += [s for s in sensitive["incidents"] if s in text]
    return found[:5]


def test_kiosk_page_opens_without_login(client_as):
    response = client_as(None).get("/public")
    assert response.status_code == 200


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_kiosk_callback_shows_aggregates_and_nothing_sensitive(client_as, sensitive, lang):
    callbacks = _callbacks()
    assert KIOSK_OUTPUT in callbacks
    response = client_as(None).post("/_dash-update-component", json=_body(KIOSK_OUTPUT, callbacks[KIOSK_OUTPUT],
                                                                          lang=lang))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    text = _text(response)
    assert ("Điểm wifi miễn phí" if lang == "vi" else "Free wifi") in text
    assert "CircleMarker" in text  # free-wifi locations are public by nature
    assert "services.on_time_rate" in text and "kiosk-target" in text and "PM2.5" in text
    assert _leaks(text, sensitive) == []
    for field in ("summary", "reported_at", "severity", "answered_at", "password", "username", "last_seen"):
        assert f'"{field}"' not in text


def test_kiosk_camera_counts_match_the_database(client_as, sensitive):
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect
    from data_access.public import CAMERA_WARD_COLUMNS, cameras_per_ward

    wards = cameras_per_ward("thanh-hoa")
    assert tuple(wards.columns) == CAMERA_WARD_COLUMNS
    with connect("ioc") as connection:
        expected = dict(connection.execute(select(m.Camera.kind, func.count()).where(m.Camera.city_slug == "thanh-hoa")
                                           .group_by(m.Camera.kind)).all())
    assert int(wards["security"].sum()) == expected["security"]
    assert int(wards["traffic"].sum()) == expected["traffic"]


def test_public_data_functions_return_only_whitelisted_columns(demo_db):
    from datetime import datetime

    from data_access import periods
    from data_access.public import (AIR_COLUMNS, PUBLIC_KPI_CODES, TARGET_FIELDS, WIFI_COLUMNS, air_quality,
                                    free_wifi_locations, public_kpis, public_targets)

    wifi = free_wifi_locations("thanh-hoa")
    assert tuple(wifi.columns) == WIFI_COLUMNS and len(wifi) > 0
    assert (wifi["lon"] == wifi["lon"].round(4)).all()
    wards, whole = air_quality("thanh-hoa")
    assert tuple(wards.columns) == AIR_COLUMNS and whole["stations"] >= len(wards) > 0
    assert set(public_kpis("thanh-hoa", periods.year(2022))) == set(PUBLIC_KPI_CODES)
    assert all(tuple(row) == TARGET_FIELDS for row in public_targets("thanh-hoa", datetime(2026, 11, 20)))


def test_air_quality_is_the_mean_of_the_last_day(demo_db):
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect
    from data_access.public import AIR_WINDOW, air_quality

    _wards, whole = air_quality("thanh-hoa")
    s, r = m.Sensor, m.Reading
    with connect("ioc") as connection:
        mean = connection.execute(select(func.avg(r.value)).join(s, s.id == r.sensor_id).where(
            s.city_slug == "thanh-hoa", s.kind == "air", r.parameter == "pm25",
            r.measured_at > whole["until"] - AIR_WINDOW, r.measured_at <= whole["until"])).scalar_one()
    assert whole["pm25"] == pytest.approx(mean)


def test_crafted_kiosk_requests_cannot_ask_for_more(client_as, sensitive):
    """Same callback, with outputs and inputs rewritten to ask for map layers and incident fields."""
    callbacks = _callbacks()
    client = client_as(None)
    body = _body(KIOSK_OUTPUT, callbacks[KIOSK_OUTPUT])
    crafted = [
        {**body, "outputs": [{"id": {"type": "map-point-layer", "layer": "security"}, "property": "data"},
                             {"id": "map-wards", "property": "data"}]},
        {**body, "inputs": body["inputs"] + [{"id": "map-layers", "property": "value",
                                              "value": ["security", "incidents"]}]},
        {**body, "inputs": [{"id": "shell-city-select", "property": "value", "value": "thanh-hoa' OR 1=1 --"},
                            {"id": "shell-lang-select", "property": "value", "value": "vi"}]},
        {**body, "inputs": [{"id": "shell-city-select", "property": "value", "value": {"layer": "security"}},
                            {"id": "shell-lang-select", "property": "value", "value": ["incidents"]}]},
        {**body, "state": [{"id": "map-status", "property": "value", "value": ["online"]}]},
    ]
    for request in crafted:
        response = client.post("/_dash-update-component", json=request)
        text = _text(response)
        assert response.status_code in (200, 204, 400, 500), response.status_code
        assert _leaks(text, sensitive) == []
        assert "Traceback" not in text


def test_every_other_callback_refuses_anonymous_visitors_on_the_kiosk(client_as, sensitive):
    """The map's layer and ward callbacks, the ward page, the KPI pages and the operations page
    (whatever is registered) answer 401 to an anonymous request sent from /public."""
    from security import policy

    callbacks = _callbacks()
    client = client_as(None)
    checked = 0
    for output, entry in callbacks.items():
        function = entry["callback"]
        while hasattr(function, "__wrapped__"):
            function = function.__wrapped__
        if getattr(function, "access_level", policy.DASHBOARD) == policy.PUBLIC or policy.PAGES_ROUTER_OUTPUT in output:
            continue
        response = client.post("/_dash-update-component", json=_body(output, entry))
        assert response.status_code == 401, (output, response.status_code)
        assert _leaks(_text(response), sensitive) == []
        checked += 1
    assert checked >= 10
    assert any("map-wards" in output for output in callbacks)


@pytest.mark.parametrize("path", ["/map", "/operations", "/ward/14755", "/services", "/wall", "/present"])
def test_page_router_refuses_protected_pages_from_the_kiosk(client_as, path):
    callbacks = _callbacks()
    router = next(o for o in callbacks if "_pages_content.children" in o)
    response = client_as(None).post("/_dash-update-component", json=_body(router, callbacks[router], pathname=path))
    assert response.status_code == 401


@pytest.mark.parametrize("path", [
    "/api/v1/map/thanh-hoa/security", "/api/v1/map/thanh-hoa/incidents", "/api/v1/map/thanh-hoa/traffic",
    "/api/v1/kpi?city=thanh-hoa&year=2022", "/api/v1/public/map/thanh-hoa/security",
    "/api/v1/public/../map/thanh-hoa/security",
])
def test_apis_with_positions_or_incidents_refuse_anonymous(client_as, sensitive, path):
    """Refused, or (an unknown path under the public prefix) only Dash's empty page shell."""
    response = client_as(None).get(path)
    if response.status_code == 200:
        assert response.mimetype == "text/html" and "_dash-app-content" not in response.get_data(as_text=True)
        assert '<div id="react-entry-point">' in response.get_data(as_text=True)
    else:
        assert response.status_code in (401, 404)
    assert _leaks(_text(response), sensitive) == []


def test_public_api_used_near_the_kiosk_returns_aggregates_only(client_as, sensitive):
    for query in ("city=thanh-hoa&year=2022", "city=thanh-hoa&year=2022&ward=14755",
                  "city=thanh-hoa&year=2022&fields=lon,lat,summary&layer=security"):
        response = client_as(None).get(f"/api/v1/public/kpi?{query}")
        assert response.status_code == 200
        text = _text(response)
        assert _leaks(text, sensitive) == []
        assert '"lon"' not in text and '"summary"' not in text
