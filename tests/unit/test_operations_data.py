"""What the operations page reads: SLA rules, working-day deadlines, and the
aggregates checked against plain SQL over the demo database."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from data_access import operations as ops
from data_access.db import connect
from data_access.models import Camera, CitizenReport, Incident, Reading, Sensor, Ward
from domain import incidents
from domain.working_days import add_working_days, working_days_left

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # city time


@pytest.mark.parametrize("age, severity, state", [
    (1.0, "critical", "ok"), (3.0, "critical", "due_soon"), (4.0, "critical", "due_soon"),
    (4.01, "critical", "breached"), (17.9, "high", "ok"), (18.0, "high", "due_soon"), (200, "low", "breached"),
])
def test_sla_state(age, severity, state):
    assert incidents.sla_state(age, severity, {"critical": 4, "high": 24, "medium": 72, "low": 168}) == state


@pytest.mark.parametrize("raw, message", [
    ("critical=4,high=24,medium=72", "no hours for low"),
    ("critical=4,high=24,medium=72,low=x", "not a number"),
    ("critical=4,high=24,medium=72,low=-1", "positive"),
    ("urgent=1,critical=4,high=24,medium=72,low=1", "unknown severity"),
])
def test_sla_setting_is_validated(monkeypatch, raw, message):
    monkeypatch.setenv("OPS_SLA_HOURS", raw)
    with pytest.raises(ValueError, match=message):
        incidents.sla_hours()


@pytest.mark.parametrize("now, due, left", [
    (date(2026, 11, 20), date(2026, 11, 20), 0),
    (date(2026, 11, 20), date(2026, 11, 23), 1),        # Friday → Monday
    (date(2026, 11, 23), date(2026, 11, 20), -1),
    (date(2026, 2, 13), date(2026, 2, 23), 1),          # Tết 2026 (16–20 Feb) and a weekend in between
    (date(2026, 4, 24), date(2026, 5, 4), 3),           # 27, 28, 29 Apr and 4 May: 30/4 and 1/5 are off
    (datetime(2026, 11, 20, 16, 0), datetime(2026, 11, 20, 9, 0), 0),
])
def test_working_days_left_across_holidays(now, due, left):
    assert working_days_left(now, due) == left


def test_fifteen_working_days_deadline_round_trip_over_tet():
    received = datetime(2026, 2, 10, 9, 30)
    due = add_working_days(received, 15)
    assert working_days_left(received, due) == 15
    assert due.date() > date(2026, 3, 3)  # Tết pushes the deadline a week later than 21 calendar days


def _rows(query, params=None):
    with connect("ioc") as c:
        return c.execute(query, params or {}).all()


def test_open_incidents_and_report_summary_match_a_count_in_python(demo_db):
    incidents = ops.open_incidents.uncached("thanh-hoa")
    summary = ops.citizen_report_summary.uncached("thanh-hoa", NOW)
    open_ids = {r.id for r in _rows(select(Incident.id).where(Incident.city_slug == "thanh-hoa",
                                                              Incident.status != "resolved"))}
    reports = _rows(select(CitizenReport.received_at, CitizenReport.answered_at, CitizenReport.due_at)
                    .where(CitizenReport.city_slug == "thanh-hoa"))
    recent = [r for r in reports if NOW - timedelta(days=30) <= r.received_at <= NOW]
    assert set(incidents["id"]) == open_ids and len(open_ids) > 0
    assert summary["received"] == len(recent)
    assert summary["answered"] == sum(r.answered_at is not None for r in recent)
    assert summary["overdue"] == sum(r.answered_at is None and r.due_at < NOW for r in recent)
    assert summary["overdue_total"] == sum(r.answered_at is None and r.due_at < NOW for r in reports)
    assert summary["received"] == summary["answered"] + summary["open"] + summary["overdue"]


def test_camera_health_matches_a_count_in_python(demo_db):
    by_ward = ops.camera_online_by_ward.uncached("thanh-hoa")
    counts = ops.camera_status_counts.uncached("thanh-hoa")
    cameras = _rows(select(Camera.status, Camera.last_seen).where(Camera.city_slug == "thanh-hoa"))
    assert by_ward["total"].sum() == len(cameras) == counts["n"].sum()
    assert by_ward["online"].sum() == sum(c.status == "online" for c in cameras)
    assert list(by_ward["share"]) == sorted(by_ward["share"])
    longest = ops.cameras_offline_longest.uncached("thanh-hoa")
    silent = min(c.last_seen for c in cameras if c.status != "online" and c.last_seen is not None)
    assert longest["last_seen"].iloc[0] == silent
    uptime = ops.camera_uptime_by_day.uncached("thanh-hoa", NOW)
    assert len(uptime) == 7 and uptime["share"].between(50, 100).all()


def test_environment_means_cover_the_last_day_of_each_station(demo_db):
    readings, newest = ops.environment_latest.uncached("thanh-hoa")
    sensors = _rows(select(Sensor.id, Sensor.kind).where(Sensor.city_slug == "thanh-hoa"))
    values = [r.value for r in _rows(
        select(Reading.value).join(Sensor, Sensor.id == Reading.sensor_id)
        .where(Sensor.city_slug == "thanh-hoa", Reading.parameter == "pm25",
               Reading.measured_at > newest - timedelta(hours=24), Reading.measured_at <= newest))]
    assert readings["sensor_id"].nunique() == len(sensors)
    pm25 = readings[readings["parameter"] == "pm25"]
    assert (pm25["mean"] * pm25["n"]).sum() / pm25["n"].sum() == pytest.approx(sum(values) / len(values))


def test_live_state_changes_only_for_the_panel_whose_data_changed(private_demo):
    from data_access.db import get_engine

    before = ops.live_state.uncached("thanh-hoa")
    ward = _rows(select(Ward.gso_code).where(Ward.city_slug == "thanh-hoa").limit(1))[0].gso_code
    with get_engine("ioc", writable=True).begin() as c:
        c.execute(insert(Incident).values(city_slug="thanh-hoa", ward_code=ward, category="fire", severity="high",
                                          lon=105.8, lat=19.8, summary="x", reported_at=NOW, status="open"))
    after = ops.live_state.uncached("thanh-hoa")
    changed = {k for k in before.versions if before.versions[k] != after.versions[k]}
    assert changed == {"incidents"}
    assert after.newest_at >= before.newest_at
