"""What anyone may see (the `/public` kiosk): aggregates only.

Every function here selects an explicit list of columns and returns nothing
else, whatever its caller asks for: camera counts per ward (never a camera's
position), free-wifi locations (public by nature), public-service KPIs,
target progress and air quality averaged per ward and city. Incidents,
citizen reports and people are not read at all.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from data_access.periods import Period

# The only KPIs the kiosk shows: counts and rates of services offered to everyone.
PUBLIC_KPI_CODES = (
    "services.procedures_online_rate", "services.online_submission_rate", "services.on_time_rate",
    "services.digitised_rate", "services.online_payment_rate", "services.feedback_on_time_rate",
    "camera.security_total", "wifi.access_points", "wifi.free_stations",
)
CAMERA_WARD_COLUMNS = ("gso_code", "ward", "area_km2", "security", "traffic")
WIFI_COLUMNS = ("name", "ward", "provider", "lon", "lat")
AIR_COLUMNS = ("gso_code", "ward", "stations", "pm25", "pm10")
TARGET_FIELDS = ("code", "year", "value", "comparator", "current", "latest_year", "status", "progress")
AIR_WINDOW = timedelta(hours=24)


def _frame(query, columns: tuple[str, ...]) -> pd.DataFrame:
    with connect("ioc") as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


@cached()
def cameras_per_ward(city: str) -> pd.DataFrame:
    """Security and traffic cameras counted per ward (every ward, 0 where none): counts only."""
    w, c = m.Ward, m.Camera
    counts = (select(c.ward_code,
                     func.sum(case((c.kind == "security", 1), else_=0)).label("security"),
                     func.sum(case((c.kind == "traffic", 1), else_=0)).label("traffic"))
              .where(c.city_slug == city).group_by(c.ward_code).subquery())
    query = (select(w.gso_code, w.name, w.area_km2, func.coalesce(counts.c.security, 0),
                    func.coalesce(counts.c.traffic, 0))
             .outerjoin(counts, counts.c.ward_code == w.gso_code)
             .where(w.city_slug == city).order_by(w.gso_code))
    return _frame(query, CAMERA_WARD_COLUMNS)


@cached()
def free_wifi_locations(city: str) -> pd.DataFrame:
    """Free public wifi stations: name, ward, provider and position (signposted in the street),
    rounded to 4 decimals (about 10 m), enough to find the spot."""
    ap, w = m.AccessPoint, m.Ward
    query = (select(ap.name, w.name, ap.provider, ap.lon, ap.lat)
             .join(w, w.gso_code == ap.ward_code)
             .where(ap.city_slug == city, ap.kind == "free_wifi").order_by(ap.name))
    frame = _frame(query, WIFI_COLUMNS)
    frame[["lon", "lat"]] = frame[["lon", "lat"]].astype(float).round(4)
    return frame


@cached()
def air_quality(city: str) -> tuple[pd.DataFrame, dict]:
    """Mean PM2.5 and PM10 over the 24 hours up to the city's newest air reading, per ward with a
    station and for the whole city: (wards frame, {"pm25", "pm10", "stations", "until"})."""
    s, r, w = m.Sensor, m.Reading, m.Ward
    air = and_(s.city_slug == city, s.kind == "air")
    with connect("ioc") as connection:
        until = connection.execute(select(func.max(r.measured_at)).join(s, s.id == r.sensor_id)
                                   .where(air)).scalar_one()
    if until is None:
        return pd.DataFrame(columns=list(AIR_COLUMNS)), {"pm25": None, "pm10": None, "stations": 0, "until": None}
    window = and_(air, r.measured_at > until - AIR_WINDOW, r.measured_at <= until)

    def mean_of(parameter: str):
        return func.avg(case((r.parameter == parameter, r.value), else_=None))

    per_ward = (select(w.gso_code, w.name, func.count(func.distinct(s.id)), mean_of("pm25"), mean_of("pm10"))
                .select_from(r).join(s, s.id == r.sensor_id).join(w, w.gso_code == s.ward_code)
                .where(window).group_by(w.gso_code, w.name).order_by(w.gso_code))
    whole = select(func.count(func.distinct(s.id)), mean_of("pm25"), mean_of("pm10")).select_from(r) \
        .join(s, s.id == r.sensor_id).where(window)
    wards = _frame(per_ward, AIR_COLUMNS)
    with connect("ioc") as connection:
        stations, pm25, pm10 = connection.execute(whole).one()
    return wards, {"pm25": pm25, "pm10": pm10, "stations": int(stations), "until": until}


def public_kpis(city: str, period: Period) -> dict[str, float | int | None]:
    """The whitelisted KPIs of the city for the period (no ward-level or internal indicators)."""
    from data_access.kpi import compute_kpis

    values = compute_kpis(city, period)
    return {code: values[code] for code in PUBLIC_KPI_CODES}


def public_targets(city: str, now: datetime) -> list[dict]:
    """Each target's progress: indicator code, target year and value, current value, status, progress %."""
    from data_access.formulas import target_progress
    from data_access.targets import target_rows

    rows = []
    for row in target_rows(city, now):
        progress = target_progress(row["current"], row["value"], row["item"].higher_is_better)
        rows.append({"code": row["item"].code, "year": row["year"], "value": row["value"],
                     "comparator": row["comparator"], "current": row["current"], "latest_year": row["latest_year"],
                     "status": row["status"], "progress": progress})
    return [{key: row[key] for key in TARGET_FIELDS} for row in rows]


def ward_outlines(city: str) -> dict:
    """The wards' boundaries (public administrative geography) with coordinates rounded to
    4 decimals: a backdrop for the free-wifi map that carries nothing finer than ~10 m."""
    from data_access.places import wards_geojson

    def rounded(coordinates):
        if isinstance(coordinates, (int, float)):
            return round(float(coordinates), 4)
        return [rounded(part) for part in coordinates]

    features = [{"type": "Feature", "properties": {"name": f["properties"]["name"]},
                 "geometry": {"type": f["geometry"]["type"], "coordinates": rounded(f["geometry"]["coordinates"])}}
                for f in wards_geojson(city)["features"]]
    return {"type": "FeatureCollection", "features": features}
