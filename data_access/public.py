"""What anyone may see (the `/public` kiosk): aggregates only.

Every function here selects an explicit list of columns and returns nothing
else, whatever its caller asks for: camera counts per ward (never a camera's
position), free-wifi locations (public by nature), public-service KPIs,
target progress and air quality averaged per ward and city; with
PUBLIC_AIR_ALERTS, the open air-quality alerts as station, ward, parameter,
value and QCVN limit (never a rule's recipients, notes or who acknowledged).
Incidents, citizen reports and people are not read at all.

Each answers for one period, the KPI engine's way: stocks (cameras, wifi
stations) at its end, flows and means (dossiers, air quality) over it, targets
on the years up to it; so every kiosk slide agrees with the KPI slide.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from data_access.kpi import asset_aggregates_by_ward, compute_kpis, in_service
from data_access.places import wards_frame, wards_geojson
from data_access.targets import target_rows
from domain.env_standards import AIR_LIMITS_24H, AIR_STANDARD
from domain.formulas import target_progress
from domain.headlines import PUBLIC_KPI_CODES  # the only KPIs the kiosk shows
from domain.periods import Period

CAMERA_WARD_COLUMNS = ("gso_code", "ward", "area_km2", "security", "traffic")
WIFI_COLUMNS = ("name", "ward", "provider", "lon", "lat")
AIR_COLUMNS = ("gso_code", "ward", "stations", "pm25", "pm10")
TARGET_FIELDS = ("code", "year", "value", "comparator", "current", "latest_year", "status", "progress")
AIR_ALERT_FIELDS = ("station", "ward", "parameter", "value", "limit", "standard", "since")
# Rule kinds whose alerts may be public, on air stations' PM only: a threshold breach, or an
# anomaly above the station's usual level (an unusually clean hour is no warning).
AIR_ALERT_KINDS = ("sensor_threshold", "anomaly")
AIR_ALERT_TTL = 30


def _frame(query, columns: tuple[str, ...]) -> pd.DataFrame:
    with connect("ioc") as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


@cached()
def cameras_per_ward(city: str, period: Period) -> pd.DataFrame:
    """Security and traffic cameras in place at the end of the period, per ward (every ward, 0 where
    none), counted by the KPI engine's per-ward query: counts only."""
    counts = {row["ward_code"]: row for row in asset_aggregates_by_ward(city, period)}
    wards = wards_frame(city).reindex(columns=["gso_code", "name", "area_km2"])
    none = {"security_total": 0, "traffic_total": 0}
    rows = [(code, name, area, counts.get(code, none)["security_total"], counts.get(code, none)["traffic_total"])
            for code, name, area in wards.itertuples(index=False)]
    return pd.DataFrame(rows, columns=list(CAMERA_WARD_COLUMNS))


@cached()
def free_wifi_locations(city: str, period: Period) -> pd.DataFrame:
    """Free public wifi stations in place at the end of the period: name, ward, provider and
    position (signposted in the street), rounded to 4 decimals (about 10 m), enough to find the spot."""
    ap, w = m.AccessPoint, m.Ward
    query = (select(ap.name, w.name, ap.provider, ap.lon, ap.lat)
             .join(w, w.gso_code == ap.ward_code)
             .where(ap.city_slug == city, ap.kind == "free_wifi", in_service(ap, period)).order_by(ap.name))
    frame = _frame(query, WIFI_COLUMNS)
    frame[["lon", "lat"]] = frame[["lon", "lat"]].astype(float).round(4)
    return frame


@cached()
def air_quality(city: str, period: Period) -> tuple[pd.DataFrame, dict]:
    """Mean PM2.5 and PM10 over the period, per ward with a station reading in it and for the whole
    city (the city's PM2.5 is the KPI engine's env.pm25_mean): (wards frame, {"pm25", "pm10", "stations"})."""
    s, r, w = m.Sensor, m.Reading, m.Ward
    window = and_(s.city_slug == city, s.kind == "air", r.measured_at >= period.start_dt, r.measured_at < period.end_dt)

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
    return wards, {"pm25": pm25, "pm10": pm10, "stations": int(stations)}


def public_kpis(city: str, period: Period) -> dict[str, float | int | None]:
    """The whitelisted KPIs of the city for the period (no ward-level or internal indicators)."""
    values = compute_kpis(city, period)
    return {code: values[code] for code in PUBLIC_KPI_CODES}


def public_targets(city: str, period: Period) -> list[dict]:
    """Each target's progress on the years up to the period: indicator code, target year and value,
    current value (of `latest_year`), status, progress %."""
    rows = []
    for row in target_rows(city, period.end_dt):
        progress = target_progress(row["current"], row["value"], row["item"].higher_is_better)
        rows.append({"code": row["item"].code, "year": row["year"], "value": row["value"],
                     "comparator": row["comparator"], "current": row["current"], "latest_year": row["latest_year"],
                     "status": row["status"], "progress": progress})
    return [{key: row[key] for key in TARGET_FIELDS} for row in rows]


def ward_outlines(city: str) -> dict:
    """The wards' boundaries (public administrative geography) with coordinates rounded to
    4 decimals: a backdrop for the free-wifi map that carries nothing finer than ~10 m."""
    def rounded(coordinates):
        if isinstance(coordinates, (int, float)):
            return round(float(coordinates), 4)
        return [rounded(part) for part in coordinates]

    features = [{"type": "Feature", "properties": {"name": f["properties"]["name"]},
                 "geometry": {"type": f["geometry"]["type"], "coordinates": rounded(f["geometry"]["coordinates"])}}
                for f in wards_geojson(city)["features"]]
    return {"type": "FeatureCollection", "features": features}


@cached(ttl=AIR_ALERT_TTL)
def air_alerts(city: str) -> list[dict]:
    """The city's air-quality alerts not yet closed, one per station and parameter (its highest
    value), worst first against the QCVN 24-hour limit: station name, ward name, parameter (pm25,
    pm10), value, that limit, the standard and since when. Only these columns are selected; the
    subject must be an air station's PM reading, so camera, incident and water alerts never match."""
    a, rule, s, w = m.Alert, m.AlertRule, m.Sensor, m.Ward
    found: dict[tuple[str, str], dict] = {}
    with connect("ioc") as connection:
        for parameter, limit in AIR_LIMITS_24H.items():
            query = (select(s.name, w.name, a.value, a.opened_at).select_from(a)
                     .join(rule, rule.id == a.rule_id)
                     .join(s, a.subject == literal("sensor:") + s.id + literal(f":{parameter}"))
                     .outerjoin(w, w.gso_code == s.ward_code)
                     .where(rule.city_slug == city, rule.kind.in_(AIR_ALERT_KINDS), a.closed_at.is_(None),
                            a.value.is_not(None), s.city_slug == city, s.kind == "air",
                            or_(rule.kind == "sensor_threshold", a.value > a.baseline)))
            for station, ward, value, since in connection.execute(query):
                key = (station, parameter)
                if key not in found or value > found[key]["value"]:
                    found[key] = {"station": station, "ward": ward or "", "parameter": parameter,
                                  "value": float(value), "limit": limit, "standard": AIR_STANDARD, "since": since}
    ordered = sorted(found.values(), key=lambda alert: (-alert["value"] / alert["limit"], alert["station"]))
    return [{field: alert[field] for field in AIR_ALERT_FIELDS} for alert in ordered]
