"""The topic registry (loaders/topics.py): payload schemas field kind by field kind, topic
strings and subscriptions derived from the patterns, a topic added by declaration only,
and the README's table, which must be the registry's own."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from loaders import topics
from loaders.live_feed import Registry, parse_message
from loaders.topics import (
    CAMERA_STATUS,
    INCIDENT,
    READING,
    TOPICS,
    NumberField,
    Rejected,
    TextField,
    TimeField,
    Topic,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # city time
STAMP = NOW.isoformat()
DROP = object()  # a change that removes the key

GOOD = {
    READING: {"measured_at": STAMP, "values": {"pm25": 41.2, "pm10": 66}},
    CAMERA_STATUS: {"status": "online", "at": STAMP},
    INCIDENT: {"event_id": "ev-1", "ward_code": "14755", "category": "flooding", "severity": "high",
               "lon": 105.78, "lat": 19.8, "summary": "Ngập úng cục bộ", "reported_at": STAMP, "status": "open"},
}

# (topic, changes to its good payload, the reason it is rejected or {key: checked value})
CASES = [
    # time
    (READING, {}, {"measured_at": NOW, "values": (("pm25", 41.2), ("pm10", 66.0))}),
    (READING, {"measured_at": NOW.astimezone().isoformat()}, {"measured_at": NOW}),
    (READING, {"measured_at": (NOW - timedelta(days=7)).isoformat()}, {"measured_at": NOW - timedelta(days=7)}),
    (READING, {"measured_at": (NOW + timedelta(minutes=10)).isoformat()},
     {"measured_at": NOW + timedelta(minutes=10)}),
    (READING, {"measured_at": (NOW - timedelta(days=7, seconds=1)).isoformat()}, "out_of_range"),
    (READING, {"measured_at": (NOW + timedelta(minutes=11)).isoformat()}, "out_of_range"),
    (READING, {"measured_at": 1700000000}, "wrong_type"),
    (READING, {"measured_at": "yesterday"}, "wrong_type"),
    (READING, {"measured_at": DROP}, "missing_field"),
    (READING, {"measured_at": None}, "missing_field"),
    (CAMERA_STATUS, {"at": "2026-11-20T09:59:00+07:00"}, {"at": datetime.fromisoformat("2026-11-20T09:59:00+07:00")}),
    # parameter values
    (READING, {"values": {"ph": 7}}, {"values": (("ph", 7.0),)}),  # the schema allows it; the handler checks the kind
    (READING, {"values": {"pm25": 1000}}, {"values": (("pm25", 1000.0),)}),
    (READING, {"values": {"pm25": -1}}, "out_of_range"),
    (READING, {"values": {"pm25": 40, "pm10": 5000}}, "out_of_range"),
    (READING, {"values": {"noise": 40}}, "out_of_range"),
    (READING, {"values": {"pm25": "41"}}, "wrong_type"),
    (READING, {"values": {"pm25": True}}, "wrong_type"),
    (READING, {"values": {"pm25": math.inf}}, "out_of_range"),
    (READING, {"values": [41]}, "wrong_type"),
    (READING, {"values": {}}, "wrong_type"),
    (READING, {"values": DROP}, "missing_field"),
    # choice
    (CAMERA_STATUS, {"status": " maintenance "}, {"status": "maintenance"}),
    (CAMERA_STATUS, {"status": "broken"}, "out_of_range"),
    (CAMERA_STATUS, {"status": ""}, "out_of_range"),
    (CAMERA_STATUS, {"status": 1}, "wrong_type"),
    (CAMERA_STATUS, {"status": DROP}, "missing_field"),
    (INCIDENT, {"category": "alien_landing"}, "out_of_range"),
    (INCIDENT, {"severity": DROP}, "missing_field"),
    # text
    (INCIDENT, {"summary": "  Cháy, nổ  "}, {"summary": "Cháy, nổ"}),
    (INCIDENT, {"summary": "x" * 240}, {"summary": "x" * 240}),
    (INCIDENT, {"summary": "x" * 241}, "out_of_range"),
    (INCIDENT, {"summary": "   "}, "out_of_range"),
    (INCIDENT, {"event_id": 17}, "wrong_type"),
    (INCIDENT, {"ward_code": "12345678901"}, "out_of_range"),
    # number
    (INCIDENT, {"lon": 105}, {"lon": 105.0}),
    (INCIDENT, {"lat": "19.8"}, "wrong_type"),
    (INCIDENT, {"lat": False}, "wrong_type"),
    (INCIDENT, {"lon": math.nan}, "out_of_range"),
    (INCIDENT, {"lon": 181}, "out_of_range"),
    (INCIDENT, {"lat": DROP}, "missing_field"),
    # optional, and required when another field says so
    (INCIDENT, {}, {"resolved_at": None, "status": "open"}),
    (INCIDENT, {"resolved_at": STAMP}, {"resolved_at": NOW}),
    (INCIDENT, {"status": "resolved", "resolved_at": STAMP}, {"status": "resolved", "resolved_at": NOW}),
    (INCIDENT, {"status": "resolved"}, "missing_field"),
    (INCIDENT, {"resolved_at": "soon"}, "wrong_type"),
    # keys the schema does not name are ignored (producers may send more)
    (CAMERA_STATUS, {"firmware": "2.1"}, {"status": "online", "at": NOW}),
]


def _payload(topic: Topic, changes: dict) -> dict:
    payload = dict(GOOD[topic], **changes)
    return {key: value for key, value in payload.items() if value is not DROP}


@pytest.mark.parametrize("topic, changes, expected", CASES,
                         ids=[f"{i}-{t.name}-{','.join(c) or 'good'}" for i, (t, c, _) in enumerate(CASES)])
def test_the_schema_checks_each_field_kind(topic, changes, expected):
    payload = _payload(topic, changes)
    if isinstance(expected, str):
        with pytest.raises(Rejected) as caught:
            topic.validate(payload, NOW)
        assert caught.value.reason == expected
    else:
        checked = topic.validate(payload, NOW)
        assert set(checked) == {spec.key for spec in topic.schema}
        assert {key: checked[key] for key in expected} == expected


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.name)
def test_topic_strings_round_trip_and_match_their_subscription(topic):
    parts = {name: f"{name}-1" for name in topic.parts}
    string = topic.topic(**parts)
    assert topic.match(string) == parts
    assert topics.find(string) == (topic, parts)
    assert mqtt.topic_matches_sub(topic.subscription, string)
    assert [other.name for other in TOPICS if other.match(string) is not None] == [topic.name]
    assert topic.subscription in topics.subscriptions()


def test_the_patterns_give_todays_wire_topics():
    assert READING.topic(city="thanh-hoa", sensor_id="380-AQ01") == "ioc/thanh-hoa/sensors/380-AQ01/reading"
    assert CAMERA_STATUS.topic(city="nam-dinh", camera_id="C7") == "ioc/nam-dinh/cameras/C7/status"
    assert INCIDENT.topic(city="chi-linh") == "ioc/chi-linh/incidents"
    assert topics.subscriptions() == ("ioc/+/sensors/+/reading", "ioc/+/cameras/+/status", "ioc/+/incidents")


@pytest.mark.parametrize("string", [
    "weather/thanh-hoa/x", "ioc/thanh-hoa/sensors/S1/status", "ioc/thanh-hoa/sensors//reading",
    "ioc//incidents", "ioc/thanh-hoa/incidents/extra", "ioc/thanh-hoa", "",
])
def test_strings_of_no_topic_match_none(string):
    assert topics.find(string) is None


@pytest.mark.parametrize("parts", [
    {"city": "thanh-hoa"}, {"city": "thanh-hoa", "sensor_id": "S1", "extra": "x"},
    {"city": "thanh-hoa", "sensor_id": "a/b"}, {"city": "+", "sensor_id": "S1"},
    {"city": "thanh-hoa", "sensor_id": "#"}, {"city": "", "sensor_id": "S1"},
])
def test_a_topic_string_needs_exactly_its_parts_without_separators_or_wildcards(parts):
    with pytest.raises(ValueError):
        READING.topic(**parts)


@pytest.mark.parametrize("pattern, schema", [
    ("ioc/{city}/x/{city}", ()),
    ("ioc/+/x", ()),
    ("ioc/{city}/x", (TimeField("until", "", required=False, required_when=("mode", "timed")),
                      TextField("mode", "", max_length=10))),
])
def test_a_badly_declared_topic_is_refused(pattern, schema):
    with pytest.raises(ValueError):
        Topic("bad", pattern, "", schema, lambda fields, parts, known: None)


def test_every_parameter_of_a_station_kind_has_a_range():
    assert {p for names in topics.PARAMETERS.values() for p in names} == set(topics.VALUE_RANGES)


# --- a topic added by declaration only -------------------------------------------------------

@dataclass(frozen=True)
class NoiseMessage:
    meter_id: str
    city: str
    decibels: float
    at: datetime


NOISE = Topic(
    "noise", "ioc/{city}/noise/{meter_id}/level", "a noise meter's level",
    (NumberField("decibels", "A-weighted level", low=0.0, high=200.0), TimeField("at", "when it was measured")),
    lambda fields, parts, known: NoiseMessage(parts["meter_id"], parts["city"], fields["decibels"], fields["at"]))


@pytest.fixture
def with_noise(monkeypatch):
    monkeypatch.setattr(topics, "TOPICS", (*topics.TOPICS, NOISE))
    return NOISE


def test_a_declared_topic_is_subscribed_and_parsed(with_noise):
    registry = Registry(bounds={"thanh-hoa": (105.0, 19.0, 106.5, 20.5)})
    string = with_noise.topic(city="thanh-hoa", meter_id="m-1")
    assert "ioc/+/noise/+/level" in topics.subscriptions()
    message = parse_message(string, b'{"decibels": 71.5, "at": "2026-11-20T09:58:00"}', registry, NOW)
    assert message == NoiseMessage("m-1", "thanh-hoa", 71.5, NOW - timedelta(minutes=2))
    with pytest.raises(Rejected) as caught:
        parse_message(string, b'{"decibels": 900, "at": "2026-11-20T09:58:00"}', registry, NOW)
    assert caught.value.reason == "out_of_range"
    with pytest.raises(Rejected) as caught:
        parse_message(with_noise.topic(city="hanoi", meter_id="m-1"), b"{}", registry, NOW)
    assert caught.value.reason == "unknown_city"
    assert "`ioc/{city}/noise/{meter_id}/level`" in topics.markdown_table()


def test_rejected_takes_only_the_counted_reasons():
    with pytest.raises(ValueError):
        Rejected("too_loud", "a reason nobody counts")


# --- the README -------------------------------------------------------------------------------

def _readme_table() -> str:
    """The README's topic table: the block of table lines that starts with its header."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    header = topics.markdown_table().splitlines()[0]
    assert lines.count(header) == 1, "the README has no topic table, or more than one"
    start = lines.index(header)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end])


def test_the_readme_table_is_the_registry():
    from manage import cli

    printed = CliRunner().invoke(cli, ["topics"])
    assert printed.exit_code == 0
    assert printed.output == topics.markdown_table() + "\n"
    assert _readme_table() == topics.markdown_table(), "run `python manage.py topics` and paste it in the README"


def test_a_topic_missing_from_the_readme_is_noticed(with_noise):
    assert _readme_table() != topics.markdown_table()


def test_a_changed_rule_changes_the_table(monkeypatch):
    shorter = dataclasses.replace(INCIDENT, schema=tuple(
        dataclasses.replace(spec, max_length=120) if spec.key == "summary" else spec for spec in INCIDENT.schema))
    monkeypatch.setattr(topics, "TOPICS", (READING, CAMERA_STATUS, shorter))
    assert "1 to 120 characters" in topics.markdown_table()
    assert _readme_table() != topics.markdown_table()
