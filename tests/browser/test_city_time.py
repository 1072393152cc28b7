"""What a leader sees is the city's time and the city's freshness, with the server and the
browser both in UTC (as servers and containers are): the wall and kiosk clocks and
"Cập nhật lúc" show Thanh Hóa time; `/wall` without parameters rotates through its
default playlist; a reading ingested now clears the stale banner of the sensor feed."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.browser.conftest import sign_in, text_of

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
REFRESH_S = 2


@pytest.fixture
def utc_everywhere(private_demo, monkeypatch):
    """Server process in UTC; the browser is put in UTC too (below, through DevTools)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("OPS_REFRESH_S", str(REFRESH_S))
    monkeypatch.setenv("TILE_URL", "")
    monkeypatch.setenv("DEFAULT_LANG", "vi")
    monkeypatch.setenv("DEFAULT_CITY", "thanh-hoa")
    yield
    monkeypatch.undo()
    time.tzset()


def _browser_in_utc(dash_duo) -> None:
    dash_duo.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})
    assert dash_duo.driver.execute_script("return new Date().getTimezoneOffset();") == 0


def _minutes_from_city_now(text: str) -> float:
    """How far an HH:MM(:SS) text is from the city's time now, in minutes (across midnight too)."""
    now = datetime.now(timezone.utc).astimezone(HCM)
    parts = [int(p) for p in text.strip().split(":")]
    shown = now.replace(hour=parts[0], minute=parts[1], second=parts[2] if len(parts) > 2 else 0)
    gap = abs((shown - now).total_seconds()) / 60
    return min(gap, 24 * 60 - gap)


def test_clocks_and_updated_time_are_city_time_with_server_and_browser_in_utc(dash_duo, utc_everywhere):
    from app import app

    dash_duo.start_server(app, navigate=False)
    _browser_in_utc(dash_duo)
    sign_in(dash_duo, "/operations?mode=wall", role="leader")
    dash_duo.wait_for_contains_text("#ops-updated", "Cập nhật lúc", timeout=20)
    time.sleep(1.2)  # the browser has ticked the clock at least once
    clock = text_of(dash_duo, ".wall-clock")
    assert _minutes_from_city_now(clock) < 1, clock
    updated = text_of(dash_duo, "#ops-updated").rsplit(" ", 1)[-1]
    assert _minutes_from_city_now(updated) < 1, updated
    dash_duo.driver.get(f"{dash_duo.server.url}/public")
    dash_duo.wait_for_element(".kiosk-clock", timeout=20)
    time.sleep(1.2)
    assert _minutes_from_city_now(text_of(dash_duo, ".kiosk-clock")) < 1
    assert dash_duo.get_logs() == []


def test_wall_without_parameters_rotates_through_its_default_playlist(dash_duo, utc_everywhere, monkeypatch):
    from app import app

    monkeypatch.setenv("WALL_VIEWS", "overview,targets")
    monkeypatch.setenv("WALL_EVERY_S", "5")
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/wall", role="leader")
    deadline = time.time() + 2 * 5 + 10  # two periods, plus the first view's load
    seen = []
    while time.time() < deadline and "/targets" not in seen:
        path = dash_duo.driver.execute_script("return window.location.pathname;")
        if not seen or seen[-1] != path:
            seen.append(path)
        time.sleep(0.2)
    assert seen[-2:] == ["/", "/targets"], seen
    assert "views=overview%2Ctargets" in dash_duo.driver.current_url or "views=overview,targets" in \
        dash_duo.driver.current_url
    dash_duo.wait_for_text_to_equal(".wall-position", "2/2", timeout=10)
    assert dash_duo.get_logs() == []


def _ingest_reading_now() -> None:
    from data_access.db import get_engine
    from data_access.models import Sensor
    from loaders.live_feed import IngestWriter, Registry

    engine = get_engine("ioc", writable=True)
    with engine.connect() as connection:
        sensor = connection.execute(select(Sensor.id).where(Sensor.city_slug == "thanh-hoa",
                                                            Sensor.kind == "air").limit(1)).scalar_one()
    writer = IngestWriter(engine, Registry.load(engine))
    stamp = (datetime.now(timezone.utc) - timedelta(seconds=5)).astimezone(HCM).isoformat()
    assert writer.accept(f"ioc/thanh-hoa/sensors/{sensor}/reading",
                         json.dumps({"measured_at": stamp, "values": {"pm25": 31.5, "pm10": 48.0}}).encode())
    writer.flush(writer._pending)


def test_a_reading_ingested_now_clears_the_sensor_feed_banner_only(dash_duo, utc_everywhere):
    from app import app

    dash_duo.start_server(app, navigate=False)
    _browser_in_utc(dash_duo)
    sign_in(dash_duo, "/operations", role="leader")
    dash_duo.wait_for_contains_text(".stale-banner[data-feed='sensors']", "Trạm quan trắc: dữ liệu chậm", timeout=20)
    assert dash_duo.find_elements(".stale-banner[data-feed='incidents']")
    _ingest_reading_now()
    deadline = time.time() + REFRESH_S * 5
    while time.time() < deadline and dash_duo.find_elements(".stale-banner[data-feed='sensors']"):
        time.sleep(0.3)
    assert not dash_duo.find_elements(".stale-banner[data-feed='sensors']")
    assert dash_duo.find_elements(".stale-banner[data-feed='incidents']")  # still silent, still late
    assert dash_duo.get_logs() == []
