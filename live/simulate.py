"""`manage.py simulate`: realistic live events for a demo city, so the wall is alive.

Air stations report PM2.5/PM10 around their recent level with a daily cycle (rush
hours, night inversion), water stations pH/DO/COD; cameras send heartbeats and now
and then drop offline and come back; incidents appear at random in the wards and
are resolved later. Messages go to the MQTT broker (QoS 1), or with `direct` straight
through the ingester's validation and writer, when no broker is available.
"""
from __future__ import annotations

import json
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy import Engine, func, select

from data_access.models import Camera, Reading, Sensor, Ward
from domain.city_time import to_city, utc_now
from domain.incidents import INCIDENT_CATEGORIES, SEVERITIES
from loaders.topics import CAMERA_STATUS, INCIDENT, READING

CATEGORY_WEIGHTS = (0.34, 0.22, 0.16, 0.10, 0.06, 0.12)
SEVERITY_WEIGHTS = (0.5, 0.3, 0.15, 0.05)
CATEGORY_SUMMARY = {
    "traffic_accident": "Va chạm giao thông", "public_order": "Mất trật tự công cộng",
    "infrastructure": "Hư hỏng hạ tầng đô thị", "flooding": "Ngập úng cục bộ", "fire": "Cháy, nổ",
    "environment": "Ô nhiễm môi trường",
}
INCIDENTS_PER_MINUTE = 1.0
CAMERA_SHARE = 0.25


@dataclass
class CityState:
    sensors: list[tuple[str, str]]
    levels: dict[str, float]
    cameras: list[str]
    offline: set[str]
    wards: list[tuple[str, str, float, float, float]]
    open_incidents: dict[str, dict] = field(default_factory=dict)


def load_city(engine: Engine, city: str) -> CityState:
    """What the simulator talks about: the city's sensors (and their recent PM2.5), cameras, wards."""
    with engine.connect() as connection:
        sensors = connection.execute(select(Sensor.id, Sensor.external_id, Sensor.kind)
                                     .where(Sensor.city_slug == city, Sensor.retired_at.is_(None))
                                     .order_by(Sensor.id)).all()
        if not sensors:
            raise ValueError(f"city {city!r} has no sensors; build the demo first (`manage.py demo`)")
        published = {s.id: s.external_id for s in sensors}  # topics name assets by the city's own ids
        recent = {published[sensor]: level for sensor, level in connection.execute(
            select(Reading.sensor_id, func.avg(Reading.value))
            .where(Reading.sensor_id.in_(list(published)), Reading.parameter == "pm25")
            .group_by(Reading.sensor_id)).all()}
        cameras = connection.execute(select(Camera.external_id.label("id"), Camera.status)
                                     .where(Camera.city_slug == city, Camera.retired_at.is_(None))).all()
        wards = connection.execute(select(Ward.gso_code, Ward.name, Ward.centre_lon, Ward.centre_lat,
                                          Ward.area_km2).where(Ward.city_slug == city)).all()
    return CityState([(s.external_id, s.kind) for s in sensors], {k: float(v) for k, v in recent.items()},
                     [c.id for c in cameras], {c.id for c in cameras if c.status == "offline"},
                     [tuple(w) for w in wards])


def _daily_factor(moment: datetime) -> float:
    """Fine dust peaks in the morning and evening rush hours and at night (city hours)."""
    moment = to_city(moment)
    hour = moment.hour + moment.minute / 60
    return 1 + 0.25 * math.cos(2 * math.pi * (hour - 8) / 12) + 0.1 * math.cos(2 * math.pi * (hour - 22) / 24)


class Simulator:
    def __init__(self, state: CityState, city: str, rate: float, seed: int | None = None):
        self.state, self.city, self.rate = state, city, max(rate, 0.1)
        self.rng = random.Random(seed)
        self._sensor_turn = 0

    def messages(self, count: int, now: datetime | None = None) -> Iterator[tuple[str, bytes]]:
        """`count` messages as (topic, JSON payload) for the moment `now`."""
        now = now or utc_now()
        incident_chance = INCIDENTS_PER_MINUTE / 60 / self.rate
        for _ in range(count):
            draw = self.rng.random()
            if draw < incident_chance or (draw < 2 * incident_chance and self.state.open_incidents):
                yield self._incident(now)
            elif draw < CAMERA_SHARE:
                yield self._camera(now)
            else:
                yield self._reading(now)

    def _stamp(self, now: datetime) -> str:
        return to_city(now).isoformat(timespec="microseconds")

    def _reading(self, now: datetime) -> tuple[str, bytes]:
        sensor_id, kind = self.state.sensors[self._sensor_turn % len(self.state.sensors)]
        self._sensor_turn += 1
        rng = self.rng
        if kind == "air":
            pm25 = max(1.0, self.state.levels.get(sensor_id, 35.0) * _daily_factor(now) * rng.lognormvariate(0, 0.2))
            values = {"pm25": round(pm25, 1), "pm10": round(pm25 * rng.gauss(1.6, 0.1), 1)}
        else:
            values = {"ph": round(rng.gauss(7.2, 0.25), 2), "do": round(max(0.5, rng.gauss(5.6, 0.6)), 2),
                      "cod": round(abs(rng.gauss(12, 4)), 1)}
        body = {"measured_at": self._stamp(now), "values": values}
        return READING.topic(city=self.city, sensor_id=sensor_id), json.dumps(body).encode()

    def _camera(self, now: datetime) -> tuple[str, bytes]:
        camera_id = self.rng.choice(self.state.cameras)
        if camera_id in self.state.offline:
            status = "online" if self.rng.random() < 0.3 else "offline"
        else:
            status = "offline" if self.rng.random() < 0.02 else "online"
        (self.state.offline.add if status == "offline" else self.state.offline.discard)(camera_id)
        body = {"status": status, "at": self._stamp(now)}
        return CAMERA_STATUS.topic(city=self.city, camera_id=camera_id), json.dumps(body).encode()

    def _incident(self, now: datetime) -> tuple[str, bytes]:
        rng = self.rng
        if self.state.open_incidents and rng.random() < 0.5:
            event_id = rng.choice(sorted(self.state.open_incidents))
            body = dict(self.state.open_incidents.pop(event_id), status="resolved", resolved_at=self._stamp(now))
            return INCIDENT.topic(city=self.city), json.dumps(body).encode()
        code, name, lon, lat, area = rng.choice(self.state.wards)
        spread = math.sqrt(max(area, 0.1)) / 111 / 3
        category = rng.choices(INCIDENT_CATEGORIES, CATEGORY_WEIGHTS)[0]
        body = {"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "ward_code": code, "category": category,
                "severity": rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
                "lon": round(lon + rng.uniform(-spread, spread), 6), "lat": round(lat + rng.uniform(-spread, spread), 6),
                "summary": f"{CATEGORY_SUMMARY[category]} tại {name}", "reported_at": self._stamp(now),
                "status": "open"}
        self.state.open_incidents[body["event_id"]] = body
        return INCIDENT.topic(city=self.city), json.dumps(body).encode()


def run(simulator: Simulator, send: Callable[[str, bytes], None], duration: float | None = None,
        total: int | None = None, on_second: Callable[[int], None] | None = None) -> int:
    """Send about `simulator.rate` messages a second until `duration` seconds or `total` messages."""
    rate = simulator.rate
    sent, started = 0, time.monotonic()
    per_tick = max(1, round(rate / 10))
    while (duration is None or time.monotonic() - started < duration) and (total is None or sent < total):
        tick_start = time.monotonic()
        batch = per_tick if total is None else min(per_tick, total - sent)
        for topic, payload in simulator.messages(batch):
            send(topic, payload)
        sent += batch
        if on_second and sent % max(1, round(rate)) < batch:
            on_second(sent)
        time.sleep(max(0.0, 0.1 - (time.monotonic() - tick_start)))
    return sent
