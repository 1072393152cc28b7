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


@pytest.mark.parametrize("year", [2022, 2025])
def test_kiosk_camera_counts_match_the_database(client_as, sensitive, year):
    """Cameras in place at the end of the period, per ward, add up to the table's count."""
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect
    from data_access.public import CAMERA_WARD_COLUMNS, cameras_per_ward
    from domain import periods

    period = periods.year(year)
    wards = cameras_per_ward("thanh-hoa", period)
    assert tuple(wards.columns) == CAMERA_WARD_COLUMNS and len(wards) == 49
    c = m.Camera
    with connect("ioc") as connection:
        expected = dict(connection.execute(select(c.kind, func.count()).where(
            c.city_slug == "thanh-hoa", c.installed_on < period.end).group_by(c.kind)).all())
    assert int(wards["security"].sum()) == expected["security"]
    assert int(wards["traffic"].sum()) == expected["traffic"]


def test_public_data_functions_return_only_whitelisted_columns(demo_db):
    from data_access.public import (
        AIR_COLUMNS,
        PUBLIC_KPI_CODES,
        TARGET_FIELDS,
        WIFI_COLUMNS,
        air_quality,
        free_wifi_locations,
        public_kpis,
        public_targets,
    )
    from domain import periods

    period = periods.year(2025)
    wifi = free_wifi_locations("thanh-hoa", period)
    assert tuple(wifi.columns) == WIFI_COLUMNS and len(wifi) > 0
    assert (wifi["lon"] == wifi["lon"].round(4)).all()
    wards, whole = air_quality("thanh-hoa", period)
    assert tuple(wards.columns) == AIR_COLUMNS and whole["stations"] >= len(wards) > 0
    assert set(public_kpis("thanh-hoa", periods.year(2022))) == set(PUBLIC_KPI_CODES)
    assert all(tuple(row) == TARGET_FIELDS for row in public_targets("thanh-hoa", period))


@pytest.mark.parametrize("year", [2022, 2025])
def test_air_quality_is_the_mean_of_the_period(demo_db, year):
    """The city's PM2.5 on the kiosk is the mean of the period's readings: the KPI engine's env.pm25_mean."""
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect
    from data_access.kpi import compute_kpis
    from data_access.public import air_quality
    from domain import periods

    period = periods.year(year)
    _wards, whole = air_quality("thanh-hoa", period)
    s, r = m.Sensor, m.Reading
    with connect("ioc") as connection:
        mean = connection.execute(select(func.avg(r.value)).join(s, s.id == r.sensor_id).where(
            s.city_slug == "thanh-hoa", s.kind == "air", r.parameter == "pm10",
            r.measured_at >= period.start_dt, r.measured_at < period.end_dt)).scalar_one()
    assert whole["pm10"] == pytest.approx(mean)
    assert whole["pm25"] == pytest.approx(compute_kpis("thanh-hoa", period)["env.pm25_mean"])


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


# --- air-quality warnings (PUBLIC_AIR_ALERTS) ---------------------------------------------------

ALERTS_OUTPUT = "public-alerts.children"
ALERT_RULES = """name,kind,city,severity,parameter,station,min_cameras,within_minutes,recipients,message_vi,message_en
Bụi mịn nội bộ,sensor_threshold,thanh-hoa,high,pm25,{station},,,role:staff > email:truc.ban@thanhhoa.gov.vn,Nội bộ {{label}},Internal {{label}}
Camera mất kết nối nội bộ,camera_outage_cluster,thanh-hoa,high,,,3,60,role:staff,Camera {{ward}},Cameras {{ward}}
Sự cố quá hạn nội bộ,incident_sla,thanh-hoa,critical,,,,,role:leader,Sự cố {{label}},Incident {{label}}
"""


@pytest.fixture
def mixed_alerts(private_demo):
    """On a copy of the demo: an acknowledged PM2.5 alert (with a note), a camera-outage alert
    carrying a camera's position in its detail, an incident alert carrying the incident's summary;
    what the public must never read is returned."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select

    from data_access.db import get_engine
    from data_access.models import Alert, AlertRule, Camera, Incident, Reading, Sensor, Ward
    from loaders.alerts import acknowledge, evaluate, import_rules
    from tests.conftest import TEST_USERS

    engine = get_engine("ioc", writable=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with engine.begin() as connection:
        sensor = connection.execute(select(Sensor.id, Sensor.external_id, Sensor.name, Ward.name.label("ward"))
                                    .join(Ward, Ward.gso_code == Sensor.ward_code).where(
            Sensor.city_slug == "thanh-hoa", Sensor.kind == "air", Sensor.retired_at.is_(None)).limit(1)).one()
        connection.execute(Reading.__table__.insert(), [
            {"sensor_id": sensor.id, "measured_at": now - timedelta(minutes=1), "parameter": "pm25", "value": 150.0}])
        camera = connection.execute(select(Camera.id, Camera.ward_code, Camera.lon, Camera.lat)
                                    .where(Camera.kind == "security").limit(1)).one()
        incident = connection.execute(select(Incident.id, Incident.summary, Incident.ward_code)
                                      .where(func.length(Incident.summary) >= 12).limit(1)).one()
    assert import_rules("rules.csv", ALERT_RULES.format(station=sensor.external_id).encode(), actor="test").applied
    assert evaluate(now, only=lambda spec: spec.kind == "sensor_threshold")["opened"] == 1
    with engine.begin() as connection:
        rules = dict(connection.execute(select(AlertRule.name, AlertRule.id)).all())
        position = {"ward": camera.ward_code, "count": 4, "lon": camera.lon, "lat": camera.lat,
                    "label": f"{camera.lon:.5f},{camera.lat:.5f}"}
        for rule, subject, detail in (
                ("Camera mất kết nối nội bộ", f"ward:{camera.ward_code}", position),
                ("Sự cố quá hạn nội bộ", f"incident:{incident.id}", {"ward": incident.ward_code,
                                                                    "label": incident.summary})):
            connection.execute(Alert.__table__.insert().values(
                rule_id=rules[rule], subject=subject, open_key=f"{rules[rule]}:{subject}", status="open",
                severity="high", value=4.0, baseline=None, detail=json.dumps(detail, ensure_ascii=False),
                opened_at=now, last_breach_at=now, clear_streak=0, escalation_level=0, ack_note=""))
        air_alert = connection.execute(select(Alert.id).where(Alert.subject.like("sensor:%"))).scalar_one()
    note = "Đã cử tổ kiểm tra môi trường"
    acknowledge(air_alert, username=TEST_USERS["staff"], role="staff", note=note)
    return {"station": sensor.name, "ward": sensor.ward,
            "never": [note, TEST_USERS["staff"], "truc.ban@thanhhoa.gov.vn", "role:staff", "Bụi mịn nội bộ",
                      "Nội bộ", "nội bộ", incident.summary, f"{camera.lon:.5f}", f"{camera.lat:.5f}",
                      "acknowledged", "recipients", "ack_note", '"subject"', '"detail"']}


def _public_alerts(lang: str = "vi"):
    from app import server

    client = server.test_client()
    assert client.get("/public").status_code == 200  # the app is set up by its first request
    callbacks = _callbacks()
    assert ALERTS_OUTPUT in callbacks
    response = client.post("/_dash-update-component", json=_body(ALERTS_OUTPUT, callbacks[ALERTS_OUTPUT], lang=lang))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def test_public_air_alerts_are_off_by_default(mixed_alerts, monkeypatch):
    monkeypatch.delenv("PUBLIC_AIR_ALERTS", raising=False)
    assert _public_alerts().get_json()["response"]["public-alerts"]["children"] is None


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_public_air_alerts_carry_only_public_fields(mixed_alerts, monkeypatch, lang):
    monkeypatch.setenv("PUBLIC_AIR_ALERTS", "1")
    text = _text(_public_alerts(lang))
    assert ("Cảnh báo chất lượng không khí" if lang == "vi" else "Air quality warnings") in text
    assert mixed_alerts["station"] in text and mixed_alerts["ward"] in text
    assert "PM2.5 150" in text and "QCVN 05:2023/BTNMT" in text and "50" in text
    assert text.count("kiosk-alert\"") == 1  # the camera-outage and incident alerts never appear
    assert [word for word in mixed_alerts["never"] if word in text] == []


def test_public_alert_query_selects_public_columns_only(mixed_alerts):
    from data_access.public import AIR_ALERT_FIELDS, air_alerts

    alerts = air_alerts("thanh-hoa")
    assert [tuple(alert) for alert in alerts] == [AIR_ALERT_FIELDS]
    alert = alerts[0]
    assert (alert["station"], alert["ward"], alert["parameter"], alert["value"], alert["limit"]) == \
        (mixed_alerts["station"], mixed_alerts["ward"], "pm25", 150.0, 50.0)
    assert air_alerts("nam-dinh") == []


def test_public_air_alerts_close_with_their_alert(mixed_alerts, monkeypatch):
    from sqlalchemy import update

    from data_access import cache
    from data_access.db import get_engine
    from data_access.models import Alert

    monkeypatch.setenv("PUBLIC_AIR_ALERTS", "1")
    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(update(Alert).where(Alert.subject.like("sensor:%")).values(
            status="closed", open_key=None, closed_at=Alert.opened_at))
    cache.clear()
    assert _public_alerts().get_json()["response"]["public-alerts"]["children"] is None
