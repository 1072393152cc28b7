"""What the operations page answers: open incidents and their SLA, the newest events,
citizen reports against their 15-working-day deadline, camera and access-point
health, and the latest air and water readings. Every figure is an SQL aggregate
over the IOC database; results are cached for a few seconds because many wall
screens poll the same city."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import String, and_, case, cast, func, literal, select, union_all

from data_access.cache import cached
from data_access.calendar import work_calendar
from data_access.db import connect
from data_access.local_time import local_date
from data_access.models import (
    AccessPoint,
    Camera,
    CameraStatusSample,
    CitizenReport,
    Incident,
    IngestCounter,
    Reading,
    Sensor,
    Ward,
)
from domain.city_time import city_midnight, city_today
from domain.incidents import sla_state

LIVE_TTL = 30
PROBE_TTL = 3
# The cached functions take `version`, the panel's data fingerprint from `live_state`:
# it is part of the cache key, so a new event is never hidden behind a cached answer,
# while every screen showing the same data shares one computation.



LIVE_FEEDS = ("incidents", "camera_status", "sensors")


@dataclass(frozen=True)
class LiveState:
    """Fingerprints of each panel's data (a panel redraws only when its own changes) and
    the newest record of each live feed (LIVE_FEEDS), which says which feed, if any, is late."""
    versions: dict[str, str]
    feeds: dict[str, datetime | None]

    @property
    def newest_at(self) -> datetime | None:
        times = [moment for moment in self.feeds.values() if moment is not None]
        return max(times) if times else None


def _city_sensor_latest(city: str):
    latest = (select(func.max(Reading.measured_at)).where(Reading.sensor_id == Sensor.id)
              .correlate(Sensor).scalar_subquery())
    return select(Sensor.id, Sensor.kind, Sensor.name, Sensor.ward_code, latest.label("last_at")) \
        .where(Sensor.city_slug == city, Sensor.retired_at.is_(None))


@cached(ttl=PROBE_TTL)
def live_state(city: str) -> LiveState:
    """The probes behind every refresh. Cached for a few seconds so that a wall of screens
    polling the same city costs one round of queries per PROBE_TTL; when the database is
    down the last answer is served and `cache.served_stale()` says so."""
    with connect("ioc") as connection:
        incidents = connection.execute(select(
            func.max(Incident.id), func.max(Incident.reported_at), func.max(Incident.resolved_at),
            func.sum(case((Incident.status == "open", 1), else_=0)),
            func.sum(case((Incident.status == "in_progress", 1), else_=0)),
        ).where(Incident.city_slug == city)).one()
        cameras = connection.execute(select(
            func.max(Camera.last_seen), func.sum(case((Camera.status == "online", 1), else_=0)),
            func.count()).where(Camera.city_slug == city, Camera.retired_at.is_(None))).one()
        samples = connection.execute(select(func.max(CameraStatusSample.id))).scalar()
        points = connection.execute(select(
            func.sum(case((AccessPoint.status == "active", 1), else_=0)), func.count())
            .where(AccessPoint.city_slug == city, AccessPoint.retired_at.is_(None))).one()
        reports = connection.execute(select(
            func.count(), func.max(CitizenReport.received_at), func.max(CitizenReport.answered_at))
            .where(CitizenReport.city_slug == city)).one()
        sensors = _city_sensor_latest(city).subquery()
        readings = connection.execute(select(func.max(sensors.c.last_at))).scalar()
        sampled = connection.execute(select(func.max(CameraStatusSample.sampled_at))
                                     .join(Camera, Camera.id == CameraStatusSample.camera_id)
                                     .where(Camera.city_slug == city, Camera.retired_at.is_(None))).scalar()
    reported = [t for t in (incidents[1], incidents[2]) if t is not None]
    heard = [t for t in (cameras[0], sampled) if t is not None]
    feeds = {"incidents": max(reported) if reported else None, "camera_status": max(heard) if heard else None,
             "sensors": readings}
    versions = {
        "incidents": "|".join(map(str, incidents)),
        "cameras": "|".join(map(str, (*cameras, samples))),
        "access_points": "|".join(map(str, points)),
        "reports": "|".join(map(str, reports)),
        "environment": str(readings),
    }
    return LiveState(versions, feeds)


@cached(ttl=LIVE_TTL)
def open_incidents(city: str, version: str = "") -> pd.DataFrame:
    """Incidents not yet resolved, newest first, with the ward's name."""
    query = (select(Incident.id, Incident.category, Incident.severity, Incident.status, Incident.summary,
                    Incident.reported_at, Incident.lon, Incident.lat, Incident.ward_code,
                    Ward.name.label("ward_name"))
             .join(Ward, Ward.gso_code == Incident.ward_code)
             .where(Incident.city_slug == city, Incident.status != "resolved")
             .order_by(Incident.reported_at.desc()))
    with connect("ioc") as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(),
                            columns=["id", "category", "severity", "status", "summary", "reported_at", "lon",
                                     "lat", "ward_code", "ward_name"])


def with_sla(incidents: pd.DataFrame, now: datetime, allowed: dict[str, float]) -> pd.DataFrame:
    """Add age in hours and SLA state to open incidents (a few dozen rows)."""
    out = incidents.copy()
    out["age_h"] = [(now - t).total_seconds() / 3600 for t in out["reported_at"]]
    out["sla"] = [sla_state(a, s, allowed) for a, s in zip(out["age_h"], out["severity"])]
    return out


@cached(ttl=LIVE_TTL)
def recent_events(city: str, limit: int = 20, version: str = "") -> pd.DataFrame:
    """The newest events: incidents reported or resolved, cameras that went offline
    (their last moment online). Columns: at, kind, ref, category, severity, ward_name."""
    new = select(Incident.reported_at.label("at"), literal("incident_new").label("kind"),
                 cast(Incident.id, String).label("ref"), Incident.category.label("detail"),
                 Incident.severity.label("level"),
                 Incident.ward_code.label("ward_code")).where(Incident.city_slug == city)
    resolved = select(Incident.resolved_at.label("at"), literal("incident_resolved").label("kind"),
                      cast(Incident.id, String).label("ref"), Incident.category, Incident.severity,
                      Incident.ward_code) \
        .where(Incident.city_slug == city, Incident.resolved_at.is_not(None))
    offline = select(Camera.last_seen.label("at"), literal("camera_offline").label("kind"),
                     Camera.id.label("ref"), Camera.kind, literal("").label("level"), Camera.ward_code) \
        .where(Camera.city_slug == city, Camera.retired_at.is_(None), Camera.status == "offline", Camera.last_seen.is_not(None))
    newest_each = [select(part.order_by(part.selected_columns.at.desc()).limit(limit).subquery())
                   for part in (new, resolved, offline)]
    events = union_all(*newest_each).subquery()
    query = (select(events, Ward.name.label("ward_name")).join(Ward, Ward.gso_code == events.c.ward_code)
             .order_by(events.c.at.desc(), events.c.kind, events.c.ref).limit(limit))
    with connect("ioc") as connection:
        rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=["at", "kind", "ref", "detail", "level", "ward_code", "ward_name"])
    return frame


@cached(ttl=LIVE_TTL)
def citizen_report_summary(city: str, now: datetime, days: int = 30, version: str = "") -> dict[str, int]:
    """Reports received in the last `days` days: answered (late or not), still open,
    overdue; and every unanswered report past its deadline, whenever received."""
    since = now - timedelta(days=days)
    answered = CitizenReport.answered_at.is_not(None)
    unanswered = CitizenReport.answered_at.is_(None)
    query = select(
        func.count().label("received"),
        func.sum(case((answered, 1), else_=0)).label("answered"),
        func.sum(case((and_(answered, CitizenReport.answered_at > CitizenReport.due_at), 1), else_=0))
        .label("answered_late"),
        func.sum(case((and_(unanswered, CitizenReport.due_at < now), 1), else_=0)).label("overdue"),
        func.sum(case((and_(unanswered, CitizenReport.due_at >= now), 1), else_=0)).label("open"),
    ).where(CitizenReport.city_slug == city, CitizenReport.received_at >= since,
            CitizenReport.received_at <= now)
    backlog = select(func.count()).where(CitizenReport.city_slug == city, unanswered,
                                         CitizenReport.due_at < now)
    with connect("ioc") as connection:
        row = connection.execute(query).mappings().one()
        overdue_total = connection.execute(backlog).scalar()
    summary = {key: int(value or 0) for key, value in row.items()}
    summary["overdue_total"] = int(overdue_total or 0)
    return summary


@cached(ttl=LIVE_TTL)
def reports_near_deadline(city: str, now: datetime, limit: int = 10, version: str = "") -> pd.DataFrame:
    """Unanswered reports, the most urgent first, with working days left (negative = overdue)."""
    query = (select(CitizenReport.id, CitizenReport.category, CitizenReport.channel, CitizenReport.received_at,
                    CitizenReport.due_at, Ward.name.label("ward_name"))
             .join(Ward, Ward.gso_code == CitizenReport.ward_code)
             .where(CitizenReport.city_slug == city, CitizenReport.answered_at.is_(None),
                    CitizenReport.received_at <= now)
             .order_by(CitizenReport.due_at, CitizenReport.id).limit(limit))
    with connect("ioc") as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all(),
                             columns=["id", "category", "channel", "received_at", "due_at", "ward_name"])
    calendar = work_calendar()
    frame["working_days_left"] = [calendar.working_days_left(now, due) for due in frame["due_at"]]
    return frame


@cached(ttl=LIVE_TTL)
def camera_status_counts(city: str, version: str = "") -> pd.DataFrame:
    """Cameras by kind and status right now."""
    query = (select(Camera.kind, Camera.status, func.count().label("n"))
             .where(Camera.city_slug == city, Camera.retired_at.is_(None)).group_by(Camera.kind, Camera.status))
    with connect("ioc") as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=["kind", "status", "n"])


@cached(ttl=LIVE_TTL)
def camera_online_by_ward(city: str, version: str = "") -> pd.DataFrame:
    """Online share of each ward's cameras, lowest first."""
    online = func.sum(case((Camera.status == "online", 1), else_=0))
    query = (select(Ward.gso_code, Ward.name, func.count().label("total"), online.label("online"))
             .join(Ward, Ward.gso_code == Camera.ward_code).where(Camera.city_slug == city, Camera.retired_at.is_(None))
             .group_by(Ward.gso_code, Ward.name))
    with connect("ioc") as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all(),
                             columns=["gso_code", "name", "total", "online"])
    frame["share"] = frame["online"] / frame["total"] * 100
    return frame.sort_values(["share", "name"]).reset_index(drop=True)


@cached(ttl=LIVE_TTL)
def camera_uptime_by_day(city: str, now: datetime, days: int = 7, version: str = "") -> pd.DataFrame:
    """Share of status samples that found the camera online, per city day, for the `days`
    days before today and today so far."""
    with connect("ioc") as connection:
        day = local_date(CameraStatusSample.sampled_at, connection.dialect.name)
        query = (select(day.label("day"), func.count().label("samples"),
                        func.sum(case((CameraStatusSample.status == "online", 1), else_=0)).label("online"))
                 .join(Camera, Camera.id == CameraStatusSample.camera_id)
                 .where(Camera.city_slug == city, Camera.retired_at.is_(None),
                        CameraStatusSample.sampled_at >= city_midnight(city_today(now=now) - timedelta(days=days)),
                        CameraStatusSample.sampled_at <= now)
                 .group_by(day).order_by(day))
        frame = pd.DataFrame(connection.execute(query).mappings().all(), columns=["day", "samples", "online"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["share"] = frame["online"] / frame["samples"] * 100
    return frame


@cached(ttl=LIVE_TTL)
def cameras_offline_longest(city: str, limit: int = 10, version: str = "") -> pd.DataFrame:
    """Cameras not online, the longest silent first (never seen counts as longest)."""
    never = case((Camera.last_seen.is_(None), 0), else_=1)
    query = (select(Camera.id, Camera.kind, Camera.status, Camera.last_seen, Ward.name.label("ward_name"))
             .join(Ward, Ward.gso_code == Camera.ward_code)
             .where(Camera.city_slug == city, Camera.retired_at.is_(None), Camera.status != "online")
             .order_by(never, Camera.last_seen, Camera.id).limit(limit))
    with connect("ioc") as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(),
                            columns=["id", "kind", "status", "last_seen", "ward_name"])


@cached(ttl=LIVE_TTL)
def access_point_status(city: str, version: str = "") -> pd.DataFrame:
    """Public wifi and internet access points by kind, provider and status."""
    query = (select(AccessPoint.kind, AccessPoint.provider, AccessPoint.status, func.count().label("n"))
             .where(AccessPoint.city_slug == city, AccessPoint.retired_at.is_(None))
             .group_by(AccessPoint.kind, AccessPoint.provider, AccessPoint.status))
    with connect("ioc") as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=["kind", "provider", "status", "n"])


@cached(ttl=LIVE_TTL)
def environment_latest(city: str, version: str = "") -> tuple[pd.DataFrame, datetime | None]:
    """Mean of each parameter at each station over the 24 hours before the city's newest
    reading (so a stale feed still shows its last day), and that newest time.
    Columns: sensor_id, kind, name, ward_code, ward_name, last_at, parameter, mean, n."""
    stations = _city_sensor_latest(city).subquery()
    with connect("ioc") as connection:
        newest = connection.execute(select(func.max(stations.c.last_at))).scalar()
        if newest is None:
            return pd.DataFrame(columns=["sensor_id", "kind", "name", "ward_code", "ward_name", "last_at",
                                         "parameter", "mean", "n"]), None
        query = (select(stations.c.id.label("sensor_id"), stations.c.kind, stations.c.name, stations.c.ward_code,
                        Ward.name.label("ward_name"), stations.c.last_at, Reading.parameter,
                        func.avg(Reading.value).label("mean"), func.count().label("n"))
                 .join(Ward, Ward.gso_code == stations.c.ward_code)
                 .join(Reading, and_(Reading.sensor_id == stations.c.id,
                                     Reading.measured_at > newest - timedelta(hours=24),
                                     Reading.measured_at <= newest), isouter=True)
                 .group_by(stations.c.id, stations.c.kind, stations.c.name, stations.c.ward_code, Ward.name,
                           stations.c.last_at, Reading.parameter)
                 .order_by(stations.c.kind, stations.c.id))
        frame = pd.DataFrame(connection.execute(query).mappings().all(),
                             columns=["sensor_id", "kind", "name", "ward_code", "ward_name", "last_at", "parameter",
                                      "mean", "n"])
    return frame, newest


def ingest_counters() -> dict[str, int]:
    """Totals since the database was made: accepted.<kind> and rejected.<reason>."""
    with connect("ioc") as connection:
        return dict(connection.execute(select(IngestCounter.name, IngestCounter.value)).all())
