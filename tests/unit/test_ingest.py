"""The live feed: message validation, batch writing, and the MQTT ingester against a
real Mosquitto broker (127.0.0.1:1883 on the project's machines; a private broker
process for the restart test)."""
from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from data_access.models import Camera, CameraStatusSample, Incident, IngestCounter, Reading, Sensor, Ward
from loaders.live_feed import IngestWriter, Registry, parse_message
from loaders.topics import CameraStatusMessage, IncidentMessage, ReadingMessage, Rejected
from tests.conftest import in_ci

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # city time


@pytest.fixture
def ioc_engine(private_demo):
    """A private copy of the demo IOC database, writable."""
    from data_access.db import get_engine

    return get_engine("ioc", writable=True)


@pytest.fixture
def known(ioc_engine):
    """A real air sensor, water sensor, camera and ward of Thanh Hóa."""
    with ioc_engine.connect() as c:
        air = c.execute(select(Sensor.id).where(Sensor.kind == "air").limit(1)).scalar()
        water = c.execute(select(Sensor.id).where(Sensor.kind == "water").limit(1)).scalar()
        camera = c.execute(select(Camera.id).where(Camera.city_slug == "thanh-hoa").limit(1)).scalar()
        ward = c.execute(select(Ward.gso_code, Ward.centre_lon, Ward.centre_lat)
                         .where(Ward.city_slug == "thanh-hoa").limit(1)).one()
    return {"air": air, "water": water, "camera": camera, "ward": ward}


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def _reading(sensor: str, values: dict, at: datetime = NOW) -> tuple[str, bytes]:
    return f"ioc/thanh-hoa/sensors/{sensor}/reading", json.dumps({"measured_at": _stamp(at), "values": values}).encode()


def _incident(known, **changes) -> tuple[str, bytes]:
    ward = known["ward"]
    body = {"event_id": "ev-1", "ward_code": ward.gso_code, "category": "flooding", "severity": "high",
            "lon": ward.centre_lon, "lat": ward.centre_lat, "summary": "Ngập úng cục bộ", "reported_at": _stamp(NOW),
            "status": "open"}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not ...}
    return "ioc/thanh-hoa/incidents", json.dumps(body).encode()


def _count(engine, model, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_valid_messages_of_each_kind_parse(ioc_engine, known):
    registry = Registry.load(ioc_engine)
    reading = parse_message(*_reading(known["air"], {"pm25": 41.5, "pm10": 66}), registry, NOW)
    assert reading == ReadingMessage(known["air"], NOW, (("pm25", 41.5), ("pm10", 66.0)))
    status = parse_message(f"ioc/thanh-hoa/cameras/{known['camera']}/status",
                           json.dumps({"status": "offline", "at": "2026-11-20T09:59:00"}).encode(), registry, NOW)
    assert status == CameraStatusMessage(known["camera"], "offline", datetime(2026, 11, 20, 9, 59, tzinfo=NOW.tzinfo))
    incident = parse_message(*_incident(known), registry, NOW)
    assert isinstance(incident, IncidentMessage) and incident.severity == "high" and incident.resolved_at is None


@pytest.mark.parametrize("stamp", ["2026-11-20T10:00:00+07:00", "2026-11-20T03:00:00Z", "2026-11-19T22:00:00-05:00",
                                   "2026-11-20T10:00:00"])
def test_any_offset_is_the_same_instant_and_no_offset_is_city_time(ioc_engine, known, stamp):
    registry = Registry.load(ioc_engine)
    raw = json.dumps({"measured_at": stamp, "values": {"pm25": 10}}).encode()
    measured = parse_message(f"ioc/thanh-hoa/sensors/{known['air']}/reading", raw, registry, NOW).measured_at
    assert measured == NOW and measured.utcoffset() == timedelta(0)


BAD = [
    ("invalid_topic", lambda k: ("weather/thanh-hoa/x", b"{}")),
    ("invalid_topic", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/status", b"{}")),
    ("unknown_city", lambda k: ("ioc/hanoi/incidents", b"{}")),
    ("invalid_json", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/reading", b"{not json")),
    ("invalid_json", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/reading", b"\xff\xfe")),
    ("invalid_json", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/reading", b"[1, 2]")),
    ("unknown_sensor", lambda k: _reading("380-AQ99", {"pm25": 10})),
    ("out_of_range", lambda k: _reading(k["air"], {"pm25": -1})),
    ("out_of_range", lambda k: _reading(k["air"], {"pm25": 40, "pm10": 5000})),
    ("out_of_range", lambda k: _reading(k["water"], {"ph": 15})),
    ("out_of_range", lambda k: _reading(k["air"], {"ph": 7})),  # a water parameter from an air station
    ("out_of_range", lambda k: _reading(k["air"], {"pm25": 10}, NOW - timedelta(days=8))),
    ("out_of_range", lambda k: _reading(k["air"], {"pm25": 10}, NOW + timedelta(hours=1))),
    ("wrong_type", lambda k: _reading(k["air"], {"pm25": "41"})),
    ("wrong_type", lambda k: _reading(k["air"], {"pm25": True})),
    ("wrong_type", lambda k: _reading(k["air"], [41])),
    ("wrong_type", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/reading",
                              json.dumps({"measured_at": 1700000000, "values": {"pm25": 1}}).encode())),
    ("wrong_type", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/reading",
                              json.dumps({"measured_at": "yesterday", "values": {"pm25": 1}}).encode())),
    ("missing_field", lambda k: (f"ioc/thanh-hoa/sensors/{k['air']}/reading", b'{"values": {"pm25": 1}}')),
    ("missing_field", lambda k: _incident(k, severity=...)),
    ("missing_field", lambda k: _incident(k, status="resolved")),  # resolved without resolved_at
    ("unknown_camera", lambda k: ("ioc/thanh-hoa/cameras/380-S999999/status",
                                  json.dumps({"status": "online", "at": _stamp(NOW)}).encode())),
    ("out_of_range", lambda k: (f"ioc/thanh-hoa/cameras/{k['camera']}/status",
                                json.dumps({"status": "broken", "at": _stamp(NOW)}).encode())),
    ("unknown_ward", lambda k: _incident(k, ward_code="99999")),
    ("out_of_range", lambda k: _incident(k, lon=0.0, lat=0.0)),
    ("out_of_range", lambda k: _incident(k, category="alien_landing")),
    ("out_of_range", lambda k: _incident(k, summary="x" * 300)),
    ("wrong_type", lambda k: _incident(k, lat="19.8")),
    ("out_of_range", lambda k: _incident(k, status="resolved", resolved_at=_stamp(NOW - timedelta(hours=2)),
                                         reported_at=_stamp(NOW - timedelta(hours=1)))),
]


@pytest.mark.parametrize("reason, make", BAD, ids=[f"{i}-{r}" for i, (r, _) in enumerate(BAD)])
def test_bad_messages_are_rejected_counted_and_write_nothing(ioc_engine, known, reason, make):
    registry = Registry.load(ioc_engine)
    topic, raw = make(known)
    with pytest.raises(Rejected) as caught:
        parse_message(topic, raw, registry, NOW)
    assert caught.value.reason == reason
    before = {m: _count(ioc_engine, m) for m in (Reading, Incident, CameraStatusSample)}
    writer = IngestWriter(ioc_engine, registry)
    assert writer.accept(topic, raw, NOW) is False
    writer.flush(writer._pending, writer._rejected)
    assert {m: _count(ioc_engine, m) for m in before} == before
    with ioc_engine.connect() as c:
        counters = dict(c.execute(select(IngestCounter.name, IngestCounter.value)).all())
    assert counters == {f"rejected.{reason}": 1}


def test_accepted_messages_land_once_even_when_redelivered(ioc_engine, known):
    writer = IngestWriter(ioc_engine, Registry.load(ioc_engine))
    reading = _reading(known["air"], {"pm25": 41.5, "pm10": 66.0}, NOW + timedelta(minutes=1))
    status = (f"ioc/thanh-hoa/cameras/{known['camera']}/status",
              json.dumps({"status": "online", "at": _stamp(NOW)}).encode())
    for topic, raw in (reading, reading, status, _incident(known)):
        assert writer.accept(topic, raw, NOW)
    writer.flush(writer._pending)
    with ioc_engine.connect() as c:
        rows = c.execute(select(Reading.parameter, Reading.value).where(
            Reading.sensor_id == known["air"], Reading.measured_at == NOW + timedelta(minutes=1))).all()
        camera = c.execute(select(Camera.status, Camera.last_seen).where(Camera.id == known["camera"])).one()
        incident = c.execute(select(Incident.status, Incident.severity).where(Incident.external_id == "ev-1")).one()
    assert sorted(rows) == [("pm10", 66.0), ("pm25", 41.5)]
    assert tuple(camera) == ("online", NOW)
    assert tuple(incident) == ("open", "high")
    # counters count rows written: the redelivered reading stored nothing, so it is a duplicate
    assert writer.totals == {"accepted.reading": 1, "duplicate.reading": 1, "accepted.camera_status": 1,
                             "accepted.incident": 1}


def test_a_redelivered_message_counts_once_across_batches(ioc_engine, known):
    """QoS 1 may deliver a message again after its batch was written: the counters in the
    database (what /metrics and the operations page show) count what landed."""
    writer = IngestWriter(ioc_engine, Registry.load(ioc_engine))
    reading = _reading(known["air"], {"pm25": 12.0}, NOW + timedelta(minutes=2))
    for _delivery in range(3):
        writer.accept(*reading, NOW)
        writer.accept(*_incident(known), NOW)
        writer.flush(writer._pending)
        writer._pending = []
    with ioc_engine.connect() as c:
        counters = dict(c.execute(select(IngestCounter.name, IngestCounter.value)).all())
        stored = c.execute(select(func.count()).select_from(Reading).where(
            Reading.sensor_id == known["air"], Reading.measured_at == NOW + timedelta(minutes=2))).scalar()
    assert stored == 1
    assert (counters["accepted.reading"], counters["duplicate.reading"]) == (1, 2)
    assert (counters["accepted.incident"], counters["duplicate.incident"]) == (1, 2)


def test_rejections_are_logged_sampled_then_summed_up(caplog):
    import logging

    from loaders.live_feed import RejectionLog

    clock = {"now": 0.0}
    sampler = RejectionLog(per_minute=3, clock=lambda: clock["now"])
    with caplog.at_level(logging.WARNING, logger="loaders.live_feed"):
        for index in range(5000):
            sampler.rejected(f"ioc/x/{index}", Rejected("invalid_json", "junk"))
        sampler.rejected("ioc/y", Rejected("unknown_city", "atlantis"))
        clock["now"] = 61.0
        sampler.flush()
    lines = [record.getMessage() for record in caplog.records]
    assert sum("rejected message on ioc/x/" in line for line in lines) == 3
    assert sum("rejected message on ioc/y" in line for line in lines) == 1
    assert "4997 more message(s) rejected as invalid_json" in " ".join(lines)
    assert len(lines) == 5


def test_the_writer_logs_junk_sampled_and_counts_all_of_it(ioc_engine, caplog, monkeypatch):
    import logging

    monkeypatch.setenv("MQTT_REJECT_LOG_PER_MINUTE", "10")
    writer = IngestWriter(ioc_engine, Registry.load(ioc_engine))
    with caplog.at_level(logging.WARNING, logger="loaders.live_feed"):
        for _ in range(500):
            writer.accept("ioc/thanh-hoa/incidents", b"{not json", NOW)
    writer.flush([], writer._rejected)
    assert sum("rejected message" in record.getMessage() for record in caplog.records) == 10
    with ioc_engine.connect() as c:
        assert c.execute(select(IngestCounter.value).where(IngestCounter.name == "rejected.invalid_json")).scalar() == 500


def test_incident_update_resolves_the_same_event(ioc_engine, known):
    writer = IngestWriter(ioc_engine, Registry.load(ioc_engine))
    writer.accept(*_incident(known), NOW)
    writer.flush(writer._pending)
    writer._pending = []
    writer.accept(*_incident(known, status="resolved", resolved_at=_stamp(NOW + timedelta(minutes=30))),
                  NOW + timedelta(hours=1))
    writer.flush(writer._pending)
    with ioc_engine.connect() as c:
        rows = c.execute(select(Incident.status, Incident.resolved_at).where(Incident.external_id == "ev-1")).all()
    assert rows == [("resolved", NOW + timedelta(minutes=30))]


def test_simulated_messages_all_pass_validation(ioc_engine):
    from live.simulate import Simulator, load_city

    simulator = Simulator(load_city(ioc_engine, "thanh-hoa"), "thanh-hoa", rate=50, seed=7)
    registry = Registry.load(ioc_engine)
    moment = datetime.now(timezone.utc)
    kinds = {type(parse_message(topic, raw, registry, moment)) for topic, raw in simulator.messages(3000, moment)}
    assert {ReadingMessage, CameraStatusMessage}.issubset(kinds)


# --- against a real broker ---------------------------------------------------------------

def _broker_up(host: str = "127.0.0.1", port: int = 1883) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker():
    if not _broker_up():
        if in_ci():
            pytest.fail("Mosquitto is not reachable at 127.0.0.1:1883; CI must run the broker tests")
        pytest.skip("Mosquitto is not reachable at 127.0.0.1:1883")
    from live.broker import parse_mqtt_url

    return parse_mqtt_url("mqtt://127.0.0.1:1883")


def _publisher(address, max_inflight: int | None = None):
    from live.broker import make_client

    client = make_client(address, f"test-pub-{uuid.uuid4().hex[:8]}")
    if max_inflight is not None:
        client.max_inflight_messages_set(max_inflight)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def _readings_landed(engine, sensor: str, start: datetime, count: int):
    """A count of the values of `sensor` stored in the `count` seconds up to `start` (the tests publish
    a reading a second back from `start`)."""
    return lambda: _count(engine, Reading, Reading.sensor_id == sensor,
                          Reading.measured_at > start - timedelta(seconds=count), Reading.measured_at <= start)


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_ingester_writes_valid_and_counts_bad_messages_from_the_broker(ioc_engine, known, broker):
    from live.mqtt_ingest import MqttIngester

    ingester = MqttIngester(broker, ioc_engine, client_id=f"test-ingest-{uuid.uuid4().hex[:8]}", links=2,
                            session_expiry_s=0).start()
    publisher = _publisher(broker)
    try:
        assert ingester.connected.wait(10)
        time.sleep(0.3)
        start = datetime.now(timezone.utc).replace(microsecond=0)
        for i in range(50):
            topic, raw = _reading(known["air"], {"pm25": 20 + i}, start - timedelta(seconds=i))
            publisher.publish(topic, raw, qos=1).wait_for_publish(5)
        publisher.publish(f"ioc/thanh-hoa/sensors/{known['air']}/reading", b"{oops", qos=1).wait_for_publish(5)
        publisher.publish(*_reading("380-AQ99", {"pm25": 1}, start), qos=1).wait_for_publish(5)
        landed = _readings_landed(ioc_engine, known["air"], start, 50)
        assert _wait_for(lambda: landed() == 50)
        time.sleep(0.5)
        assert landed() == 50 and ingester.writer.totals["accepted.reading"] == 50  # shared: each once
        assert _wait_for(lambda: ingester.writer.totals["rejected.invalid_json"] >= 1
                         and ingester.writer.totals["rejected.unknown_sensor"] >= 1)
    finally:
        publisher.loop_stop()
        ingester.stop()


def test_a_topic_added_to_the_registry_is_subscribed_and_parsed_from_the_broker(ioc_engine, broker, monkeypatch):
    """Declaring a topic is all it takes: the ingester subscribes to it and parses it by its schema."""
    from live.mqtt_ingest import MqttIngester
    from loaders import topics
    from tests.unit.test_topics import NOISE

    parsed = []

    def record(fields, parts, known):
        parsed.append(NOISE.handler(fields, parts, known))
        return parsed[-1]

    monkeypatch.setattr(topics, "TOPICS", (*topics.TOPICS, dataclasses.replace(NOISE, handler=record)))
    ingester = MqttIngester(broker, ioc_engine, client_id=f"test-noise-{uuid.uuid4().hex[:8]}",
                            session_expiry_s=0).start()
    publisher = _publisher(broker)
    try:
        assert ingester.connected.wait(10)
        time.sleep(0.3)
        topic = NOISE.topic(city="thanh-hoa", meter_id="m-1")
        at = datetime.now(timezone.utc).replace(microsecond=0)
        publisher.publish(topic, json.dumps({"decibels": 71.5, "at": at.isoformat()}), qos=1).wait_for_publish(5)
        publisher.publish(topic, json.dumps({"decibels": 900, "at": at.isoformat()}), qos=1).wait_for_publish(5)
        assert _wait_for(lambda: ingester.writer.totals["rejected.out_of_range"] >= 1 and parsed)
        assert [(m.meter_id, m.city, m.decibels, m.at) for m in parsed] == [("m-1", "thanh-hoa", 71.5, at)]
    finally:
        publisher.loop_stop()
        ingester.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_mosquitto(port: int) -> subprocess.Popen:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    process = subprocess.Popen([binary, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _wait_for(lambda: _broker_up(port=port), 10), "private mosquitto did not start"
    return process


def test_no_qos1_message_is_lost_after_a_broker_restart(ioc_engine, known, broker):
    from live.broker import parse_mqtt_url
    from live.mqtt_ingest import MqttIngester

    port = _free_port()
    process = _start_mosquitto(port)
    address = parse_mqtt_url(f"mqtt://127.0.0.1:{port}")
    ingester = MqttIngester(address, ioc_engine, client_id="test-restart").start()
    try:
        assert ingester.connected.wait(10)
        process.terminate()
        process.wait(10)
        assert _wait_for(lambda: not ingester.connected.is_set(), 10)
        process = _start_mosquitto(port)
        assert _wait_for(lambda: ingester.connections >= 2, 40), "ingester did not reconnect"
        publisher = _publisher(address)
        start = datetime.now(timezone.utc).replace(microsecond=0)
        for i in range(200):
            publisher.publish(*_reading(known["water"], {"ph": 7.0, "do": 5.0, "cod": 10.0},
                                        start - timedelta(seconds=i)), qos=1).wait_for_publish(5)
        publisher.loop_stop()
        landed = _readings_landed(ioc_engine, known["water"], start, 200)
        assert _wait_for(lambda: landed() == 600), f"{landed()} of 600 values landed"
    finally:
        ingester.stop()
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize("moment", [datetime(2026, 11, 29, 3, 4, 5, tzinfo=timezone.utc),
                                    datetime(2026, 11, 29, 3, 4, 5, 120, tzinfo=timezone(timedelta(hours=7))),
                                    datetime(999, 1, 2, 0, 0, 0, 999_999, tzinfo=timezone.utc)])
def test_the_feed_writes_times_in_the_form_the_column_stores(moment):
    """The feed's SQLite fast path must write measured_at exactly as the ORM type does, or the unique
    index would not see a redelivery as the same reading."""
    from sqlalchemy.dialects import sqlite

    from loaders.live_feed import _stored_time

    column_type = Reading.__table__.c.measured_at.type
    dialect = sqlite.dialect()
    through_orm = column_type.dialect_impl(dialect).bind_processor(dialect)(moment)
    assert _stored_time(moment) == through_orm


def test_readings_published_while_the_ingester_is_away_land_when_it_returns(ioc_engine, known):
    """Its MQTT 5 session outlives the connection (session expiry), so QoS 1 messages are queued for it."""
    from live.broker import parse_mqtt_url
    from live.mqtt_ingest import MqttIngester

    port = _free_port()
    process = _start_mosquitto(port)
    address = parse_mqtt_url(f"mqtt://127.0.0.1:{port}")
    try:
        first = MqttIngester(address, ioc_engine, client_id="test-away", session_expiry_s=60).start()
        assert first.connected.wait(10)
        first.stop()
        publisher = _publisher(address)
        start = datetime.now(timezone.utc).replace(microsecond=0)
        for i in range(30):
            publisher.publish(*_reading(known["air"], {"pm25": 30 + i}, start - timedelta(seconds=i)),
                              qos=1).wait_for_publish(5)
        publisher.loop_stop()
        landed = _readings_landed(ioc_engine, known["air"], start, 30)
        assert landed() == 0, "nobody was subscribed"
        back = MqttIngester(address, ioc_engine, client_id="test-away", session_expiry_s=0).start()
        try:
            assert _wait_for(lambda: landed() == 30), f"{landed()} of 30 readings landed"
        finally:
            back.stop()
    finally:
        process.terminate()
        process.wait(10)


def test_a_burst_beyond_the_brokers_queue_is_not_dropped(ioc_engine, known, monkeypatch):
    """Mosquitto keeps 20 QoS 1 messages in flight to a client and queues 1,000 more by default,
    dropping the rest; the ingester's MQTT 5 receive maximum lets the broker hand it the whole
    burst while it is busy (here: slowed to half a millisecond a message)."""
    from live.broker import parse_mqtt_url
    from live.mqtt_ingest import MqttIngester

    port = _free_port()
    process = _start_mosquitto(port)
    address = parse_mqtt_url(f"mqtt://127.0.0.1:{port}")
    ingester = MqttIngester(address, ioc_engine, client_id=f"test-burst-{uuid.uuid4().hex[:8]}",
                            session_expiry_s=0)
    accept = ingester.writer.accept

    def slow_accept(topic, raw, now=None):
        time.sleep(0.0005)
        return accept(topic, raw, now)

    monkeypatch.setattr(ingester.writer, "accept", slow_accept)
    ingester.start()
    try:
        assert ingester.connected.wait(10)
        time.sleep(0.3)
        publisher = _publisher(address, max_inflight=0)
        start = datetime.now(timezone.utc).replace(microsecond=0)
        burst = [publisher.publish(*_reading(known["water"], {"ph": 7.0}, start - timedelta(seconds=i)), qos=1)
                 for i in range(3000)]
        for info in burst:
            info.wait_for_publish(10)
        publisher.loop_stop()
        landed = _readings_landed(ioc_engine, known["water"], start, 3000)
        assert _wait_for(lambda: landed() == 3000, 30), f"{landed()} of 3,000 readings landed"
    finally:
        ingester.stop()
        process.terminate()
        process.wait(10)
