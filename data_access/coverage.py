"""Where a city's assets are, and how good its inventory is: the distance rule every coverage
and duplicate question uses, and the data quality view of `/admin/quality`.

Distances are metres in the UTM zone of the points (WGS84), found with a spatial index
(geopandas `sjoin` with the `dwithin` predicate), never by comparing every pair. Coverage
itself is computed when assets change (`loaders.coverage`) and stored, so the KPIs and the
map read it in SQL; the quality questions here are read-only and cached.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, literal, select, union_all

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from domain.city_time import utc_now

# The kinds the quality view counts: cameras by their kind, then the other assets.
QUALITY_KINDS = ("security", "traffic", "access_point", "key_location", "sensor")
# Same-kind assets closer than this are likely one asset entered twice.
DUPLICATE_METRES = 2.0
QUALITY_COLUMNS = ("kind", "external_id", "name", "ward_code", "lon", "lat")


def metric_crs(lons, lats):
    """The UTM zone (WGS84) of the points' centre: metres, scale error under 0.1 % within a province."""
    from pyproj import CRS

    lon = float(np.nanmean(lons)) if len(lons) else 105.0
    lat = float(np.nanmean(lats)) if len(lats) else 20.0
    zone = int((lon + 180) // 6) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _projected(lons, lats, crs):
    import geopandas as gpd

    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326").to_crs(crs)


def pairs_within(left: tuple, right: tuple, metres: float, crs=None) -> pd.DataFrame:
    """Every (left point, right point) closer than `metres`, from a spatial index:
    columns `left`, `right` (positions in the inputs) and `distance_m`.

    `left` and `right` are (lons, lats) sequences in WGS84; distances are measured in `crs`
    (default: the UTM zone of all the points)."""
    import geopandas as gpd

    left_lon, left_lat = (np.asarray(v, dtype=float) for v in left)
    right_lon, right_lat = (np.asarray(v, dtype=float) for v in right)
    empty = pd.DataFrame({"left": pd.Series(dtype=int), "right": pd.Series(dtype=int),
                          "distance_m": pd.Series(dtype=float)})
    if not len(left_lon) or not len(right_lon):
        return empty
    crs = crs or metric_crs(np.concatenate([left_lon, right_lon]), np.concatenate([left_lat, right_lat]))
    a, b = _projected(left_lon, left_lat, crs), _projected(right_lon, right_lat, crs)
    joined = gpd.sjoin(a, b, predicate="dwithin", distance=metres, how="inner")
    if joined.empty:
        return empty
    left_index = joined.index.to_numpy()
    right_index = joined["index_right"].to_numpy()
    distance = a.geometry.values[left_index].distance(b.geometry.values[right_index])
    out = pd.DataFrame({"left": left_index, "right": right_index, "distance_m": np.asarray(distance, dtype=float)})
    return out[out["distance_m"] <= metres].sort_values(["left", "right"]).reset_index(drop=True)


# --- the data quality view ----------------------------------------------------------------------

def _in_service(model):
    return model.retired_at.is_(None)


def _asset_rows(city: str):
    """Every asset in service of the city, as one UNION ALL: kind, external_id, name, ward, lon/lat."""
    c, ap, k, s = m.Camera, m.AccessPoint, m.KeyLocation, m.Sensor
    return union_all(
        select(c.kind.label("kind"), c.external_id, func.coalesce(c.name, "").label("name"), c.ward_code, c.lon, c.lat)
        .where(c.city_slug == city, _in_service(c)),
        select(literal("access_point").label("kind"), ap.external_id, ap.name, ap.ward_code, ap.lon, ap.lat)
        .where(ap.city_slug == city, _in_service(ap)),
        select(literal("key_location").label("kind"), k.external_id, k.name, k.ward_code, k.lon, k.lat)
        .where(k.city_slug == city, _in_service(k)),
        select(literal("sensor").label("kind"), s.external_id, s.name, s.ward_code, s.lon, s.lat)
        .where(s.city_slug == city, _in_service(s)),
    ).subquery()


def _frame(query, columns: tuple[str, ...]) -> pd.DataFrame:
    with connect("ioc") as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


@cached()
def assets_by_ward(city: str) -> pd.DataFrame:
    """Assets in service per ward and kind: ward_code, ward name, then one column per kind of
    QUALITY_KINDS (0 where none); assets without a ward are the row with an empty code."""
    assets, w = _asset_rows(city), m.Ward
    query = (select(func.coalesce(assets.c.ward_code, ""), func.coalesce(w.name, ""), assets.c.kind, func.count())
             .select_from(assets).outerjoin(w, w.gso_code == assets.c.ward_code)
             .group_by(assets.c.ward_code, w.name, assets.c.kind))
    counts = _frame(query, ("ward_code", "ward", "kind", "n"))
    wards = _frame(select(w.gso_code, w.name).where(w.city_slug == city), ("ward_code", "ward"))
    table = counts.pivot_table(index=["ward_code", "ward"], columns="kind", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(QUALITY_KINDS), fill_value=0).reset_index()
    table = wards.merge(table, how="outer", on=["ward_code", "ward"]).fillna(dict.fromkeys(QUALITY_KINDS, 0))
    return table.astype(dict.fromkeys(QUALITY_KINDS, int)).sort_values("ward_code").reset_index(drop=True)


@cached()
def assets_without_ward(city: str) -> pd.DataFrame:
    """Assets in service inside the city that no ward polygon holds: kind, external_id, name, lon/lat."""
    assets = _asset_rows(city)
    query = (select(*(assets.c[name] for name in QUALITY_COLUMNS)).where(assets.c.ward_code.is_(None))
             .order_by(assets.c.kind, assets.c.external_id))
    return _frame(query, QUALITY_COLUMNS).drop(columns="ward_code")


def _status_times(city: str):
    """Camera and access-point statuses with the last time anything reported them: the live feed
    (status samples, last seen online) or an import / sync (`status_at`)."""
    c, ap, sample = m.Camera, m.AccessPoint, m.CameraStatusSample
    latest_sample = (select(func.max(sample.sampled_at)).where(sample.camera_id == c.id)
                     .correlate(c).scalar_subquery())
    cameras = select(c.kind.label("kind"), c.external_id, c.ward_code, c.status, c.status_at, c.last_seen,
                     latest_sample.label("sampled_at")).where(c.city_slug == city, _in_service(c))
    points = select(literal("access_point").label("kind"), ap.external_id, ap.ward_code, ap.status, ap.status_at,
                    literal(None).label("last_seen"), literal(None).label("sampled_at")
                    ).where(ap.city_slug == city, _in_service(ap))
    return cameras, points


@cached()
def stale_statuses(city: str, days: int, now: datetime | None = None) -> pd.DataFrame:
    """Cameras and access points whose status nobody reported for `days` days (never counts as
    stale): kind, external_id, ward_code, status, refreshed_at (None = never), oldest first."""
    now = now or utc_now()
    columns = ("kind", "external_id", "ward_code", "status", "status_at", "last_seen", "sampled_at")
    frames = [_frame(query, columns) for query in _status_times(city)]
    frame = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
    times = frame[["status_at", "last_seen", "sampled_at"]].apply(lambda col: pd.to_datetime(col, utc=True))
    frame["refreshed_at"] = times.max(axis=1)
    stale = frame[frame["refreshed_at"].isna() | (frame["refreshed_at"] < pd.Timestamp(now - timedelta(days=days)))]
    stale = stale.sort_values(["refreshed_at", "kind", "external_id"], na_position="first")
    return stale[["kind", "external_id", "ward_code", "status", "refreshed_at"]].reset_index(drop=True)


@cached()
def near_duplicates(city: str, metres: float = DUPLICATE_METRES) -> pd.DataFrame:
    """Pairs of assets in service of the same kind closer than `metres` (likely entered twice):
    kind, external_id_a, external_id_b, distance_m, ward_code (of the first)."""
    assets = _asset_rows(city)
    frame = _frame(select(*(assets.c[name] for name in QUALITY_COLUMNS)), QUALITY_COLUMNS)
    found = []
    for kind, group in frame.groupby("kind", sort=True):
        group = group.reset_index(drop=True)
        pairs = pairs_within((group["lon"], group["lat"]), (group["lon"], group["lat"]), metres)
        pairs = pairs[pairs["left"] < pairs["right"]]
        found.append(pd.DataFrame({
            "kind": kind, "external_id_a": group["external_id"].to_numpy()[pairs["left"]],
            "external_id_b": group["external_id"].to_numpy()[pairs["right"]],
            "distance_m": pairs["distance_m"].round(2).to_numpy(),
            "ward_code": group["ward_code"].to_numpy()[pairs["left"]]}))
    columns = ["kind", "external_id_a", "external_id_b", "distance_m", "ward_code"]
    found = [f for f in found if not f.empty]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)
