"""Alerts in a real browser: a reading over its QCVN limit, written through the live feed's writer,
and one `manage.py alerts run` show a count in the header and the alert on /alerts."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner
from sqlalchemy import select

from tests.browser.conftest import sign_in, text_of

RULES = """name,kind,city,severity,parameter,recipients,message_vi,message_en
PM2.5 vượt QCVN,sensor_threshold,thanh-hoa,high,pm25,role:staff,{label}: PM2.5 {value} µg/m³ vượt {level},{label}: PM2.5 {value} µg/m³ over {level}
"""


def _publish_reading(value: float) -> str:
    """One air reading through the live feed's validation and writer; the station's name."""
    from data_access.db import get_engine
    from data_access.models import Sensor
    from loaders.live_feed import IngestWriter, Registry

    engine = get_engine("ioc", writable=True)
    with engine.connect() as connection:
        station = connection.execute(select(Sensor.external_id, Sensor.name).where(
            Sensor.city_slug == "thanh-hoa", Sensor.kind == "air", Sensor.retired_at.is_(None)).limit(1)).one()
    payload = {"measured_at": datetime.now(timezone.utc).isoformat(), "values": {"pm25": value, "pm10": 40.0}}
    writer = IngestWriter(engine, Registry.load(engine))
    assert writer.accept(f"ioc/thanh-hoa/sensors/{station.external_id}/reading", json.dumps(payload).encode())
    assert writer.flush(writer._pending)["reading"] == 1
    return station.name


def test_reading_over_the_limit_reaches_the_header_and_the_page(dash_duo, private_demo, offline_tiles, tmp_path):
    from app import app
    from manage import cli

    rules = tmp_path / "quy-tac.csv"
    rules.write_text(RULES, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["alert-rules", "import", str(rules)]).exit_code == 0
    station = _publish_reading(180.0)
    result = runner.invoke(cli, ["alerts", "run"])
    assert result.exit_code == 0 and "opened=1" in result.output, result.output

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/", role="staff")
    dash_duo.wait_for_contains_text("#shell-alert-badge", "1 cảnh báo chưa xử lý", timeout=20)
    dash_duo.find_element("#shell-alert-badge a").click()
    dash_duo.wait_for_contains_text("#alerts-table", "PM2.5 vượt QCVN", timeout=20)
    assert f"{station}: PM2.5 180 µg/m³ vượt 50" in dash_duo.find_element("#alerts-table").text
    assert "Đang mở" in dash_duo.find_element("#alerts-table").text
    assert dash_duo.get_logs() == []


def test_an_alert_reaches_its_link_the_wall_and_the_kiosk(dash_duo, private_demo, offline_tiles, tmp_path,
                                                          monkeypatch):
    """The same open alert: chosen and marked by its link (a bad link is a notice), on the wall
    beneath the strip, and on /public as an air-quality warning when PUBLIC_AIR_ALERTS is on."""
    from app import app
    from data_access.db import get_engine
    from data_access.models import Alert
    from manage import cli

    monkeypatch.setenv("PUBLIC_AIR_ALERTS", "1")
    rules = tmp_path / "quy-tac.csv"
    rules.write_text(RULES, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["alert-rules", "import", str(rules)]).exit_code == 0
    station = _publish_reading(180.0)
    assert "opened=1" in runner.invoke(cli, ["alerts", "run"]).output
    with get_engine("ioc").connect() as connection:
        alert_id = connection.execute(select(Alert.id)).scalar_one()

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, f"/alerts?alert={alert_id}", role="staff")
    dash_duo.wait_for_element(f"#alerts-table tr.alert-focus[data-alert='{alert_id}']", timeout=20)
    assert str(alert_id) in dash_duo.find_element("#alerts-pick").text
    dash_duo.driver.get(f"{dash_duo.server.url}/alerts?alert=abc")
    dash_duo.wait_for_contains_text("#alerts-notice", "alert=abc", timeout=20)
    assert dash_duo.find_elements("#alerts-table tr.alert-focus") == []

    dash_duo.driver.get(f"{dash_duo.server.url}/?year=2022&mode=wall")
    dash_duo.wait_for_contains_text("#wall-alerts", f"{station}: PM2.5 180 µg/m³ vượt 50", timeout=20)
    assert "Cao" in text_of(dash_duo, "#wall-alerts .wall-alert-severity")
    assert "Cảnh báo đang mở: 1" in text_of(dash_duo, ".wall-alert-count")

    dash_duo.driver.get(f"{dash_duo.server.url}/public")
    dash_duo.wait_for_contains_text("#public-alerts", "PM2.5 180", timeout=20)
    assert station in text_of(dash_duo, "#public-alerts")
    assert dash_duo.get_logs() == []
