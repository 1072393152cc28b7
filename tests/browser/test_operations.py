"""The operations page in a real browser: panels drawn from the database, a new incident
shown within one refresh, and a stale banner (with the last figures kept) when the
database goes away."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import sign_in, text_of

REFRESH_S = 2


@pytest.fixture
def private_db(private_demo, monkeypatch):
    """A copy of the demo databases this test may change, refreshed every 2 s."""
    monkeypatch.setenv("OPS_REFRESH_S", str(REFRESH_S))
    monkeypatch.setenv("TILE_URL", "")
    monkeypatch.setenv("DEFAULT_LANG", "vi")
    monkeypatch.setenv("DEFAULT_CITY", "thanh-hoa")
    return private_demo


def _publish_incident(summary: str) -> int:
    """Write an incident through the live feed's own validation and writer."""
    from data_access.db import get_engine
    from data_access.models import Ward
    from loaders.live_feed import IngestWriter, Registry

    engine = get_engine("ioc", writable=True)
    with engine.connect() as connection:
        ward = connection.execute(select(Ward.gso_code, Ward.centre_lon, Ward.centre_lat)
                                  .where(Ward.city_slug == "thanh-hoa").limit(1)).one()
    payload = {"event_id": "test-ops-1", "ward_code": ward.gso_code, "category": "fire", "severity": "critical",
               "lon": ward.centre_lon, "lat": ward.centre_lat, "summary": summary,
               "reported_at": datetime.now(timezone.utc).isoformat(), "status": "open"}
    writer = IngestWriter(engine, Registry.load(engine))
    assert writer.accept("ioc/thanh-hoa/incidents", json.dumps(payload).encode())
    writer.flush(writer._pending)
    return 1


def test_operations_page_live_updates_and_stale_banner(dash_duo, private_db, monkeypatch, tmp_path):
    from app import app
    from data_access import db
    from data_access.models import Sensor

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/operations")
    dash_duo.wait_for_contains_text("#ops-updated", "Cập nhật lúc", timeout=20)
    dash_duo.wait_for_contains_text(".ops-environment", "QCVN 05:2023/BTNMT", timeout=20)
    dash_duo.wait_for_contains_text(".ops-environment", "QCVN 08:2023/BTNMT", timeout=5)
    with db.get_engine("ioc").connect() as connection:
        stations = connection.execute(select(func.count()).where(Sensor.city_slug == "thanh-hoa")).scalar()
    assert len(dash_duo.find_elements(".ops-environment tbody tr")) == stations
    dash_duo.wait_for_contains_text(".ops-cameras", "Trực tuyến hiện tại", timeout=10)
    dash_duo.wait_for_contains_text(".ops-reports", "15 ngày làm việc", timeout=10)
    # Demo data end on 20 Nov 2026, days before today: each live feed says it is late.
    dash_duo.wait_for_contains_text(".stale-banner[data-feed='incidents']", "Sự cố: dữ liệu chậm", timeout=10)

    summary = "Cháy kho hàng thử nghiệm tại phường"
    _publish_incident(summary)
    dash_duo.wait_for_contains_text(".ops-incidents", summary, timeout=REFRESH_S * 3)
    dash_duo.wait_for_contains_text("#ops-events", "Sự cố mới", timeout=REFRESH_S * 3)
    assert not dash_duo.find_elements(".banner-error")
    # the incident feed is live again; the sensors, still silent, are still called late
    assert not dash_duo.find_elements(".stale-banner[data-feed='incidents']")
    assert dash_duo.find_elements(".stale-banner[data-feed='sensors']")

    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'gone' / 'ioc.db'}")
    db.reset_engines()
    dash_duo.wait_for_contains_text(".stale-banner", "Không đọc được cơ sở dữ liệu", timeout=REFRESH_S * 4)
    assert summary in text_of(dash_duo, ".ops-incidents")
    assert dash_duo.find_elements(".ops-environment tbody tr")
    dash_duo.driver.save_screenshot(str(tmp_path / "operations-db-down.png"))
    assert dash_duo.get_logs() == []
