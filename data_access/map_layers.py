"""What the map shows: the city's points (cameras, access points, key locations,
open incidents, sensors) and per-ward metrics for the choropleth.

Which layers and metrics exist is declared in `domain/map_layers.py`: a layer
names its query here (`source`), `layer_points` runs it. Each query returns a
DataFrame with lon/lat and the few columns the map filters or pops up; nothing
else leaves the database. `metric_values` computes a metric as its declaration says.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, case, exists, func, or_, select

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from data_access.kpi import asset_aggregates_by_ward, dossier_aggregates_by_ward
from domain import map_layers as registry
from domain import periods
from domain.city_time import city_today
from domain.formulas import rate

# Point queries by name, as layers name them in the registry's `source`.
QUERIES: dict[str, Callable[..., pd.DataFrame]] = {}


def point_query(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Make a (cached) point query available to registry layers under its function name."""
    QUERIES[function.__name__] = function
    return function


def layer_points(city: str, layer: str) -> pd.DataFrame:
    """The points of a registry layer: its `source` query with its `source_args`.

    Raises ValueError for a layer the registry does not declare.
    """
    try:
        spec = registry.point_layer(layer)
    except KeyError:
        raise ValueError(f"unknown map layer {layer!r}") from None
    return QUERIES[spec.source](city, *spec.source_args)


def _frame(which: str, query) -> pd.DataFrame:
    """The query's rows as a frame. Rows go in as plain tuples: pandas probes each SQLAlchemy
    Row for attributes it lacks, which costs half the read at province scale (170,000 rows)."""
    with connect(which) as connection:
        result = connection.execute(query)
        return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))


@point_query
@cached()
def camera_points(city: str, kind: str) -> pd.DataFrame:
    """Cameras of one kind (security or traffic): id, ward, lon/lat, status, owner, last seen."""
    c = m.Camera
    query = (select(c.id, c.ward_code, c.lon, c.lat, c.status, c.owner, c.last_seen)
             .where(c.city_slug == city, c.kind == kind, c.retired_at.is_(None)).order_by(c.id))
    return _frame("ioc", query)


@point_query
@cached()
def access_point_points(city: str) -> pd.DataFrame:
    """Internet access points: id, ward, lon/lat, kind, provider, status."""
    ap = m.AccessPoint
    query = (select(ap.id, ap.ward_code, ap.lon, ap.lat, ap.kind, ap.provider, ap.status)
             .where(ap.city_slug == city, ap.retired_at.is_(None)).order_by(ap.id))
    return _frame("ioc", query)


@point_query
@cached()
def key_location_points(city: str) -> pd.DataFrame:
    """Key locations in service with whether a security / traffic camera in service covers them
    (1/0, from the stored coverage pairs), and `covered`: 1 when either does."""
    k, c, cov = m.KeyLocation, m.Camera, m.KeyLocationCoverage

    def covered(kind: str):
        return (exists().where(cov.key_location_id == k.id, c.id == cov.camera_id, c.kind == kind,
                               c.retired_at.is_(None)))

    query = (select(k.id, k.ward_code, k.lon, k.lat, k.category, k.name,
                    case((covered("security"), 1), else_=0).label("security"),
                    case((covered("traffic"), 1), else_=0).label("traffic"),
                    case((or_(covered("security"), covered("traffic")), 1), else_=0).label("covered"))
             .where(k.city_slug == city, k.retired_at.is_(None)).order_by(k.id))
    return _frame("ioc", query)


@point_query
@cached(ttl=60)
def open_incident_points(city: str) -> pd.DataFrame:
    """Open (not resolved) incidents, newest first: id, ward, lon/lat, category, severity, status, time."""
    i = m.Incident
    query = (select(i.id, i.ward_code, i.lon, i.lat, i.category, i.severity, i.status, i.reported_at)
             .where(i.city_slug == city, i.status != "resolved").order_by(i.reported_at.desc()))
    return _frame("ioc", query)


@point_query
@cached()
def sensor_points(city: str) -> pd.DataFrame:
    """Monitoring stations: id, ward, lon/lat, kind, name."""
    s = m.Sensor
    return _frame("ioc", select(s.id, s.ward_code, s.lon, s.lat, s.kind, s.name)
                  .where(s.city_slug == city, s.retired_at.is_(None)))


def ward_period(year: int | None = None) -> periods.Period:
    """The period every ward figure describes (the map's choropleth and ward panel, the ward
    page): `year`, by default the last complete year in the city."""
    return periods.year(year or city_today().year - 1)


def _open_at(moment: datetime):
    """Incidents open at `moment`: reported before it and not resolved by then (an incident
    marked resolved without a time counts as resolved)."""
    i = m.Incident
    return and_(i.reported_at < moment,
                or_(i.resolved_at >= moment, and_(i.resolved_at.is_(None), i.status != "resolved")))


@cached()
def ward_metrics(city: str, year: int | None = None) -> pd.DataFrame:
    """One row per ward: every choropleth metric for the period `ward_period(year)` (None where a
    ward has no data). The rule of the KPI engine, from its per-ward queries: stocks (cameras,
    access points, key locations covered, open incidents) at the end of the period, dossiers
    received in it; so a ward's row agrees with `compute_kpis(city, period, ward)`."""
    period = ward_period(year)
    w, i = m.Ward, m.Incident
    frame = _frame("ioc", select(w.gso_code, w.name, w.area_km2, w.households, w.population)
                   .where(w.city_slug == city).order_by(w.gso_code))
    assets = {row["ward_code"]: row for row in asset_aggregates_by_ward(city, period)}
    # Dossiers of retired wards count for the ward they became (data_access.lineage).
    dossiers = {row["ward_code"]: row for row in dossier_aggregates_by_ward(city, period)}
    incidents = dict(_frame("ioc", select(i.ward_code, func.count()).where(i.city_slug == city, _open_at(period.end_dt))
                            .group_by(i.ward_code)).itertuples(index=False))

    def column(rows: dict[str, dict], key: str, missing: int | None = None) -> list:
        return [rows[code][key] if code in rows else missing for code in frame["gso_code"]]

    frame["cameras"] = column(assets, "security_total", 0)
    frame["access_points"] = column(assets, "access_points", 0)
    # A ward without key locations has no coverage (no data), not 0 %.
    frame["key_locations"] = [n or None for n in column(assets, "key_locations")]
    frame["key_covered"] = [covered if located else None
                            for covered, located in zip(column(assets, "key_security_covered"), frame["key_locations"])]
    frame["open_incidents"] = [incidents.get(code, 0) for code in frame["gso_code"]]
    frame["received"] = column(dossiers, "received")
    frame["online"] = column(dossiers, "online")
    return frame.astype({"key_locations": float, "key_covered": float, "received": float, "online": float})


def metric_values(wards: pd.DataFrame, metric: str) -> dict[str, float | None]:
    """{ward code: value} of one choropleth metric, computed as the registry declares it
    from `ward_metrics` columns; None = no data for that ward (not 0).

    Raises ValueError for a metric the registry does not declare.
    """
    try:
        spec = registry.metric(metric)
    except KeyError:
        raise ValueError(f"unknown metric {metric!r}") from None
    numerators = wards[spec.numerator].tolist()
    denominators = wards[spec.denominator].tolist() if spec.denominator else [None] * len(wards)
    return {code: _metric_value(spec, numerator, denominator)
            for code, numerator, denominator in zip(wards["gso_code"], numerators, denominators)}


def _metric_value(spec: registry.Metric, numerator, denominator) -> float | None:
    if pd.isna(numerator):
        return None
    if spec.kind == registry.COUNT:
        return float(numerator)
    if denominator is None or pd.isna(denominator):
        return None
    if spec.kind == registry.RATE:
        return rate(numerator, denominator)
    if denominator <= 0:
        return None
    return float(numerator) / float(denominator) * spec.scale


@cached()
def ward_open_incidents(ward: str, period: periods.Period, limit: int = 20) -> tuple[int, pd.DataFrame]:
    """The ward's incidents open at the end of the period: how many, and the newest `limit` of them."""
    i = m.Incident
    where = and_(i.ward_code == ward, _open_at(period.end_dt))
    with connect("ioc") as connection:
        count = connection.execute(select(func.count()).where(where)).scalar_one()
    rows = _frame("ioc", select(i.id, i.category, i.severity, i.summary, i.reported_at)
                  .where(where).order_by(i.reported_at.desc()).limit(limit))
    return int(count), rows


@cached()
def ward_citizen_reports(ward: str, period: periods.Period) -> dict[str, int]:
    """Citizen reports of the ward received in the period, and where they stood at its end:
    received, answered, answered late, open (not yet due), overdue."""
    r = m.CitizenReport
    end = period.end_dt
    answered = and_(r.answered_at.is_not(None), r.answered_at < end)
    unanswered = or_(r.answered_at.is_(None), r.answered_at >= end)
    query = select(
        func.count().label("received"),
        func.coalesce(func.sum(case((answered, 1), else_=0)), 0).label("answered"),
        func.coalesce(func.sum(case((and_(answered, r.answered_at > r.due_at), 1), else_=0)), 0).label("answered_late"),
        func.coalesce(func.sum(case((and_(unanswered, r.due_at >= end), 1), else_=0)), 0).label("open"),
        func.coalesce(func.sum(case((and_(unanswered, r.due_at < end), 1), else_=0)), 0).label("overdue"),
    ).where(r.ward_code == ward, r.received_at >= period.start_dt, r.received_at < end)
    with connect("ioc") as connection:
        return {k: int(v) for k, v in connection.execute(query).mappings().one().items()}
