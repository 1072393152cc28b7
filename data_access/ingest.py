"""The live feed's way into the IOC database: validate one message, write many at once.

Messages come from MQTT (`live/mqtt_ingest.py`) or straight from the simulator
(`--direct`); both go through `parse_message` and `IngestWriter`, so what lands is
the same. A message is checked whole before anything is written (a reading with one
bad value is rejected, none of its values land); accepted messages are written in
batches, one transaction each, with duplicates (QoS 1 redelivery) ignored.

Topics and payloads (README, "Live feed"):
  ioc/<city>/sensors/<sensor_id>/reading  {"measured_at": ISO-8601, "values": {"pm25": 41.2, ...}}
  ioc/<city>/cameras/<camera_id>/status   {"status": "online|offline|maintenance", "at": ISO-8601}
  ioc/<city>/incidents                    {"event_id", "ward_code", "category", "severity", "lon", "lat",
                                           "summary", "reported_at", "status"[, "resolved_at"]}
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from data_access.db import DatabaseUnavailable, is_connection_error, short_error
from data_access.models import Camera, CameraStatusSample, City, Incident, IngestCounter, Reading, Sensor, Ward
from data_access.operations import INCIDENT_CATEGORIES, INCIDENT_STATUSES, SEVERITIES

log = logging.getLogger(__name__)

PARAMETERS = {"air": ("pm25", "pm10"), "water": ("ph", "do", "cod")}
VALUE_RANGES = {"pm25": (0.0, 1000.0), "pm10": (0.0, 2000.0), "ph": (0.0, 14.0), "do": (0.0, 20.0),
                "cod": (0.0, 500.0)}
CAMERA_STATUSES = ("online", "offline", "maintenance")
MAX_PAST = timedelta(days=7)
MAX_FUTURE = timedelta(minutes=10)
MAX_PAYLOAD_BYTES = 16_384
REJECT_REASONS = ("invalid_topic", "invalid_json", "missing_field", "wrong_type", "out_of_range",
                  "unknown_city", "unknown_sensor", "unknown_camera", "unknown_ward", "db_error")


class Rejected(ValueError):
    """A message that must not be written; `reason` is one of REJECT_REASONS."""

    def __init__(self, reason: str, detail: str):
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


Message = ReadingMessage | CameraStatusMessage | IncidentMessage


@dataclass
class Registry:
    """What a message may refer to, read once from the database (and again when a
    message names something unknown, at most every `refresh_s` seconds)."""
    sensors: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (city, kind)
    cameras: dict[str, str] = field(default_factory=dict)  # id -> city
    wards: dict[str, str] = field(default_factory=dict)  # gso code -> city
    bounds: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # city -> box
    loaded_at: float = 0.0

    @classmethod
    def load(cls, engine: Engine) -> "Registry":
        registry = cls()
        registry.reload(engine)
        return registry

    def reload(self, engine: Engine) -> None:
        try:
            self._read(engine)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"the IOC database cannot take live data ({short_error(exc)}); "
                "run `python manage.py migrate` (or `demo`) first") from exc
        self.loaded_at = time.monotonic()

    def _read(self, engine: Engine) -> None:
        with engine.connect() as connection:
            connection.execute(select(IngestCounter.name).limit(1)).all()
            self.sensors = {r.id: (r.city_slug, r.kind) for r in connection.execute(
                select(Sensor.id, Sensor.city_slug, Sensor.kind))}
            self.cameras = dict(connection.execute(select(Camera.id, Camera.city_slug)).all())
            self.wards = dict(connection.execute(select(Ward.gso_code, Ward.city_slug)).all())
            self.bounds = {}
            for city in connection.execute(select(City.slug)).scalars():
                box = connection.execute(select(
                    Ward.centre_lon, Ward.centre_lat, Ward.area_km2).where(Ward.city_slug == city)).all()
                self.bounds[city] = _padded_box(box)


def _padded_box(wards) -> tuple[float, float, float, float]:
    """A box around the city's wards with room for their size (about 0.1° spare)."""
    lons = [w.centre_lon for w in wards] or [0.0]
    lats = [w.centre_lat for w in wards] or [0.0]
    return min(lons) - 0.1, min(lats) - 0.1, max(lons) + 0.1, max(lats) + 0.1


def to_local_naive(moment: datetime) -> datetime:
    """Stored times are the server's local wall time without zone, as the demo and pages use."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def _time(payload: dict, key: str, now: datetime, required: bool = True) -> datetime | None:
    raw = payload.get(key)
    if raw is None:
        if required:
            raise Rejected("missing_field", key)
        return None
    if not isinstance(raw, str):
        raise Rejected("wrong_type", f"{key} must be an ISO-8601 string")
    try:
        moment = to_local_naive(datetime.fromisoformat(raw))
    except ValueError:
        raise Rejected("wrong_type", f"{key} is not an ISO-8601 time: {raw[:40]!r}") from None
    if not now - MAX_PAST <= moment <= now + MAX_FUTURE:
        raise Rejected("out_of_range", f"{key} {raw[:40]} is more than 7 days old or in the future")
    return moment


def _number(value, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected("wrong_type", f"{key} must be a number")
    if not math.isfinite(value):
        raise Rejected("out_of_range", f"{key} is not finite")
    return float(value)


def _text(payload: dict, key: str, limit: int) -> str:
    value = payload.get(key)
    if value is None:
        raise Rejected("missing_field", key)
    if not isinstance(value, str):
        raise Rejected("wrong_type", f"{key} must be a string")
    value = value.strip()
    if not value or len(value) > limit:
        raise Rejected("out_of_range", f"{key} must have 1 to {limit} characters")
    return value


def _choice(payload: dict, key: str, allowed: Iterable[str]) -> str:
    value = _text(payload, key, 40)
    if value not in allowed:
        raise Rejected("out_of_range", f"{key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _payload(raw: bytes) -> dict:
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise Rejected("out_of_range", f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected("invalid_json", str(exc)[:80]) from None
    if not isinstance(payload, dict):
        raise Rejected("invalid_json", "payload must be a JSON object")
    return payload


def parse_message(topic: str, raw: bytes, registry: Registry, now: datetime | None = None) -> Message:
    """The validated message, or Rejected with the reason. Nothing here touches the database."""
    now = now or datetime.now()
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != "ioc":
        raise Rejected("invalid_topic", topic[:120])
    city = parts[1]
    if city not in registry.bounds:
        raise Rejected("unknown_city", city[:40])
    if len(parts) == 5 and parts[2] == "sensors" and parts[4] == "reading":
        return _reading(city, parts[3], _payload(raw), registry, now)
    if len(parts) == 5 and parts[2] == "cameras" and parts[4] == "status":
        return _camera_status(city, parts[3], _payload(raw), registry, now)
    if len(parts) == 3 and parts[2] == "incidents":
        return _incident(city, _payload(raw), registry, now)
    raise Rejected("invalid_topic", topic[:120])


def _reading(city: str, sensor_id: str, payload: dict, registry: Registry, now: datetime) -> ReadingMessage:
    known = registry.sensors.get(sensor_id)
    if known is None or known[0] != city:
        raise Rejected("unknown_sensor", sensor_id[:40])
    measured_at = _time(payload, "measured_at", now)
    values = payload.get("values")
    if values is None:
        raise Rejected("missing_field", "values")
    if not isinstance(values, dict) or not values:
        raise Rejected("wrong_type", "values must be a non-empty object of parameter: number")
    allowed = PARAMETERS[known[1]]
    checked = []
    for parameter, value in values.items():
        if parameter not in allowed:
            raise Rejected("out_of_range", f"{parameter!r} is not measured by a {known[1]} sensor")
        number = _number(value, parameter)
        low, high = VALUE_RANGES[parameter]
        if not low <= number <= high:
            raise Rejected("out_of_range", f"{parameter} {number} outside {low}..{high}")
        checked.append((parameter, number))
    return ReadingMessage(sensor_id, measured_at, tuple(checked))


def _camera_status(city: str, camera_id: str, payload: dict, registry: Registry,
                   now: datetime) -> CameraStatusMessage:
    if registry.cameras.get(camera_id) != city:
        raise Rejected("unknown_camera", camera_id[:40])
    return CameraStatusMessage(camera_id, _choice(payload, "status", CAMERA_STATUSES), _time(payload, "at", now))


def _incident(city: str, payload: dict, registry: Registry, now: datetime) -> IncidentMessage:
    event_id = _text(payload, "event_id", 64)
    ward_code = _text(payload, "ward_code", 10)
    if registry.wards.get(ward_code) != city:
        raise Rejected("unknown_ward", ward_code)
    lon, lat = _required_number(payload, "lon"), _required_number(payload, "lat")
    west, south, east, north = registry.bounds[city]
    if not (west <= lon <= east and south <= lat <= north):
        raise Rejected("out_of_range", f"position {lon:.5f}, {lat:.5f} is outside {city}")
    status = _choice(payload, "status", INCIDENT_STATUSES)
    reported_at = _time(payload, "reported_at", now)
    resolved_at = _time(payload, "resolved_at", now, required=status == "resolved")
    if resolved_at is not None and resolved_at < reported_at:
        raise Rejected("out_of_range", "resolved_at is before reported_at")
    return IncidentMessage(event_id, city, ward_code, _choice(payload, "category", INCIDENT_CATEGORIES),
                           _choice(payload, "severity", SEVERITIES), lon, lat, _text(payload, "summary", 240),
                           reported_at, status, resolved_at if status == "resolved" else None)


def _required_number(payload: dict, key: str) -> float:
    if payload.get(key) is None:
        raise Rejected("missing_field", key)
    return _number(payload[key], key)


def _insert_ignoring_duplicates(table, dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def write_messages(connection, messages: list[Message], now: datetime) -> Counter:
    """Write a batch inside the caller's transaction; returns accepted counts by kind."""
    dialect = connection.dialect.name
    readings = [{"sensor_id": m.sensor_id, "measured_at": m.measured_at, "parameter": p, "value": v}
                for m in messages if isinstance(m, ReadingMessage) for p, v in m.values]
    if readings:
        connection.execute(_insert_ignoring_duplicates(Reading.__table__, dialect), readings)
    statuses = [m for m in messages if isinstance(m, CameraStatusMessage)]
    if statuses:
        _write_camera_statuses(connection, statuses)
    incidents = [m for m in messages if isinstance(m, IncidentMessage)]
    if incidents:
        _write_incidents(connection, incidents)
    counts = Counter({"reading": sum(isinstance(m, ReadingMessage) for m in messages),
                      "camera_status": len(statuses), "incident": len(incidents)})
    return +counts


def _write_camera_statuses(connection, statuses: list[CameraStatusMessage]) -> None:
    connection.execute(CameraStatusSample.__table__.insert(),
                       [{"camera_id": m.camera_id, "sampled_at": m.at, "status": m.status} for m in statuses])
    latest = {m.camera_id: m for m in sorted(statuses, key=lambda m: m.at)}
    table = Camera.__table__
    online = [{"b_id": m.camera_id, "b_status": m.status, "b_at": m.at}
              for m in latest.values() if m.status == "online"]
    others = [{"b_id": m.camera_id, "b_status": m.status} for m in latest.values() if m.status != "online"]
    if online:
        connection.execute(update(table).where(table.c.id == bindparam("b_id"))
                           .values(status=bindparam("b_status"), last_seen=bindparam("b_at")), online)
    if others:
        connection.execute(update(table).where(table.c.id == bindparam("b_id"))
                           .values(status=bindparam("b_status")), others)


def _write_incidents(connection, incidents: list[IncidentMessage]) -> None:
    table = Incident.__table__
    latest = {m.event_id: m for m in incidents}
    known = set(connection.execute(select(table.c.external_id)
                                   .where(table.c.external_id.in_(list(latest)))).scalars())
    fresh = [_incident_row(m) for key, m in latest.items() if key not in known]
    changed = [{"b_external": m.event_id, "b_status": m.status, "b_resolved": m.resolved_at,
                "b_severity": m.severity} for key, m in latest.items() if key in known]
    if fresh:
        connection.execute(table.insert(), fresh)
    if changed:
        connection.execute(update(table).where(table.c.external_id == bindparam("b_external"))
                           .values(status=bindparam("b_status"), resolved_at=bindparam("b_resolved"),
                                   severity=bindparam("b_severity")), changed)


def _incident_row(m: IncidentMessage) -> dict:
    return {"external_id": m.event_id, "city_slug": m.city, "ward_code": m.ward_code, "category": m.category,
            "severity": m.severity, "lon": m.lon, "lat": m.lat, "summary": m.summary,
            "reported_at": m.reported_at, "resolved_at": m.resolved_at, "status": m.status}


def add_counters(connection, counts: Counter, now: datetime) -> None:
    """Add to the running totals (one row per counter name)."""
    if not counts:
        return
    table = IngestCounter.__table__
    existing = set(connection.execute(select(table.c.name).where(table.c.name.in_(list(counts)))).scalars())
    new = [{"name": k, "value": v, "updated_at": now} for k, v in counts.items() if k not in existing]
    old = [{"b_name": k, "b_add": v, "b_now": now} for k, v in counts.items() if k in existing]
    if new:
        connection.execute(table.insert(), new)
    if old:
        connection.execute(update(table).where(table.c.name == bindparam("b_name"))
                           .values(value=table.c.value + bindparam("b_add"), updated_at=bindparam("b_now")), old)


def ingest_counters() -> dict[str, int]:
    """Totals since the database was made: accepted.<kind> and rejected.<reason>."""
    from data_access.db import connect

    with connect("ioc") as connection:
        return dict(connection.execute(select(IngestCounter.name, IngestCounter.value)).all())


class IngestWriter:
    """Collects accepted messages and writes them in batches from one thread.

    A batch is written when `max_batch` messages wait or `flush_s` has passed, so a
    row is visible well under a second after it arrives. A batch the database refuses
    is retried message by message, so one bad row cannot sink its neighbours; while
    the database is unreachable the batch waits and is retried with backoff.
    """

    def __init__(self, engine: Engine, registry: Registry, flush_s: float = 0.2, max_batch: int = 2000):
        self.engine, self.registry = engine, registry
        self.flush_s, self.max_batch = flush_s, max_batch
        self._pending: list[Message] = []
        self._rejected: Counter = Counter()
        self._condition = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.totals: Counter = Counter()

    def accept(self, topic: str, raw: bytes, now: datetime | None = None) -> bool:
        """Validate and queue one message; a rejected one is counted and logged, never raised."""
        try:
            message = parse_message(topic, raw, self.registry, now)
        except Rejected as exc:
            if exc.reason.startswith("unknown_") and time.monotonic() - self.registry.loaded_at > 60:
                self._reload_registry()
                try:
                    message = parse_message(topic, raw, self.registry, now)
                except Rejected as again:
                    return self._reject(topic, again)
            else:
                return self._reject(topic, exc)
        with self._condition:
            self._pending.append(message)
            if len(self._pending) >= self.max_batch:
                self._condition.notify()
        return True

    def _reload_registry(self) -> None:
        try:
            self.registry.reload(self.engine)
        except DatabaseUnavailable as exc:
            log.warning("could not reload sensors and cameras: %s", exc)

    def _reject(self, topic: str, exc: Rejected) -> bool:
        log.warning("rejected message on %s: %s", topic[:120], exc)
        with self._condition:
            self._rejected[f"rejected.{exc.reason}"] += 1
        return False

    def start(self) -> "IngestWriter":
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.5
        while True:
            with self._condition:
                if not self._pending and not self._stopping:
                    self._condition.wait(self.flush_s)
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
                rejected, self._rejected = self._rejected, Counter()
                stopping = self._stopping
            if batch or rejected:
                try:
                    self.flush(batch, rejected)
                    backoff = 0.5
                except SQLAlchemyError as exc:
                    log.error("database write failed, retrying in %.1f s: %s", backoff, exc)
                    with self._condition:
                        self._pending[:0] = batch
                        self._rejected.update(rejected)
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
            if stopping and not self._pending:
                return
            if not self._pending:
                time.sleep(min(self.flush_s, 0.05))

    def flush(self, batch: list[Message], rejected: Counter | None = None) -> Counter:
        """Write one batch and the counters in one transaction; on a refused batch, one by one."""
        now = datetime.now()
        rejected = Counter(rejected or {})
        try:
            with self.engine.begin() as connection:
                accepted = write_messages(connection, batch, now)
                add_counters(connection, _accepted_names(accepted) + rejected, now)
        except SQLAlchemyError as exc:
            if not batch or _is_disconnect(exc):
                raise
            accepted = Counter()
            for message in batch:
                try:
                    with self.engine.begin() as connection:
                        accepted += write_messages(connection, [message], now)
                except SQLAlchemyError as single:
                    if _is_disconnect(single):
                        raise
                    log.warning("database refused %r: %s", message, str(single).splitlines()[0][:200])
                    rejected["rejected.db_error"] += 1
            with self.engine.begin() as connection:
                add_counters(connection, _accepted_names(accepted) + rejected, now)
        self.totals.update(_accepted_names(accepted) + rejected)
        return accepted


def _accepted_names(accepted: Counter) -> Counter:
    return Counter({f"accepted.{kind}": n for kind, n in accepted.items()})


def _is_disconnect(exc: SQLAlchemyError) -> bool:
    """Worth retrying the whole batch later: a lost connection, or any operational error
    (SQLite's "database is locked" is one), as opposed to a row the database refuses."""
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError) or is_connection_error(exc)
