"""What the map shows: the city's points (cameras, access points, key locations,
open incidents, sensors) and per-ward metrics for the choropleth.

Each function returns a DataFrame with lon/lat and the few columns the map
filters or pops up; nothing else leaves the database.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import and_, case, exists, func, select

from data_access import lineage
from data_access import models as m
from data_access.cache import cached
from data_access.db import connect

POINT_LAYERS = ("security", "traffic", "wifi", "key_locations", "incidents", "sensors")
METRICS = ("camera_density", "ap_per_1000_households", "key_location_coverage", "online_dossier_rate",
           "open_incidents")


def _frame(which: str, query) -> pd.DataFrame:
    with connect(which) as connection:
        result = connection.execute(query)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


@cached()
def camera_points(city: str, kind: str) -> pd.DataFrame:
    """Cameras of one kind (security or traffic): id, ward, lon/lat, status, owner, last seen."""
    c = m.Camera
    query = (select(c.id, c.ward_code, c.lon, c.lat, c.status, c.owner, c.last_seen)
             .where(c.city_slug == city, c.kind == kind).order_by(c.id))
    return _frame("ioc", query)


@cached()
def access_point_points(city: str) -> pd.DataFrame:
    ap = m.AccessPoint
    query = (select(ap.id, ap.ward_code, ap.lon, ap.lat, ap.kind, ap.provider, ap.status)
             .where(ap.city_slug == city).order_by(ap.id))
    return _frame("ioc", query)


@cached()
def key_location_points(city: str) -> pd.DataFrame:
    """Key locations with whether a security / traffic camera covers them."""
    k, c = m.KeyLocation, m.Camera

    def covered(kind: str):
        return exists().where(c.key_location_id == k.id, c.kind == kind)

    query = (select(k.id, k.ward_code, k.lon, k.lat, k.category, k.name,
                    case((covered("security"), 1), else_=0).label("security"),
                    case((covered("traffic"), 1), else_=0).label("traffic"))
             .where(k.city_slug == city).order_by(k.id))
    return _frame("ioc", query)


@cached(ttl=60)
def open_incident_points(city: str) -> pd.DataFrame:
    i = m.Incident
    query = (select(i.id, i.ward_code, i.lon, i.lat, i.category, i.severity, i.status, i.reported_at)
             .where(i.city_slug == city, i.status != "resolved").order_by(i.reported_at.desc()))
    return _frame("ioc", query)


@cached()
def sensor_points(city: str) -> pd.DataFrame:
    s = m.Sensor
    return _frame("ioc", select(s.id, s.ward_code, s.lon, s.lat, s.kind, s.name).where(s.city_slug == city))


@cached()
def ward_metrics(city: str, year: int | None = None) -> pd.DataFrame:
    """One row per ward: every choropleth metric (None where a ward has no data)."""
    w, c, ap, k, i = m.Ward, m.Camera, m.AccessPoint, m.KeyLocation, m.Incident
    cameras = (select(c.ward_code, func.count().label("n")).where(c.city_slug == city, c.kind == "security")
               .group_by(c.ward_code).subquery())
    points = (select(ap.ward_code, func.count().label("n")).where(ap.city_slug == city)
              .group_by(ap.ward_code).subquery())
    covered_ids = select(c.key_location_id).where(c.key_location_id.is_not(None), c.kind == "security")
    locations = (select(k.ward_code, func.count().label("total"),
                        func.sum(case((k.id.in_(covered_ids), 1), else_=0)).label("covered"))
                 .where(k.city_slug == city).group_by(k.ward_code).subquery())
    incidents = (select(i.ward_code, func.count().label("n")).where(i.city_slug == city, i.status != "resolved")
                 .group_by(i.ward_code).subquery())
    query = (select(w.gso_code, w.name, w.area_km2, w.households, w.population,
                    func.coalesce(cameras.c.n, 0).label("cameras"), func.coalesce(points.c.n, 0).label("access_points"),
                    locations.c.total.label("key_locations"), locations.c.covered.label("key_covered"),
                    func.coalesce(incidents.c.n, 0).label("open_incidents"))
             .outerjoin(cameras, cameras.c.ward_code == w.gso_code)
             .outerjoin(points, points.c.ward_code == w.gso_code)
             .outerjoin(locations, locations.c.ward_code == w.gso_code)
             .outerjoin(incidents, incidents.c.ward_code == w.gso_code)
             .where(w.city_slug == city).order_by(w.gso_code))
    frame = _frame("ioc", query)
    year = year or datetime.now().year - 1
    d = m.Dossier
    # Dossiers of retired wards count for the ward they became (data_access.lineage).
    code, mapping = lineage.mapped_ward(d.ward_code, city)
    dossier_query = select(code.label("ward_code"), func.count().label("received"),
                           func.sum(case((d.channel == "online", 1), else_=0)).label("online")).select_from(d)
    if mapping is not None:
        dossier_query = dossier_query.outerjoin(mapping, mapping.c.old_code == d.ward_code)
    dossiers = _frame("kpi", dossier_query.where(d.city_slug == city, and_(d.received_at >= datetime(year, 1, 1),
                                                                          d.received_at < datetime(year + 1, 1, 1)))
                      .group_by(code))
    frame = frame.merge(dossiers, how="left", left_on="gso_code", right_on="ward_code").drop(columns="ward_code")
    return frame


def metric_values(wards: pd.DataFrame, metric: str) -> dict[str, float | None]:
    """{ward code: value} of one choropleth metric; None = no data for that ward (not 0)."""
    from data_access.formulas import rate

    def per(numerator, denominator, scale=1.0):
        if denominator is None or pd.isna(denominator) or denominator <= 0 or pd.isna(numerator):
            return None
        return float(numerator) / float(denominator) * scale

    values = {}
    for row in wards.itertuples(index=False):
        if metric == "camera_density":
            value = per(row.cameras, row.area_km2)
        elif metric == "ap_per_1000_households":
            value = per(row.access_points, row.households, 1000)
        elif metric == "key_location_coverage":
            value = None if pd.isna(row.key_locations) else rate(row.key_covered, row.key_locations)
        elif metric == "online_dossier_rate":
            value = None if pd.isna(row.received) else rate(row.online, row.received)
        elif metric == "open_incidents":
            value = float(row.open_incidents)
        else:
            raise ValueError(f"unknown metric {metric!r}")
        values[row.gso_code] = value
    return values


@cached(ttl=60)
def ward_open_incidents(ward: str, limit: int = 20) -> pd.DataFrame:
    """The ward's open incidents, newest first."""
    i = m.Incident
    return _frame("ioc", select(i.id, i.category, i.severity, i.status, i.summary, i.reported_at)
                  .where(i.ward_code == ward, i.status != "resolved").order_by(i.reported_at.desc()).limit(limit))


@cached(ttl=60)
def ward_citizen_reports(ward: str, now: datetime) -> dict[str, int]:
    """Citizen reports of the ward in the last 12 months: received, answered, answered late, open, overdue."""
    r = m.CitizenReport
    since = now.replace(year=now.year - 1)
    query = select(
        func.count().label("received"),
        func.coalesce(func.sum(case((r.answered_at.is_not(None), 1), else_=0)), 0).label("answered"),
        func.coalesce(func.sum(case((r.answered_at > r.due_at, 1), else_=0)), 0).label("answered_late"),
        func.coalesce(func.sum(case((and_(r.answered_at.is_(None), r.due_at >= now), 1), else_=0)), 0).label("open"),
        func.coalesce(func.sum(case((and_(r.answered_at.is_(None), r.due_at < now), 1), else_=0)), 0).label("overdue"),
    ).where(r.ward_code == ward, r.received_at >= since)
    with connect("ioc") as connection:
        return {k: int(v) for k, v in connection.execute(query).mappings().one().items()}
