"""The live feed's MQTT topics, each declared once: pattern, payload schema, handler.

Everything else reads this registry. Publishers build topic strings with
`READING.topic(city=..., sensor_id=...)`; the ingester subscribes to `subscriptions()`
(`+` for every `{part}`); `loaders.live_feed.parse_message` finds the topic with `find`,
checks the payload against the topic's schema and hands the checked fields and the
topic's parts to its handler; the README's table comes from `markdown_table()`
(`python manage.py topics`). A new topic is one more `Topic(...)` in TOPICS.

A schema is a tuple of field specs (time, number, text, choice, parameter values),
each with its rule and a one-line meaning. A handler does only what a schema cannot:
cross-checks against what the database knows (sensor, camera, ward in that city, a
position inside the city) and between fields. Nothing here touches the database.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Callable, Mapping, Protocol

from domain.city_time import to_utc
from domain.incidents import INCIDENT_CATEGORIES, INCIDENT_STATUSES, SEVERITIES

PARAMETERS = {"air": ("pm25", "pm10"), "water": ("ph", "do", "cod")}
VALUE_RANGES = {"pm25": (0.0, 1000.0), "pm10": (0.0, 2000.0), "ph": (0.0, 14.0), "do": (0.0, 20.0),
                "cod": (0.0, 500.0)}
CAMERA_STATUSES = ("online", "offline", "maintenance")
MAX_PAST = timedelta(days=7)
MAX_FUTURE = timedelta(minutes=10)
REJECT_REASONS = ("invalid_topic", "invalid_json", "missing_field", "wrong_type", "out_of_range",
                  "unknown_city", "unknown_sensor", "unknown_camera", "unknown_ward", "db_error")
WILDCARDS = "+#"


class Rejected(ValueError):
    """A message that must not be written; `reason` is one of REJECT_REASONS."""

    def __init__(self, reason: str, detail: str):
        if reason not in REJECT_REASONS:
            raise ValueError(f"{reason!r} is not one of REJECT_REASONS")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class ReadingMessage:
    sensor_id: str
    measured_at: datetime
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class CameraStatusMessage:
    camera_id: str
    status: str
    at: datetime


@dataclass(frozen=True)
class IncidentMessage:
    event_id: str
    city: str
    ward_code: str
    category: str
    severity: str
    lon: float
    lat: float
    summary: str
    reported_at: datetime
    status: str
    resolved_at: datetime | None


class KnownThings(Protocol):
    """What a handler may consult; `loaders.live_feed.Registry` reads it from the database."""
    sensors: dict[str, tuple[str, str]]  # id -> (city, kind)
    cameras: dict[str, str]  # id -> city
    wards: dict[str, str]  # gso code -> city
    bounds: dict[str, tuple[float, float, float, float]]  # city -> west, south, east, north


# --- field specs ---------------------------------------------------------------------------

def _amount(value: float) -> str:
    return format(value, ",g")


def _checked_number(value, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected("wrong_type", f"{key} must be a number")
    if not math.isfinite(value):
        raise Rejected("out_of_range", f"{key} is not finite")
    if not low <= value <= high:
        raise Rejected("out_of_range", f"{key} {value} outside {low}..{high}")
    return float(value)


def _string(value, key: str) -> str:
    if not isinstance(value, str):
        raise Rejected("wrong_type", f"{key} must be a string")
    return value.strip()


@dataclass(frozen=True)
class FieldSpec:
    """One payload field: its key, what it means, and whether it must be there
    (always, never, or when an earlier field has a given value)."""
    key: str
    help: str
    required: bool = field(default=True, kw_only=True)
    required_when: tuple[str, str] | None = field(default=None, kw_only=True)  # (earlier key, value)

    def read(self, payload: Mapping, checked: Mapping, now: datetime) -> Any:
        """The checked value, None when absent and allowed to be, or Rejected."""
        raw = payload.get(self.key)
        if raw is None:
            if self.required or (self.required_when is not None
                                 and checked.get(self.required_when[0]) == self.required_when[1]):
                raise Rejected("missing_field", self.key)
            return None
        return self.check(raw, now)

    def check(self, raw, now: datetime) -> Any:
        raise NotImplementedError

    def rule(self) -> str:
        raise NotImplementedError

    def presence(self) -> str:
        if self.required:
            return "required"
        if self.required_when is not None:
            return f"when `{self.required_when[0]}` is `{self.required_when[1]}`"
        return "optional"


@dataclass(frozen=True)
class TimeField(FieldSpec):
    """An ISO-8601 time with any offset (one without is city time) inside a window around now; kept in UTC."""
    max_past: timedelta = MAX_PAST
    max_future: timedelta = MAX_FUTURE

    def _window(self) -> str:
        return (f"at most {self.max_past.days} days old and {self.max_future.total_seconds() / 60:g} "
                "minutes ahead")

    def check(self, raw, now: datetime) -> datetime:
        if not isinstance(raw, str):
            raise Rejected("wrong_type", f"{self.key} must be an ISO-8601 string")
        try:
            moment = to_utc(datetime.fromisoformat(raw))
        except ValueError:
            raise Rejected("wrong_type", f"{self.key} is not an ISO-8601 time: {raw[:40]!r}") from None
        if not now - self.max_past <= moment <= now + self.max_future:
            raise Rejected("out_of_range", f"{self.key} {raw[:40]} is not {self._window()}")
        return moment

    def rule(self) -> str:
        return f"ISO-8601 time, {self._window()}"


@dataclass(frozen=True)
class NumberField(FieldSpec):
    low: float
    high: float

    def check(self, raw, now: datetime) -> float:
        return _checked_number(raw, self.key, self.low, self.high)

    def rule(self) -> str:
        return f"number, {_amount(self.low)} to {_amount(self.high)}"


@dataclass(frozen=True)
class TextField(FieldSpec):
    max_length: int

    def check(self, raw, now: datetime) -> str:
        value = _string(raw, self.key)
        if not value or len(value) > self.max_length:
            raise Rejected("out_of_range", f"{self.key} must have 1 to {self.max_length} characters")
        return value

    def rule(self) -> str:
        return f"text, 1 to {self.max_length} characters"


@dataclass(frozen=True)
class ChoiceField(FieldSpec):
    allowed: tuple[str, ...]

    def check(self, raw, now: datetime) -> str:
        value = _string(raw, self.key)
        if value not in self.allowed:
            raise Rejected("out_of_range", f"{self.key} {value[:40]!r} is not one of {', '.join(self.allowed)}")
        return value

    def rule(self) -> str:
        return "one of " + ", ".join(f"`{choice}`" for choice in self.allowed)


@dataclass(frozen=True)
class ValuesField(FieldSpec):
    """A non-empty object of parameter → number, each parameter with its range."""
    ranges: Mapping[str, tuple[float, float]] = field(hash=False)  # left out of the hash: a dict has none

    def check(self, raw, now: datetime) -> tuple[tuple[str, float], ...]:
        if not isinstance(raw, dict) or not raw:
            raise Rejected("wrong_type", f"{self.key} must be a non-empty object of parameter: number")
        checked = []
        for parameter, value in raw.items():
            if parameter not in self.ranges:
                raise Rejected("out_of_range", f"{parameter[:40]!r} is not one of {', '.join(self.ranges)}")
            checked.append((parameter, _checked_number(value, parameter, *self.ranges[parameter])))
        return tuple(checked)

    def rule(self) -> str:
        return "object of parameter → number: " + ", ".join(
            f"`{name}` {_amount(low)} to {_amount(high)}" for name, (low, high) in self.ranges.items())


# --- topics --------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any], dict[str, str], KnownThings], Any]


@dataclass(frozen=True)
class Topic:
    """One kind of message: `pattern` has literal segments and `{part}` segments; the
    handler gets the fields its schema checked, the topic's parts and what is known."""
    name: str
    pattern: str
    help: str
    schema: tuple[FieldSpec, ...]
    handler: Handler

    def __post_init__(self):
        names = [name for _, name in self._segments if name]
        if len(set(names)) != len(names):
            raise ValueError(f"topic {self.name}: a part is named twice in {self.pattern}")
        if any(literal and set(literal) & set(WILDCARDS) for literal, _ in self._segments):
            raise ValueError(f"topic {self.name}: wildcards belong in subscriptions, not in {self.pattern}")
        keys = [spec.key for spec in self.schema]
        for position, spec in enumerate(self.schema):
            if spec.required_when and spec.required_when[0] not in keys[:position]:
                raise ValueError(f"topic {self.name}: {spec.key} depends on {spec.required_when[0]}, "
                                 "which must come before it")

    @cached_property
    def _segments(self) -> tuple[tuple[str | None, str | None], ...]:
        """(literal, None) or (None, part name) for each level of the pattern."""
        return tuple((None, level[1:-1]) if level.startswith("{") and level.endswith("}") else (level, None)
                     for level in self.pattern.split("/"))

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(name for _, name in self._segments if name)

    def topic(self, **parts: str) -> str:
        """The topic string to publish to, e.g. READING.topic(city="thanh-hoa", sensor_id="380-AQ01")."""
        if set(parts) != set(self.parts):
            raise ValueError(f"topic {self.name} needs the parts {', '.join(self.parts)}, got {', '.join(parts)}")
        for name, value in parts.items():
            if not isinstance(value, str) or not value or set(value) & set("/" + WILDCARDS):
                raise ValueError(f"topic {self.name}: {name} must be a non-empty text without / + #, got {value!r}")
        return "/".join(literal if name is None else parts[name] for literal, name in self._segments)

    @property
    def subscription(self) -> str:
        """The MQTT subscription for every topic of this kind (`+` for each part)."""
        return "/".join("+" if name else literal for literal, name in self._segments)

    def match(self, topic: str) -> dict[str, str] | None:
        """The parts of `topic` if it is of this kind, else None."""
        levels = topic.split("/")
        if len(levels) != len(self._segments):
            return None
        parts = {}
        for level, (literal, name) in zip(levels, self._segments):
            if name is None:
                if level != literal:
                    return None
            elif not level:
                return None
            else:
                parts[name] = level
        return parts

    def validate(self, payload: Mapping, now: datetime) -> dict[str, Any]:
        """Every field of the schema checked in order (the first fault raises Rejected);
        keys the schema does not name are ignored."""
        checked: dict[str, Any] = {}
        for spec in self.schema:
            checked[spec.key] = spec.read(payload, checked, now)
        return checked


# --- handlers: the checks a schema cannot make ---------------------------------------------

def _reading(fields: dict, parts: dict, known: KnownThings) -> ReadingMessage:
    sensor_id = parts["sensor_id"]
    city_and_kind = known.sensors.get(sensor_id)
    if city_and_kind is None or city_and_kind[0] != parts["city"]:
        raise Rejected("unknown_sensor", sensor_id[:40])
    kind = city_and_kind[1]
    for parameter, _ in fields["values"]:
        if parameter not in PARAMETERS[kind]:
            raise Rejected("out_of_range", f"{parameter!r} is not measured by a {kind} sensor")
    return ReadingMessage(sensor_id, fields["measured_at"], fields["values"])


def _camera_status(fields: dict, parts: dict, known: KnownThings) -> CameraStatusMessage:
    camera_id = parts["camera_id"]
    if known.cameras.get(camera_id) != parts["city"]:
        raise Rejected("unknown_camera", camera_id[:40])
    return CameraStatusMessage(camera_id, fields["status"], fields["at"])


def _incident(fields: dict, parts: dict, known: KnownThings) -> IncidentMessage:
    city, ward_code = parts["city"], fields["ward_code"]
    if known.wards.get(ward_code) != city:
        raise Rejected("unknown_ward", ward_code)
    lon, lat = fields["lon"], fields["lat"]
    west, south, east, north = known.bounds[city]
    if not (west <= lon <= east and south <= lat <= north):
        raise Rejected("out_of_range", f"position {lon:.5f}, {lat:.5f} is outside {city}")
    reported_at, resolved_at = fields["reported_at"], fields["resolved_at"]
    if resolved_at is not None and resolved_at < reported_at:
        raise Rejected("out_of_range", "resolved_at is before reported_at")
    resolved = fields["status"] == "resolved"
    return IncidentMessage(fields["event_id"], city, ward_code, fields["category"], fields["severity"], lon, lat,
                           fields["summary"], reported_at, fields["status"], resolved_at if resolved else None)


_STATION_PARAMETERS = "; ".join(f"{kind} `{'`, `'.join(names)}`" for kind, names in PARAMETERS.items())

READING = Topic(
    "reading", "ioc/{city}/sensors/{sensor_id}/reading", "one measurement of an air or water station",
    (TimeField("measured_at", "when the station measured"),
     ValuesField("values", f"the parameters of the station's kind ({_STATION_PARAMETERS}); "
                           "PM in µg/m³, DO and COD in mg/L", ranges=VALUE_RANGES)),
    _reading)

CAMERA_STATUS = Topic(
    "camera_status", "ioc/{city}/cameras/{camera_id}/status", "a camera's heartbeat or change of state",
    (ChoiceField("status", "the camera's state", allowed=CAMERA_STATUSES),
     TimeField("at", "when the camera was in that state")),
    _camera_status)

INCIDENT = Topic(
    "incident", "ioc/{city}/incidents", "an incident reported, or an update of one",
    (TextField("event_id", "the producer's id; the same id updates the incident", max_length=64),
     TextField("ward_code", "GSO code of a ward of the city", max_length=10),
     ChoiceField("category", "kind of incident", allowed=INCIDENT_CATEGORIES),
     ChoiceField("severity", "how serious", allowed=SEVERITIES),
     NumberField("lon", "longitude (WGS 84), inside the city", low=-180.0, high=180.0),
     NumberField("lat", "latitude (WGS 84), inside the city", low=-90.0, high=90.0),
     TextField("summary", "what happened, for the operators", max_length=240),
     TimeField("reported_at", "when it was reported"),
     ChoiceField("status", "where its handling stands", allowed=INCIDENT_STATUSES),
     TimeField("resolved_at", "when it was resolved; not before reported_at", required=False,
               required_when=("status", "resolved"))),
    _incident)

TOPICS: tuple[Topic, ...] = (READING, CAMERA_STATUS, INCIDENT)


def subscriptions() -> tuple[str, ...]:
    """What the ingester subscribes to: one wildcard subscription per topic."""
    return tuple(topic.subscription for topic in TOPICS)


def find(topic: str) -> tuple[Topic, dict[str, str]] | None:
    """The registered topic that `topic` is an instance of, with its parts; None if none is."""
    for candidate in TOPICS:
        parts = candidate.match(topic)
        if parts is not None:
            return candidate, parts
    return None


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table() -> str:
    """The README's table of topics and payload fields (`python manage.py topics`)."""
    lines = ["| topic | field | presence | value | meaning |", "|---|---|---|---|---|"]
    for topic in TOPICS:
        head = f"`{topic.pattern}`: {topic.help}"
        rows = [(f"`{spec.key}`", spec.presence(), spec.rule(), spec.help) for spec in topic.schema]
        for position, row in enumerate(rows or [("", "", "any JSON object", "")]):
            lines.append("| " + " | ".join(_cell(cell) for cell in (head if position == 0 else "", *row)) + " |")
    return "\n".join(lines)
