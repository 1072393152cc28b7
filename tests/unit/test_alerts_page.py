"""/alerts and the header's count through the real app and request hook: a staff user sees and
acknowledges only the alerts of rules addressed to staff (or to them), whatever the browser sends;
visitors and the public role get nothing of it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import TEST_USERS, login
from tests.unit.test_language import routed_page

RULES = """name,kind,city,severity,parameter,station,recipients,message_vi,message_en
Bụi mịn cho cán bộ,sensor_threshold,thanh-hoa,high,pm25,{station},role:staff,{{label}}: PM2.5 {{value}},{{label}}: PM2.5 {{value}}
Bụi mịn cho lãnh đạo,sensor_threshold,thanh-hoa,critical,pm10,{station},role:leader,{{label}}: PM10 {{value}},{{label}}: PM10 {{value}}
"""


@pytest.fixture
def two_alerts(private_demo):
    """One open alert of a staff rule and one of a leader rule, on a copy of the demo."""
    from data_access.db import get_engine
    from data_access.models import Alert, Reading, Sensor
    from loaders.alerts import evaluate, import_rules

    engine = get_engine("ioc", writable=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with engine.begin() as connection:
        sensor = connection.execute(select(Sensor.id, Sensor.external_id).where(
            Sensor.city_slug == "thanh-hoa", Sensor.kind == "air", Sensor.retired_at.is_(None)).limit(1)).one()
        connection.execute(Reading.__table__.insert(), [
            {"sensor_id": sensor.id, "measured_at": now - timedelta(minutes=1), "parameter": "pm25", "value": 150.0},
            {"sensor_id": sensor.id, "measured_at": now - timedelta(minutes=1), "parameter": "pm10", "value": 300.0}])
    assert import_rules("rules.csv", RULES.format(station=sensor.external_id).encode(), actor="test").applied
    assert evaluate(now)["opened"] == 2
    with engine.connect() as connection:
        alerts = {row.severity: row.id for row in connection.execute(select(Alert.severity, Alert.id))}
    return alerts["high"], alerts["critical"]


def _client(role: str | None):
    from app import server

    client = server.test_client()
    if role:
        assert login(client, TEST_USERS[role]).status_code == 303
    return client


def _callback(output: str, values: dict, state: dict | None = None) -> dict:
    """A /_dash-update-component body for the app's callback with `output`, given input values by id."""
    from app import app

    app._setup_server()
    entry = next(entry for key, entry in app.callback_map.items() if output in key)
    def part(deps, given):
        return [{"id": d["id"], "property": d["property"], "value": given.get(d["id"])} for d in deps]
    key = next(key for key in app.callback_map if output in key)
    specs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in key.strip(".").split("...")]
    return {"output": key, "outputs": specs if key.startswith("..") else specs[0],
            "inputs": part(entry["inputs"], values), "state": part(entry.get("state", []), state or {}),
            "changedPropIds": [f"{k}.n_clicks" for k in values if k in ("alerts-ack", "alerts-snooze")]}


def _alerts_call(client, alert_id=None, click=None, note=""):
    from components import ids

    values = {ids.ALERTS_STATUS: ["open", "acknowledged"], ids.LANG_SELECT: "vi"}
    if click:
        values[click] = 1
    body = _callback("alerts-table.children", values,
                     {ids.ALERTS_PICK: alert_id, ids.ALERTS_NOTE: note, ids.ALERTS_SNOOZE_HOURS: 4})
    return client.post("/_dash-update-component", json=body)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_staff_sees_and_acknowledges_only_their_rules(two_alerts):
    from data_access.db import get_engine
    from data_access.models import Alert

    staff_alert, leader_alert = two_alerts
    staff = _client("staff")
    text = _text(_alerts_call(staff))
    assert "Bụi mịn cho cán bộ" in text and "Bụi mịn cho lãnh đạo" not in text
    # acknowledging the leader's alert by sending its id is refused on the server
    refused = _text(_alerts_call(staff, leader_alert, "alerts-ack", "thử"))
    assert "không thuộc quy tắc gửi cho bạn" in refused
    done = _text(_alerts_call(staff, staff_alert, "alerts-ack", "Đã cử tổ kiểm tra"))
    assert f"Đã xác nhận cảnh báo số {staff_alert}" in done
    with get_engine("ioc").connect() as connection:
        rows = dict(connection.execute(select(Alert.id, Alert.acknowledged_by)).all())
    assert rows == {staff_alert: TEST_USERS["staff"], leader_alert: None}
    leader_text = _text(_alerts_call(_client("leader")))
    assert "Bụi mịn cho lãnh đạo" in leader_text and "Bụi mịn cho cán bộ" not in leader_text


@pytest.mark.parametrize("role, shown", [(None, False), ("public", False), ("staff", True), ("admin", True)])
def test_header_count_only_for_dashboard_roles(two_alerts, role, shown):
    from components import ids

    client = _client(role)
    body = _callback("shell-alert-badge.children", {ids.URL: "/", ids.LANG_SELECT: "en"})
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    badge = response.get_json()["response"][ids.ALERT_BADGE]["children"]
    if not shown:
        assert badge is None
    else:
        assert badge["props"]["href"] == "/alerts"
        assert badge["props"]["children"] == ("2 open alerts" if role == "admin" else "1 open alerts")


@pytest.mark.parametrize("role", [None, "public"])
def test_alerts_page_and_its_callback_refused_to_visitors(two_alerts, role):
    client = _client(role)
    assert _alerts_call(client).status_code in (401, 403)
    page = client.get("/alerts")
    assert page.status_code in (302, 303, 401, 403)


# --- /alerts?alert=ID: the link a notification carries ------------------------------------------

def _find(node, component_id: str):
    """The props of the component with `component_id` in a layout's JSON, or None."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        for value in node.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, component_id)
            if found is not None:
                return found
    return None


def _page(client, path: str, search: str):
    """The page the router draws for `path` + `search`, as the signed-in client gets it."""
    return routed_page(client, path, search)


def test_a_link_chooses_and_marks_its_alert(two_alerts):
    from components import ids

    staff_alert, _leader_alert = two_alerts
    client = _client("staff")
    page = _page(client, "/alerts", f"?alert={staff_alert}")
    assert _find(page, ids.ALERTS_PICK)["value"] == staff_alert
    assert _find(page, ids.ALERTS_FOCUS)["data"] == staff_alert
    assert f"Cảnh báo số {staff_alert} được mở từ đường dẫn" in json.dumps(page, ensure_ascii=False)
    values = {ids.ALERTS_STATUS: ["open", "acknowledged"], ids.LANG_SELECT: "vi"}
    body = _callback("alerts-table.children", values, {ids.ALERTS_FOCUS: staff_alert})
    table = _text(client.post("/_dash-update-component", json=body))
    assert "alert-row alert-open alert-focus" in table and table.count("alert-focus") == 1


def test_a_link_to_a_closed_alert_shows_the_closed_ones(two_alerts):
    from sqlalchemy import update

    from components import ids
    from data_access.db import get_engine
    from data_access.models import Alert

    staff_alert, _leader_alert = two_alerts
    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(update(Alert).where(Alert.id == staff_alert).values(
            status="closed", open_key=None, closed_at=datetime.now(timezone.utc)))
    page = _page(_client("staff"), "/alerts", f"?alert={staff_alert}")
    assert _find(page, ids.ALERTS_STATUS)["value"] == ["open", "acknowledged", "closed"]
    assert _find(page, ids.ALERTS_PICK)["options"] == [{"label": f"{staff_alert} · Bụi mịn cho cán bộ",
                                                        "value": staff_alert}]


@pytest.mark.parametrize("value, says", [
    ("abc", "không phải số của một cảnh báo"),
    ("0", "không phải số của một cảnh báo"),
    ("-3", "không phải số của một cảnh báo"),
    ("²", "không phải số của một cảnh báo"),
    ("{id}", "không phải số của một cảnh báo"),
    ("99999", "không có cảnh báo số này"),
    ("LEADER", "không có cảnh báo số này"),  # exists, but its rule is not addressed to staff
])
def test_a_bad_or_foreign_link_is_a_notice_and_nothing_else(two_alerts, value, says):
    from urllib.parse import quote

    from components import ids

    _staff_alert, leader_alert = two_alerts
    value = str(leader_alert) if value == "LEADER" else value
    page = _page(_client("staff"), "/alerts", f"?alert={quote(value)}")
    notice = _find(page, ids.ALERTS_NOTICE)["children"]["props"]
    assert notice["className"] == "notice"
    assert notice["children"].startswith(f"Bỏ qua giá trị không hợp lệ trong địa chỉ: alert={value}: {says}")
    assert _find(page, ids.ALERTS_PICK)["value"] is None and _find(page, ids.ALERTS_FOCUS)["data"] is None
    assert _find(page, ids.ALERTS_STATUS)["value"] == ["open", "acknowledged"]
    assert "Bụi mịn cho lãnh đạo" not in json.dumps(page, ensure_ascii=False)


def test_a_crafted_focus_marks_nothing_it_may_not_see(two_alerts):
    from components import ids

    _staff_alert, leader_alert = two_alerts
    values = {ids.ALERTS_STATUS: ["open", "acknowledged", "closed"], ids.LANG_SELECT: "vi"}
    body = _callback("alerts-table.children", values, {ids.ALERTS_FOCUS: leader_alert})
    text = _text(_client("staff").post("/_dash-update-component", json=body))
    assert "alert-focus" not in text and "Bụi mịn cho lãnh đạo" not in text


# --- the wall's panel of open alerts ------------------------------------------------------------

def _wall_call(client, city: str = "thanh-hoa", lang: str = "vi", search: str = "?mode=wall", pathname: str = "/"):
    from app import app
    from components import ids

    app._setup_server()
    key = next(key for key in app.callback_map if f"{ids.WALL_BAR}.children" in key)
    entry = app.callback_map[key]
    # what the browser's gate hands the bar (components/shell.WALL_GATE_JS)
    given = {(ids.WALL_ASK, "data"): {"search": search, "pathname": pathname, "lang": lang, "city": city, "tick": 0}}
    specs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in key.strip(".").split("...")]
    body = {"output": key, "outputs": specs,
            "inputs": [{"id": d["id"], "property": d["property"], "value": given.get((d["id"], d["property"]))}
                       for d in entry["inputs"]], "state": [], "changedPropIds": []}
    return client.post("/_dash-update-component", json=body)


def test_the_wall_shows_the_open_alerts_each_role_may_see(two_alerts):
    from components import ids
    from data_access.db import get_engine
    from data_access.models import Alert
    from domain.formatting import format_datetime

    with get_engine("ioc").connect() as connection:
        opened = dict(connection.execute(select(Alert.id, Alert.opened_at)).all())
    staff_alert, leader_alert = two_alerts
    staff = _text(_wall_call(_client("staff")))
    assert "Cảnh báo đang mở: 1" in staff and f'"data-alert": "{staff_alert}"' in staff
    assert "▲ Cao" in staff and ": PM2.5 150" in staff
    assert f"từ {format_datetime(opened[staff_alert], 'vi')}" in staff  # city time, dd/mm/yyyy HH:MM
    assert "PM10" not in staff and f'"data-alert": "{leader_alert}"' not in staff
    leader = _text(_wall_call(_client("leader"), lang="en"))
    assert "Open alerts: 1" in leader and "✖ Critical" in leader and ": PM10 300" in leader
    assert f"since {format_datetime(opened[leader_alert], 'en')}" in leader
    admin = _wall_call(_client("admin")).get_json()["response"][ids.WALL_BAR]["children"]
    rows = _find(admin, ids.WALL_ALERTS)["children"]["props"]["children"]
    assert [row["props"]["data-alert"] for row in rows] == [str(leader_alert), str(staff_alert)]  # worst first


def test_the_wall_of_another_city_has_none_and_visitors_get_nothing(two_alerts):
    from components import ids

    other = _text(_wall_call(_client("staff"), city="nam-dinh"))
    assert "Không có cảnh báo đang mở" in other and "data-alert" not in other
    for role in (None, "public"):  # the shell's callback is public: it answers them with nothing
        assert _wall_call(_client(role)).get_json()["response"][ids.WALL_BAR]["children"] is None


@pytest.mark.parametrize("stale_after, stale", [("60", True), (str(10**9), False)])
def test_the_wall_says_when_its_alerts_may_be_out_of_date(two_alerts, monkeypatch, stale_after, stale):
    monkeypatch.setenv("OPS_STALE_AFTER_S", stale_after)
    text = _text(_wall_call(_client("staff")))
    assert ("Cảnh báo có thể đã cũ" in text) is stale
