"""The live feed's way into the IOC database: validate one message, write many at once.

Messages come from MQTT (`live/mqtt_ingest.py`) or straight from the simulator
(`--direct`); both go through `parse_message` and `IngestWriter`, so what lands is
the same. A message is checked whole before anything is written (a reading with one
bad value is rejected, none of its values land); accepted messages are written in
batches, one transaction each, with duplicates (QoS 1 redelivery) ignored.

Topics, payload schemas and the checks behind them are declared once in
`loaders/topics.py` (`python manage.py topics` prints them, as in the README).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine, bindparam, select, text, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

import settings
from data_access.db import DatabaseUnavailable, is_connection_error, short_error
from data_access.models import Camera, CameraStatusSample, City, Incident, IngestCounter, Sensor, Ward
from domain.city_time import to_utc, utc_now
from loaders import topics
from loaders.topics import CameraStatusMessage, IncidentMessage, ReadingMessage, Rejected

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 16_384
Message = ReadingMessage | CameraStatusMessage | IncidentMessage


@dataclass
class CityAssets:
    """What a message about one city may refer to: its sensors and cameras in service keyed by
    their `external_id` (the id the city's systems publish), and the internal id of each."""
    sensors: dict[str, tuple[str, str]]  # external id -> (city, kind)
    cameras: dict[str, str]  # external id -> city
    wards: dict[str, str]
    bounds: dict[str, tuple[float, float, float, float]]
    sensor_ids: dict[str, str] = field(default_factory=dict)  # external id -> internal id
    camera_ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Registry:
    """What a message may refer to, read once from the database (and again when a
    message names something unknown, at most every `refresh_s` seconds).

    Topics name sensors and cameras by their `external_id`, unique within a city (two cities'
    systems may use the same ids): a message is checked against its city's assets in service
    (`for_city`), then written under the internal id (`internal`). A retired asset is not here,
    so its messages are rejected and counted like an unknown one's."""
    sensors: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (city, kind)
    cameras: dict[str, str] = field(default_factory=dict)  # id -> city
    wards: dict[str, str] = field(default_factory=dict)  # gso code -> city
    bounds: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # city -> box
    by_city: dict[str, CityAssets] = field(default_factory=dict)
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
            sensors = connection.execute(select(Sensor.id, Sensor.external_id, Sensor.city_slug, Sensor.kind)
                                         .where(Sensor.retired_at.is_(None))).all()
            cameras = connection.execute(select(Camera.id, Camera.external_id, Camera.city_slug)
                                         .where(Camera.retired_at.is_(None))).all()
            self.wards = dict(connection.execute(select(Ward.gso_code, Ward.city_slug)).all())
            self.bounds = {}
            for city in connection.execute(select(City.slug)).scalars():
                box = connection.execute(select(
                    Ward.centre_lon, Ward.centre_lat, Ward.area_km2).where(Ward.city_slug == city)).all()
                self.bounds[city] = _padded_box(box)
        self.sensors = {r.id: (r.city_slug, r.kind) for r in sensors}
        self.cameras = {r.id: r.city_slug for r in cameras}
        self.by_city = {city: CityAssets({}, {}, self.wards, self.bounds) for city in self.bounds}
        for r in sensors:
            assets = self.by_city.setdefault(r.city_slug, CityAssets({}, {}, self.wards, self.bounds))
            assets.sensors[r.external_id] = (r.city_slug, r.kind)
            assets.sensor_ids[r.external_id] = r.id
        for r in cameras:
            assets = self.by_city.setdefault(r.city_slug, CityAssets({}, {}, self.wards, self.bounds))
            assets.cameras[r.external_id] = r.city_slug
            assets.camera_ids[r.external_id] = r.id

    def for_city(self, city: str | None):
        """What a handler consults for a message about `city` (ids are external ids); a registry
        built by hand (tests) without `by_city` is its own view."""
        return self.by_city.get(city, self) if self.by_city else self

    def internal(self, city: str | None, message):
        """The message with the internal id of the sensor or camera it names."""
        assets = self.by_city.get(city) if self.by_city else None
        if assets is None:
            return message
        if isinstance(message, CameraStatusMessage):
            return replace(message, camera_id=assets.camera_ids[message.camera_id])
        if isinstance(message, ReadingMessage):
            return replace(message, sensor_id=assets.sensor_ids[message.sensor_id])
        return message


def _padded_box(wards) -> tuple[float, float, float, float]:
    """A box around the city's wards with room for their size (about 0.1° spare)."""
    lons = [w.centre_lon for w in wards] or [0.0]
    lats = [w.centre_lat for w in wards] or [0.0]
    return min(lons) - 0.1, min(lats) - 0.1, max(lons) + 0.1, max(lats) + 0.1


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
    """The validated message, or Rejected with the reason. Nothing here touches the database.

    The topic names the kind (`loaders.topics.find`); a city the database does not know is
    refused before the payload is read; then the kind's schema checks the payload and its
    handler cross-checks it against `registry`."""
    found = topics.find(topic)
    if found is None:
        raise Rejected("invalid_topic", topic[:120])
    kind, parts = found
    if "city" in parts and parts["city"] not in registry.bounds:
        raise Rejected("unknown_city", parts["city"][:40])
    city = parts.get("city")
    message = kind.handler(kind.validate(_payload(raw), to_utc(now) if now else utc_now()), parts,
                           registry.for_city(city))
    return registry.internal(city, message)


def write_messages(connection, messages: list[Message], now: datetime) -> Counter:
    """Write a batch inside the caller's transaction; returns what was written, by kind.

    Counts are of what landed, not of deliveries: a reading counts once per sensor and time
    whose rows were inserted, an incident when it is new or its status, severity or resolution
    changed. A QoS 1 redelivery (or any repeat) writes nothing and counts as `duplicate.<kind>`
    (keys `duplicate:reading`, `duplicate:incident` here; `_accepted_names` names them)."""
    reading_messages = [m for m in messages if isinstance(m, ReadingMessage)]
    written_readings = _insert_readings(connection, reading_messages) if reading_messages else 0
    statuses = [m for m in messages if isinstance(m, CameraStatusMessage)]
    if statuses:
        _write_camera_statuses(connection, statuses)
    incidents = [m for m in messages if isinstance(m, IncidentMessage)]
    written_incidents = _write_incidents(connection, incidents) if incidents else 0
    counts = Counter({"reading": written_readings, "camera_status": len(statuses), "incident": written_incidents,
                      "duplicate:reading": len(reading_messages) - written_readings,
                      "duplicate:incident": len(incidents) - written_incidents})
    return +counts


# The feed's hot path writes every value of every message. SQLite takes the whole batch as one JSON
# parameter, unpacked by json_each in C (one statement, nothing converted per value in Python;
# `WHERE true` is SQLite's rule for an upsert fed by a SELECT); PostgreSQL takes it by COPY.
SQLITE_INSERT_READINGS = (
    "INSERT INTO reading (sensor_id, measured_at, parameter, value) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
    "json_extract(value, '$[3]') FROM json_each(:rows) WHERE true "
    "ON CONFLICT DO NOTHING RETURNING sensor_id, measured_at")
COPY_READINGS = "COPY reading_incoming (sensor_id, measured_at, parameter, value) FROM STDIN"
MOVE_NEW_READINGS = ("INSERT INTO reading (sensor_id, measured_at, parameter, value) "
                     "SELECT sensor_id, measured_at, parameter, value FROM reading_incoming "
                     "ON CONFLICT DO NOTHING RETURNING sensor_id, measured_at")


def _insert_readings(connection, messages: list[ReadingMessage]) -> int:
    """Insert the readings' values, skipping those already stored; how many (sensor, time) got rows."""
    if connection.dialect.name == "postgresql":
        return len(set(_insert_readings_postgresql(connection, [
            (m.sensor_id, m.measured_at, parameter, value) for m in messages for parameter, value in m.values])))
    rows = [(m.sensor_id, stamp, parameter, value) for m in messages
            for stamp in (_stored_time(m.measured_at),) for parameter, value in m.values]
    return len(set(connection.execute(text(SQLITE_INSERT_READINGS), {"rows": json.dumps(rows)}).all()))


def _stored_time(moment: datetime) -> str:
    """An instant as SQLite's reading.measured_at holds it: naive UTC text with microseconds, the
    form `data_access.models.UtcDateTime` writes (a test compares the two)."""
    return to_utc(moment).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _insert_readings_postgresql(connection, rows: list[tuple]) -> list[tuple]:
    """COPY the rows into a temporary table of this session (emptied at each commit), then move
    what is new into `reading` in one statement."""
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS reading_incoming (sensor_id text, "
                       "measured_at timestamptz, parameter text, value double precision) ON COMMIT DELETE ROWS")
        with cursor.copy(COPY_READINGS) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(MOVE_NEW_READINGS)
        inserted = cursor.fetchall()
        cursor.execute("TRUNCATE reading_incoming")
    return inserted


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


def _write_incidents(connection, incidents: list[IncidentMessage]) -> int:
    """Insert new incidents, update known ones; how many messages changed something."""
    table = Incident.__table__
    latest = {m.event_id: m for m in incidents}
    known = {row.external_id: (row.status, row.severity, row.resolved_at) for row in connection.execute(
        select(table.c.external_id, table.c.status, table.c.severity, table.c.resolved_at)
        .where(table.c.external_id.in_(list(latest))))}
    fresh = [_incident_row(m) for key, m in latest.items() if key not in known]
    changed = [{"b_external": m.event_id, "b_status": m.status, "b_resolved": m.resolved_at,
                "b_severity": m.severity} for key, m in latest.items() if key in known]
    written = len(fresh) + sum(1 for key, m in latest.items() if key in known
                               and known[key] != (m.status, m.severity, m.resolved_at))
    if fresh:
        connection.execute(table.insert(), fresh)
    if changed:
        connection.execute(update(table).where(table.c.external_id == bindparam("b_external"))
                           .values(status=bindparam("b_status"), resolved_at=bindparam("b_resolved"),
                                   severity=bindparam("b_severity")), changed)
    return written


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


class IngestWriter:
    """Collects accepted messages and writes them in batches from one thread.

    A batch is written when `max_batch` messages wait or `flush_s` has passed, so a
    row is visible well under a second after it arrives. A batch the database refuses
    is retried message by message, so one bad row cannot sink its neighbours; while
    the database is unreachable the batch waits and is retried with backoff.
    """

    def __init__(self, engine: Engine, registry: Registry, flush_s: float = 0.2, max_batch: int = 2000,
                 after_batch=None):
        self.engine, self.registry = engine, registry
        # Called with each written batch (streaming alert rules, `loaders.alerts.AlertStream`): it must
        # be cheap, and whatever it raises is logged, never allowed to lose or hold back readings.
        self.after_batch = after_batch
        self.flush_s, self.max_batch = flush_s, max_batch
        self._pending: list[Message] = []
        self._rejected: Counter = Counter()
        self._condition = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.totals: Counter = Counter()
        self.rejection_log = RejectionLog()

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
        self.rejection_log.rejected(topic, exc)
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
            self.rejection_log.flush()
            if stopping and not self._pending:
                return
            if not self._pending:
                time.sleep(min(self.flush_s, 0.05))

    def flush(self, batch: list[Message], rejected: Counter | None = None) -> Counter:
        """Write one batch and the counters in one transaction; on a refused batch, one by one."""
        now = utc_now()
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
        if self.after_batch is not None and batch:
            try:
                self.after_batch(batch)
            except Exception:  # noqa: BLE001 - the batch is committed; a hook's failure must not look like a write failure
                log.exception("the after-batch hook failed (the batch is written)")
        return accepted


def _accepted_names(accepted: Counter) -> Counter:
    """Counter names of `write_messages`' counts: accepted.<kind>, duplicate.<kind>."""
    return Counter({kind.replace(":", ".") if ":" in kind else f"accepted.{kind}": n for kind, n in accepted.items()})


class RejectionLog:
    """Rejections logged without flooding: per reason, the first `per_minute` of each minute
    are logged one by one; the others are only counted, and said in one line when that
    reason's minute is over (MQTT_REJECT_LOG_PER_MINUTE; every rejection is still counted
    in `ingest_counter`)."""

    def __init__(self, per_minute: int | None = None, clock=time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._minutes: dict[str, tuple[float, int]] = {}  # reason -> (minute start, rejections in it)
        self._lock = threading.Lock()

    def _limit(self) -> int:
        return self.per_minute if self.per_minute is not None else settings.get_int("MQTT_REJECT_LOG_PER_MINUTE")

    def rejected(self, topic: str, exc: Rejected) -> None:
        now = self.clock()
        with self._lock:
            started, seen = self._minutes.get(exc.reason, (now, 0))
            if now - started >= 60:
                self._summarise(exc.reason, seen)
                started, seen = now, 0
            seen += 1
            self._minutes[exc.reason] = (started, seen)
        if seen <= self._limit():
            log.warning("rejected message on %s: %s", topic[:120], exc)

    def flush(self) -> None:
        """Say what was only counted in the minutes that are over (called by the writer thread)."""
        now = self.clock()
        with self._lock:
            for reason, (started, seen) in list(self._minutes.items()):
                if now - started >= 60:
                    self._summarise(reason, seen)
                    del self._minutes[reason]

    def _summarise(self, reason: str, seen: int) -> None:
        unlogged = seen - self._limit()
        if unlogged > 0:
            log.warning("%d more message(s) rejected as %s in the last minute (not logged one by one)",
                        unlogged, reason)


def _is_disconnect(exc: SQLAlchemyError) -> bool:
    """Worth retrying the whole batch later: a lost connection, or any operational error
    (SQLite's "database is locked" is one), as opposed to a row the database refuses."""
    return isinstance(exc, OperationalError) or is_connection_error(exc)
