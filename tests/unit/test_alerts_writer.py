"""The alert writer (loaders/alerts.py) on a small IOC database of its own: rule files all or
nothing, one open alert per rule and subject, hysteresis before closing, escalation and snooze on
an injected clock, acknowledgement by the right people only, the live feed's batch hook, and the
outbox delivering through a real SMTP sink and webhook receiver exactly once after failures."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
RULES_CSV = """name,kind,city,severity,parameter,station,min_cameras,within_minutes,recipients,escalate_after_min,message_vi,message_en,enabled
PM2.5 cao,sensor_threshold,thanh-hoa,high,pm25,,,,role:staff > role:leader,15,{label}: PM2.5 {value} vượt {level},{label}: PM2.5 {value} over {level},yes
Camera mất kết nối,camera_outage_cluster,thanh-hoa,medium,,,3,10,role:leader,,Phường {ward}: {count} camera mất kết nối,Ward {ward}: {count} cameras offline,yes
"""


@pytest.fixture
def alert_db(tmp_path, monkeypatch):
    """An IOC database with one city, two wards, two air stations and four cameras."""
    from data_access import cache, db
    from data_access.models import Camera, City, Sensor, Ward

    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'ioc.db'}")
    monkeypatch.setenv("KPI_DATABASE_URL", f"sqlite:///{tmp_path / 'kpi.db'}")
    for name in ("ALERT_SMTP_URL", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    db.reset_engines()
    cache.clear()
    db.init_db("ioc")
    engine = db.get_engine("ioc", writable=True)
    with engine.begin() as connection:
        connection.execute(City.__table__.insert().values(
            slug="thanh-hoa", gso_code="380", name_vi="Thanh Hóa", name_en="Thanh Hoa", province_name="Thanh Hóa",
            centre_lon=105.78, centre_lat=19.80, area_km2=150.0, outline_geojson="{}", updated_at=T0))
        for code, lon in (("14755", 105.77), ("14758", 105.79)):
            connection.execute(Ward.__table__.insert().values(
                gso_code=code, city_slug="thanh-hoa", name=f"Phường {code}", type="Phường", geometry_geojson="{}",
                area_km2=2.0, centre_lon=lon, centre_lat=19.80))
        for sensor_id in ("s1", "s2"):
            connection.execute(Sensor.__table__.insert().values(
                id=sensor_id, city_slug="thanh-hoa", external_id=f"KK-{sensor_id}", ward_code="14755", kind="air",
                name=f"Trạm {sensor_id}", lon=105.77, lat=19.80, installed_on=date(2020, 1, 1)))
        for number in range(1, 5):
            connection.execute(Camera.__table__.insert().values(
                id=f"c{number}", city_slug="thanh-hoa", external_id=f"CAM-{number}", kind="security",
                ward_code="14755", lon=105.77, lat=19.80, status="online", installed_on=date(2020, 1, 1), owner="city"))
    yield engine
    db.reset_engines()
    cache.clear()


def _import(text: str = RULES_CSV, name: str = "rules.csv"):
    from loaders.alerts import import_rules

    return import_rules(name, text.encode(), actor="test")


def _reading(engine, sensor: str, at: datetime, value: float, parameter: str = "pm25") -> None:
    from data_access.models import Reading

    with engine.begin() as connection:
        connection.execute(Reading.__table__.insert().values(sensor_id=sensor, measured_at=at, parameter=parameter,
                                                             value=value))


def _alerts(engine) -> list:
    from data_access.models import Alert

    with engine.connect() as connection:
        return connection.execute(select(Alert).order_by(Alert.id)).all()


def _outbox(engine, **where) -> list:
    from data_access.models import AlertOutbox

    with engine.connect() as connection:
        query = select(AlertOutbox).order_by(AlertOutbox.id)
        for column, value in where.items():
            query = query.where(getattr(AlertOutbox, column) == value)
        return connection.execute(query).all()


# --- rule files ---------------------------------------------------------------------------------------

def test_rule_file_all_or_nothing_and_round_trip(alert_db):
    from loaders.alerts import export_rules

    bad = RULES_CSV + "Sai,sensor_threshold,ha-noi,urgent,co2,,,,role:mayor,,x,x,yes\n"
    report = _import(bad)
    assert not report.applied
    reasons = [(e.row, e.reason.split(":")[0]) for e in report.errors]
    assert {(4, "city"), (4, "severity"), (4, "parameter")} <= set(reasons)
    assert export_rules("csv").count("\n") == 1      # the header only: nothing written

    report = _import()
    assert report.applied and (report.inserted, report.updated) == (2, 0)
    exported = export_rules("json")
    again = _import(exported, "rules.json")
    assert again.applied and (again.inserted, again.updated) == (0, 2)
    assert export_rules("json") == exported


def test_cli_import_export(alert_db, tmp_path):
    from manage import cli

    good, bad = tmp_path / "rules.csv", tmp_path / "bad.json"
    good.write_text(RULES_CSV, encoding="utf-8")
    bad.write_text(json.dumps([{"name": "x", "kind": "anomaly", "city": "thanh-hoa"}]), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["alert-rules", "import", str(bad)])
    assert result.exit_code != 0 and "row 1: parameter" in result.output and "nothing was written" in result.output
    result = runner.invoke(cli, ["alert-rules", "import", str(good)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["alert-rules", "export", "--format", "csv"])
    assert result.exit_code == 0 and "PM2.5 cao,sensor_threshold" in result.output


# --- evaluation ---------------------------------------------------------------------------------------

def test_one_alert_per_rule_and_subject_then_closed_after_hysteresis(alert_db):
    from loaders.alerts import evaluate

    _import()
    _reading(alert_db, "s1", T0, 80.0)
    assert evaluate(T0)["opened"] == 1
    for minutes in (1, 2, 3):  # a sustained breach: the same alert, updated, no new notifications
        _reading(alert_db, "s1", T0 + timedelta(minutes=minutes), 90.0 + minutes)
        assert evaluate(T0 + timedelta(minutes=minutes, seconds=5))["opened"] == 0
    [alert] = _alerts(alert_db)
    assert (alert.status, alert.value, alert.subject) == ("open", 93.0, "sensor:s1:pm25")
    assert [row.recipient for row in _outbox(alert_db)] == ["role:staff"]
    _reading(alert_db, "s1", T0 + timedelta(minutes=10), 47.0)      # in the band: stays open
    _reading(alert_db, "s1", T0 + timedelta(minutes=20), 30.0)
    evaluate(T0 + timedelta(minutes=10, seconds=5))
    assert evaluate(T0 + timedelta(minutes=20, seconds=5))["closed"] == 0   # first clear reading
    _reading(alert_db, "s1", T0 + timedelta(minutes=30), 31.0)
    assert evaluate(T0 + timedelta(minutes=30, seconds=5))["closed"] == 1
    [alert] = _alerts(alert_db)
    assert alert.status == "closed" and alert.open_key is None
    assert [row.event for row in _outbox(alert_db)] == ["opened", "closed"]
    _reading(alert_db, "s1", T0 + timedelta(minutes=40), 70.0)   # a new breach is a new alert
    assert evaluate(T0 + timedelta(minutes=40, seconds=5))["opened"] == 1


def test_camera_outage_cluster(alert_db):
    from data_access.models import Camera, CameraStatusSample
    from loaders.alerts import evaluate

    _import()
    with alert_db.begin() as connection:
        for number in (1, 2, 3):
            connection.execute(Camera.__table__.update().where(Camera.id == f"c{number}").values(status="offline"))
            connection.execute(CameraStatusSample.__table__.insert().values(
                camera_id=f"c{number}", sampled_at=T0 - timedelta(minutes=number), status="offline"))
    counts = evaluate(T0)
    assert counts["opened"] == 1
    alert = next(a for a in _alerts(alert_db) if a.subject == "ward:14755")
    assert json.loads(alert.detail)["count"] == 3
    assert evaluate(T0 + timedelta(minutes=30))["opened"] == 0    # still offline: the same alert
    with alert_db.begin() as connection:
        connection.execute(Camera.__table__.update().values(status="online"))
    evaluate(T0 + timedelta(minutes=31))
    assert evaluate(T0 + timedelta(minutes=32))["closed"] == 1


def test_incident_sla_and_anomaly(alert_db):
    from data_access.models import Incident
    from loaders.alerts import evaluate

    rules_csv = ("name,kind,city,severity,parameter,category,z,recipients,message_vi,message_en\n"
                 "Sự cố quá hạn,incident_sla,thanh-hoa,high,,,,role:staff,{label} quá {level} giờ,{label} past {level} h\n"
                 "Bất thường PM2.5,anomaly,thanh-hoa,medium,pm25,,3.5,role:staff,"
                 "{label}: {value} (nền {baseline}),{label}: {value} (baseline {baseline})\n")
    assert _import(rules_csv).applied
    with alert_db.begin() as connection:
        connection.execute(Incident.__table__.insert().values(
            id=7, city_slug="thanh-hoa", ward_code="14755", category="fire", severity="critical", lon=105.77,
            lat=19.8, summary="Cháy kho", reported_at=T0 - timedelta(hours=5), status="open"))
    for week, value in enumerate((30.0, 32.0, 29.0, 31.0), start=1):
        _reading(alert_db, "s2", T0 - timedelta(weeks=week) + timedelta(minutes=10), value)
    _reading(alert_db, "s2", T0, 85.0)
    assert evaluate(T0)["opened"] == 2
    by_subject = {a.subject: a for a in _alerts(alert_db)}
    assert by_subject["sensor:s2:pm25"].baseline == 30.5
    assert by_subject["incident:7"].value == pytest.approx(5.0)
    with alert_db.begin() as connection:
        connection.execute(Incident.__table__.update().values(status="resolved", resolved_at=T0))
    assert evaluate(T0 + timedelta(minutes=1))["closed"] == 1   # SLA rules clear at once (clear_after 1)


def test_streaming_hook_opens_alerts_and_never_costs_readings(alert_db):
    from data_access.models import Reading
    from loaders.alerts import AlertStream
    from loaders.live_feed import IngestWriter, Registry

    _import()
    stream = AlertStream(alert_db)
    stream.reload()
    writer = IngestWriter(alert_db, Registry.load(alert_db), after_batch=stream)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for value, sensor in ((120.0, "KK-s1"), (20.0, "KK-s2")):
        payload = {"measured_at": now.isoformat(), "values": {"pm25": value, "pm10": 40.0}}
        assert writer.accept(f"ioc/thanh-hoa/sensors/{sensor}/reading", json.dumps(payload).encode())
    writer.flush(writer._pending)
    stream.drain()
    assert [(a.subject, a.value) for a in _alerts(alert_db)] == [("sensor:s1:pm25", 120.0)]

    def broken(_batch):
        raise RuntimeError("alert evaluation exploded")
    writer = IngestWriter(alert_db, Registry.load(alert_db), after_batch=broken)
    payload = {"measured_at": (now + timedelta(seconds=1)).isoformat(), "values": {"pm25": 500.0, "pm10": 40.0}}
    writer.accept("ioc/thanh-hoa/sensors/KK-s1/reading", json.dumps(payload).encode())
    assert writer.flush(writer._pending)["reading"] == 1
    with alert_db.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Reading)).scalar() == 6
    stream.stop()


def _feed(writer, at: datetime, *readings) -> None:
    """Write one batch through the ingest writer: (station external id, {parameter: value}) each."""
    for sensor, values in readings:
        payload = {"measured_at": at.isoformat(), "values": values}
        assert writer.accept(f"ioc/thanh-hoa/sensors/{sensor}/reading", json.dumps(payload).encode())
    writer.flush(writer._pending)
    writer._pending = []


def _live_writer(engine, stream):
    from loaders.live_feed import IngestWriter, Registry

    return IngestWriter(engine, Registry.load(engine), after_batch=stream)


def test_the_stream_checks_the_first_batch_and_delivers_at_once(alert_db):
    """The rules are read when the stream is made (the first batch counts), and an alert it opens is
    delivered from its own thread, without waiting for `alerts run`."""
    from loaders.alerts import AlertStream

    _import()
    stream = AlertStream(alert_db)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    _feed(_live_writer(alert_db, stream), now, ("KK-s1", {"pm25": 120.0}), ("KK-s2", {"pm25": 20.0}))
    stream.drain()
    stream.stop()
    assert [(a.subject, a.value) for a in _alerts(alert_db)] == [("sensor:s1:pm25", 120.0)]
    assert json.loads(_alerts(alert_db)[0].detail)["station"] == "KK-s1"
    assert [(row.event, row.status) for row in _outbox(alert_db)] == [("opened", "delivered")]


def test_a_sustained_breach_costs_the_stream_one_read_a_batch(alert_db):
    """Once a breach has its open alert, each later batch over the limit is one query of the open
    alerts' keys in the stream's thread: no transaction, no alert written again."""
    from sqlalchemy import event

    from loaders.alerts import AlertStream

    _import()
    stream = AlertStream(alert_db)
    stream.reload()
    writer = _live_writer(alert_db, stream)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    _feed(writer, now, ("KK-s1", {"pm25": 120.0}))
    stream.drain()
    statements = []

    def note(_conn, _cursor, statement, *_args):
        if threading.current_thread().name == "alert-stream":
            statements.append(statement.split()[0].upper())
    event.listen(alert_db, "before_cursor_execute", note)
    try:
        for second in (1, 2, 3):
            _feed(writer, now + timedelta(seconds=second), ("KK-s1", {"pm25": 130.0 + second}))
            stream.drain()
    finally:
        event.remove(alert_db, "before_cursor_execute", note)
        stream.stop()
    assert statements == ["SELECT"] * 3
    [alert] = _alerts(alert_db)
    assert alert.value == 120.0 and stream.opened == 1   # keeping the value current is the schedule's job


def test_the_stream_opens_windowed_means_and_anomalies(alert_db):
    from loaders.alerts import AlertStream

    rules_csv = ("name,kind,city,severity,parameter,station,limit,window_minutes,z,recipients,message_vi,message_en\n"
                 "PM2.5 10 phút,sensor_threshold,thanh-hoa,high,pm25,,50,10,,role:staff,{value},{value}\n"
                 "Bất thường,anomaly,thanh-hoa,medium,pm25,KK-s2,,,3.5,role:staff,{value} ({baseline}),"
                 "{value} ({baseline})\n")
    assert _import(rules_csv).applied
    now = datetime.now(timezone.utc).replace(microsecond=0)
    hour = now.replace(minute=0, second=0)
    for week, value in enumerate((30.0, 32.0, 29.0, 31.0), start=1):
        _reading(alert_db, "s2", hour - timedelta(weeks=week) + timedelta(minutes=1), value)
    stream = AlertStream(alert_db)
    writer = _live_writer(alert_db, stream)
    _feed(writer, now - timedelta(seconds=2), ("KK-s1", {"pm25": 40.0}), ("KK-s2", {"pm25": 31.0}))
    stream.drain()
    assert _alerts(alert_db) == []                       # a mean of 40 and a usual value: nothing
    stream.MEAN_EVERY_S = 0.0
    _feed(writer, now, ("KK-s1", {"pm25": 70.0}), ("KK-s2", {"pm25": 85.0}))
    stream.drain()
    stream.stop()
    opened = {(a.rule_id, a.subject): a for a in _alerts(alert_db)}
    assert sorted((rule_id, subject) for rule_id, subject in opened) == [
        (1, "sensor:s1:pm25"), (1, "sensor:s2:pm25"), (2, "sensor:s2:pm25")]
    assert opened[(1, "sensor:s1:pm25")].value == 55.0   # (40 + 70) / 2 over the last 10 minutes
    assert (opened[(2, "sensor:s2:pm25")].value, opened[(2, "sensor:s2:pm25")].baseline) == (85.0, 30.5)


def test_a_rule_switched_off_during_a_round_reopens_nothing(alert_db, monkeypatch):
    """The round read the rule as on; it is switched off (closing its alert) before the round writes:
    the round writes nothing and sends nothing. The stream, holding the rule in memory, forgets it."""
    from data_access import alerts as reads
    from data_access.alerts import list_rules
    from loaders.alerts import AlertStream, evaluate, set_rule_enabled

    _import()
    _reading(alert_db, "s1", T0, 80.0)
    assert evaluate(T0)["opened"] == 1
    rule_id = next(rule_id for rule_id, spec in list_rules().items() if spec.name == "PM2.5 cao")
    stream = AlertStream(alert_db)
    read_rules, switched = reads.read_rules, []

    def read_then_switch_off(connection, enabled_only=False):
        found = read_rules(connection, enabled_only)
        if enabled_only and not switched:
            switched.append(set_rule_enabled(rule_id, False, actor="quantri"))
        return found
    monkeypatch.setattr(reads, "read_rules", read_then_switch_off)
    counts = evaluate(T0 + timedelta(minutes=1))
    monkeypatch.setattr(reads, "read_rules", read_rules)
    assert switched[0].closed_alerts == 1 and counts["switched_off"] == 1 and counts["opened"] == 0
    assert [a.status for a in _alerts(alert_db)] == ["closed"]
    assert [row.event for row in _outbox(alert_db)] == ["opened"]

    _feed(_live_writer(alert_db, stream), datetime.now(timezone.utc).replace(microsecond=0),
          ("KK-s1", {"pm25": 120.0}))
    stream.drain()
    stream.stop()
    assert [a.status for a in _alerts(alert_db)] == ["closed"] and rule_id not in stream._specs


def test_run_once_delivers_before_it_evaluates(alert_db, monkeypatch):
    from loaders.alerts import evaluate, run_once

    _import()
    _reading(alert_db, "s1", T0, 80.0)
    evaluate(T0)
    seen = []
    monkeypatch.setattr("loaders.alerts.evaluate",
                        lambda now: seen.append([row.status for row in _outbox(alert_db)]) or Counter())
    assert run_once(T0 + timedelta(seconds=1))["delivered"] == 1
    assert seen == [["delivered"]]


def test_two_deliverers_racing_send_each_notification_once(alert_db, monkeypatch):
    """The claim lease: two runners (the stream's thread and `alerts run`) never send a row twice."""
    import time

    from loaders.alerts import deliver_due, evaluate

    monkeypatch.setenv("ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    _import()
    for sensor in ("s1", "s2"):
        _reading(alert_db, sensor, T0, 80.0)
    assert evaluate(T0)["opened"] == 2
    sent, start = [], threading.Barrier(2)

    def slow_send(channel, recipient, delivery_id, payload):
        time.sleep(0.05)
        sent.append(delivery_id)
    monkeypatch.setattr("loaders.alerts.send", slow_send)
    results = []

    def runner():
        start.wait()
        results.append(deliver_due(T0 + timedelta(seconds=1), engine=alert_db))
    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    rows = _outbox(alert_db)
    assert len(rows) == 4 and sorted(sent) == sorted(row.id for row in rows)
    assert sum(result["delivered"] for result in results) == 4 and {row.status for row in rows} == {"delivered"}


def _city(day: int, hour: int = 10) -> datetime:
    """A city wall-clock moment of November 2026 (T0 is Friday 20/11, 10:00 in the city)."""
    return datetime(2026, 11, day, hour, tzinfo=timezone(timedelta(hours=7)))


def _reports(engine, *dues, answered=()) -> None:
    from data_access.models import CitizenReport

    with engine.begin() as connection:
        connection.execute(CitizenReport.__table__.insert(), [
            {"id": number, "city_slug": "thanh-hoa", "ward_code": "14755", "channel": "app", "category": "traffic",
             "received_at": T0 - timedelta(days=20), "due_at": due, "status": "open",
             "answered_at": T0 if number in answered else None} for number, due in enumerate(dues, start=1)])


DEADLINE_RULE = ("name,kind,city,severity,days_before,recipients,message_vi,message_en\n"
                 "Phản ánh sắp đến hạn,citizen_report_deadline,thanh-hoa,medium,1,role:staff,"
                 "Phản ánh số {report} ({label}): hạn {due},Report {report} ({label}): due {due}\n")


def test_citizen_report_deadline(alert_db):
    from data_access.models import CitizenReport
    from loaders.alerts import evaluate

    assert _import(DEADLINE_RULE).applied
    # due Monday (1 working day left), overdue since Thursday, due Wednesday (2 left: Tuesday 24/11/2026 is a
    # public holiday in the `holidays` calendar, the band), answered
    _reports(alert_db, _city(23), _city(19), _city(25), _city(23), answered={4})
    assert evaluate(T0)["opened"] == 2
    alerts = {a.subject: a for a in _alerts(alert_db)}
    assert set(alerts) == {"citizen_report:1", "citizen_report:2"}
    assert (alerts["citizen_report:1"].severity, alerts["citizen_report:1"].value) == ("medium", 1.0)
    overdue = json.loads(alerts["citizen_report:2"].detail)
    assert alerts["citizen_report:2"].severity == "high" and overdue["overdue"] and overdue["days_left"] == -1
    assert overdue["label"] == "Phường 14755" and overdue["due"] == "19/11/2026 10:00"
    [opened] = _outbox(alert_db, alert_id=alerts["citizen_report:1"].id)
    assert json.loads(opened.payload)["alert"]["message"]["vi"] == "Phản ánh số 1 (Phường 14755): hạn 23/11/2026 10:00"
    assert evaluate(T0 + timedelta(hours=1))["opened"] == 0        # the same alerts, no new ones
    with alert_db.begin() as connection:
        connection.execute(CitizenReport.__table__.update().where(CitizenReport.id == 1).values(answered_at=T0))
    assert evaluate(T0 + timedelta(hours=2))["closed"] == 1        # answered: closed at once (clear_after 1)
    # the holiday, 10:00: report 3 has one working day left; report 1 stays answered
    assert evaluate(_city(24))["opened"] == 1
    assert {a.subject for a in _alerts(alert_db) if a.status == "open"} == {"citizen_report:2", "citizen_report:3"}


def test_citizen_report_deadline_counts_the_days_off_an_admin_recorded(alert_db):
    from data_access import cache
    from data_access.models import CalendarDay
    from loaders.alerts import evaluate

    assert _import(DEADLINE_RULE).applied
    _reports(alert_db, _city(25))                 # Wednesday: Monday and Wednesday left (24/11 a holiday), the band
    assert evaluate(T0) == {}
    with alert_db.begin() as connection:
        connection.execute(CalendarDay.__table__.insert().values(day=date(2026, 11, 23), kind="day_off", note="",
                                                                 recorded_by="admin", recorded_at=T0))
    cache.clear()
    assert evaluate(T0 + timedelta(minutes=1))["opened"] == 1      # Monday off: one working day left


FORECAST_RULE = ("name,kind,city,severity,indicator,recipients,message_vi,message_en\n"
                 "Chỉ tiêu chệch hướng,target_forecast,thanh-hoa,medium,safety.fire_warning_rate,role:leader,"
                 "{label}: dự báo {projected} năm {year},Target {indicator}: {projected} projected for {year}\n")


def _targets(monkeypatch, series: dict) -> None:
    """The city's targets as data_access.targets.target_rows answers, from a hand-made series."""
    from domain.indicators import BY_CODE

    fire, email = BY_CODE["safety.fire_warning_rate"], BY_CODE["gov.email_account_rate"]
    rows = [{"indicator_code": item.code, "year": year, "value": 100.0, "comparator": ">=", "item": item,
             "series": series} for item, year in ((fire, 2025), (fire, 2030), (email, 2030))]
    monkeypatch.setattr("loaders.alerts.target_rows", lambda city, now: rows)


def test_target_forecast_opens_holds_and_clears(alert_db, monkeypatch):
    from loaders.alerts import evaluate

    assert _import(FORECAST_RULE).applied
    _targets(monkeypatch, {2023: 50.0, 2024: 55.0, 2025: 60.0})           # 85 % projected for 2030
    assert evaluate(T0)["opened"] == 1    # the rule's indicator only, and 2025 is over
    [alert] = _alerts(alert_db)
    assert (alert.subject, alert.value) == ("target:safety.fire_warning_rate:2030", 85.0)
    assert json.loads(_outbox(alert_db)[0].payload)["alert"]["message"]["en"] == (
        "Target safety.fire_warning_rate: 85 projected for 2030")
    _targets(monkeypatch, {2023: 52.0, 2024: 58.0, 2025: 64.0})           # 94 %: at risk, still open
    assert evaluate(T0 + timedelta(hours=1)) == {"hold": 1}
    assert _alerts(alert_db)[0].status == "open"
    _targets(monkeypatch, {2023: 64.0, 2024: 70.0, 2025: 76.0})           # on track
    assert evaluate(T0 + timedelta(hours=2))["closed"] == 1


def test_an_alert_failure_never_fails_a_kpi_import(alert_db, monkeypatch, caplog):
    from loaders.alerts import after_kpi_import

    assert _import(FORECAST_RULE).applied

    def broken(city, now):
        raise RuntimeError("projection exploded")
    monkeypatch.setattr("loaders.alerts.target_rows", broken)
    assert after_kpi_import("thanh-hoa") == {}
    assert "projection exploded" in caplog.text and "after the KPI import" in caplog.text
    monkeypatch.setattr("loaders.alerts.evaluate", lambda *a, **k: (_ for _ in ()).throw(OSError("disk")))
    assert after_kpi_import("thanh-hoa") == {}


def test_a_kpi_import_checks_the_target_forecasts(private_demo, monkeypatch):
    """On the demo: importing a figure that leaves the 2030 target off track opens its alert at once
    (no `alerts run`), a figure that puts it on track closes it, a failing check leaves the import be."""
    from data_access.db import get_engine
    from data_access.models import Alert
    from loaders.alerts import import_rules
    from loaders.kpi_import import import_observations

    assert import_rules("rules.csv", FORECAST_RULE.encode(), actor="test").applied
    header = "Mã chỉ tiêu,Kỳ,Mã phường/xã,Giá trị,Nguồn,Ngày số liệu\n"

    def figure(value: str):
        report = import_observations((header + f"safety.fire_warning_rate,2025,,{value},,\n").encode(), "kpi.csv",
                                     city="thanh-hoa", actor="test")
        assert report.applied, report.errors
        with get_engine("ioc").connect() as connection:
            return connection.execute(select(Alert.subject, Alert.status)).all()
    assert figure("30") == [("target:safety.fire_warning_rate:2030", "open")]
    assert figure("100") == [("target:safety.fire_warning_rate:2030", "closed")]
    monkeypatch.setattr("loaders.alerts.target_rows", lambda city, now: 1 / 0)
    assert figure("31") == [("target:safety.fire_warning_rate:2030", "closed")]


# --- the rule editor's writes ---------------------------------------------------------------------------

def _editor_row(**changes) -> dict:
    from domain.alerts import RULE_COLUMNS

    row = dict.fromkeys(RULE_COLUMNS, "")
    row.update({"name": "Phản ánh sắp đến hạn", "kind": "citizen_report_deadline", "city": "thanh-hoa",
                "severity": "medium", "days_before": "2", "recipients": "role:staff", "message_vi": "Phản ánh {report}",
                "message_en": "Report {report}", "enabled": "yes"}, **changes)
    return row


def test_save_rule_creates_edits_and_refuses_with_every_problem(alert_db):
    from data_access.alerts import list_rules
    from data_access.models import AuditEvent
    from loaders.alerts import save_rule

    created = save_rule(_editor_row(), actor="quantri")
    assert created.applied and created.action == "created"
    assert list_rules()[created.rule_id].params == {"ward": "", "days_before": 2, "clear_after": 1}
    other = save_rule(_editor_row(name="Quy tắc khác"), actor="quantri")
    clash = save_rule(_editor_row(name="Phản ánh sắp đến hạn"), actor="quantri", rule_id=other.rule_id)
    assert not clash.applied and clash.errors == ["name: another rule is already called 'Phản ánh sắp đến hạn'"]
    bad = save_rule(_editor_row(days_before="-1", recipients="role:mayor", message_en="=HYPERLINK()"), actor="quantri",
                    rule_id=created.rule_id)
    assert not bad.applied
    assert {error.split(":")[0] for error in bad.errors} == {"days_before", "recipients", "message_en"}
    renamed = save_rule(_editor_row(name="Phản ánh sắp hết hạn", kind="target_forecast", days_before="", year="2030"),
                        actor="quantri", rule_id=created.rule_id)
    assert renamed.applied and renamed.action == "updated"
    spec = list_rules()[created.rule_id]
    assert (spec.name, spec.kind, spec.params["year"]) == ("Phản ánh sắp hết hạn", "target_forecast", 2030)
    assert save_rule(_editor_row(), actor="quantri", rule_id=999).errors == ["no rule 999"]
    with alert_db.connect() as connection:
        actions = connection.execute(select(AuditEvent.actor, AuditEvent.action).where(
            AuditEvent.action == "alert_rule_saved")).all()
    assert actions == [("quantri", "alert_rule_saved")] * 3


def test_switching_a_rule_off_closes_its_alerts_and_delete_keeps_history(alert_db):
    from data_access.alerts import list_rules
    from loaders.alerts import delete_rule, evaluate, save_rule, set_rule_enabled

    _import()
    _reading(alert_db, "s1", T0, 80.0)
    evaluate(T0)
    rule_id = next(rule_id for rule_id, spec in list_rules().items() if spec.name == "PM2.5 cao")
    off = set_rule_enabled(rule_id, False, actor="quantri")
    assert off.applied and off.closed_alerts == 1 and not list_rules()[rule_id].enabled
    [alert] = _alerts(alert_db)
    assert (alert.status, alert.open_key) == ("closed", None)
    refused = delete_rule(rule_id, actor="quantri")
    assert not refused.applied and refused.raised == 1 and rule_id in list_rules()
    fresh = save_rule(_editor_row(), actor="quantri")
    assert delete_rule(fresh.rule_id, actor="quantri").applied and fresh.rule_id not in list_rules()
    assert delete_rule(fresh.rule_id, actor="quantri").errors == [f"no rule {fresh.rule_id}"]


# --- people ---------------------------------------------------------------------------------------------

def test_escalation_snooze_and_acknowledgement(alert_db):
    from data_access.alerts import alerts_for
    from loaders.alerts import AlertDenied, acknowledge, escalate, evaluate, snooze

    _import()
    _reading(alert_db, "s1", T0, 80.0)
    evaluate(T0)
    [alert] = _alerts(alert_db)
    assert escalate(T0 + timedelta(minutes=14)) == 0
    snooze(alert.id, username="an", role="staff", until=T0 + timedelta(minutes=40), now=T0 + timedelta(minutes=10))
    assert escalate(T0 + timedelta(minutes=30)) == 0            # snoozed
    assert escalate(T0 + timedelta(minutes=55)) == 1            # 15 minutes after the snooze ended
    assert [r.recipient for r in _outbox(alert_db, event="escalated")] == ["role:leader"]
    assert escalate(T0 + timedelta(hours=5)) == 0               # no tier left
    # Recipients by role: the leader tier sees it, the public role and others' rules do not.
    assert [a["id"] for a in alerts_for("leader", "x")] == [alert.id]
    assert alerts_for("public", "x") == []
    with pytest.raises(AlertDenied):
        acknowledge(alert.id, username="kiosk", role="public", note="no")
    acknowledge(alert.id, username="an", role="staff", note="Đã cử tổ kiểm tra", now=T0 + timedelta(hours=1))
    [alert] = _alerts(alert_db)
    assert (alert.status, alert.acknowledged_by, alert.ack_note) == ("acknowledged", "an", "Đã cử tổ kiểm tra")


def test_staff_cannot_see_or_acknowledge_leader_rules(alert_db):
    from data_access.alerts import alerts_for, open_alert_count
    from data_access.models import Camera, CameraStatusSample
    from loaders.alerts import AlertDenied, acknowledge, evaluate

    _import()
    with alert_db.begin() as connection:
        connection.execute(Camera.__table__.update().values(status="offline"))
        connection.execute(CameraStatusSample.__table__.insert(), [
            {"camera_id": f"c{n}", "sampled_at": T0, "status": "offline"} for n in range(1, 5)])
    evaluate(T0)
    [alert] = _alerts(alert_db)           # the camera rule is addressed to leaders only
    assert alerts_for("staff", "an") == [] and open_alert_count("staff", "an") == 0
    assert open_alert_count("leader", "lanhdao") == 1
    with pytest.raises(AlertDenied):
        acknowledge(alert.id, username="an", role="staff")
    assert _alerts(alert_db)[0].status == "open"


# --- delivery -------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_smtp_down_then_up_delivers_once(alert_db, monkeypatch):
    from aiosmtpd.controller import Controller

    from data_access.models import AuditEvent
    from loaders.alerts import deliver_due, evaluate

    port = _free_port()
    monkeypatch.setenv("ALERT_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("APP_BASE_URL", "https://ioc.example.gov.vn/")
    _import(RULES_CSV.replace("role:staff > role:leader", '"role:staff,email:truc.ban@example.vn"'))
    _reading(alert_db, "s1", T0, 80.0)
    evaluate(T0)
    assert deliver_due(T0) == {"delivered": 1, "failed": 1}         # in-app yes, e-mail: nobody listens
    [mail] = _outbox(alert_db, channel="email")
    assert (mail.status, mail.attempts) == ("pending", 1) and "smtp" in mail.last_error
    assert deliver_due(T0 + timedelta(seconds=2)) == {}             # backing off

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver_due(T0 + timedelta(seconds=6)) == {"delivered": 1}
        assert deliver_due(T0 + timedelta(minutes=30)) == {}
    finally:
        controller.stop()
    assert len(received) == 1 and received[0].rcpt_tos == ["truc.ban@example.vn"]
    body = received[0].content.decode()
    assert "PM2.5" in body and "Subject: [IOC high] PM2.5 cao" in body
    [mail] = _outbox(alert_db, channel="email")
    assert f"https://ioc.example.gov.vn/alerts?alert={mail.alert_id}" in body  # the recipient's link to it
    assert (mail.status, mail.attempts) == ("delivered", 2)
    with alert_db.connect() as connection:
        assert connection.execute(select(func.count()).where(AuditEvent.action == "alert_delivered")).scalar() == 2


def test_webhook_500_then_200_delivers_once_signed(alert_db, monkeypatch):
    from loaders.alerts import deliver_due, evaluate

    answers, bodies = [500, 200], []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            bodies.append((body, self.headers["X-IOC-Signature"]))
            self.send_response(answers.pop(0) if answers else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", "chia-se-bi-mat")
    try:
        _import()
        _reading(alert_db, "s1", T0, 80.0)
        evaluate(T0)
        assert deliver_due(T0)["failed"] == 1
        assert deliver_due(T0 + timedelta(seconds=6)) == {"delivered": 1}
        assert deliver_due(T0 + timedelta(hours=1)) == {}
    finally:
        server.shutdown()
    assert len(bodies) == 2 and bodies[0][0] == bodies[1][0]
    body, signature = bodies[1]
    assert signature == "sha256=" + hmac.new(b"chia-se-bi-mat", body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert payload["event"] == "opened" and payload["alert"]["value"] == 80.0
    assert payload["alert"]["message"]["en"] == "Trạm s1: PM2.5 80 over 50"
    [hook] = _outbox(alert_db, channel="webhook")
    assert (hook.status, hook.attempts, payload["delivery_id"]) == ("delivered", 2, hook.id)


def test_the_demo_builds_its_rules_for_the_cities_it_builds(private_demo):
    """`manage.py demo` imports demo/alert_rules.csv's rules for the cities built and evaluates them
    once; every row of the file is a valid rule of a demo city."""
    import csv

    import manage
    from data_access import models as m
    from data_access.db import get_engine
    from demo.cities import CITIES
    from domain.alerts import validate_rule
    from loaders.alerts import export_rules

    rows = list(csv.DictReader(manage.DEMO_ALERT_RULES.read_text(encoding="utf-8").splitlines()))
    assert {row["city"] for row in rows} == set(CITIES)
    assert [validate_rule(row, set(CITIES))[1] for row in rows] == [[]] * len(rows)
    manage._demo_alert_rules(["thanh-hoa"], datetime(2026, 11, 20, 10))
    exported = list(csv.DictReader(export_rules("csv").splitlines()))
    assert sorted(row["name"] for row in exported) == sorted(row["name"] for row in rows if row["city"] == "thanh-hoa")
    with get_engine("ioc").connect() as connection:
        assert connection.execute(select(func.count()).select_from(m.AlertRule)).scalar() == 5
        by_kind = dict(connection.execute(select(m.AlertRule.kind, func.count()).join(
            m.Alert, m.Alert.rule_id == m.AlertRule.id).group_by(m.AlertRule.kind)).all())
    # The demo's reports near or past their deadline and its off-track 2030 target: a handful, not a storm.
    assert 1 <= by_kind["citizen_report_deadline"] <= 20
    assert 1 <= by_kind["target_forecast"] <= 5
