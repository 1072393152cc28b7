"""Which cameras cover which key locations, computed from their positions and stored.

A key location is covered by a camera within `COVERAGE_RADIUS_M` metres of it (or the radius
`COVERAGE_RADIUS_BY_CATEGORY` gives its category). The pairs are found with a spatial index
(`data_access.coverage.pairs_within`: geopandas `sjoin`, `dwithin`, in the points' UTM zone)
and stored in `key_location_coverage`, so the KPI engine and the map read coverage in SQL.
Every camera and key location is paired, retired or not: the readers keep those in place at
the end of the period they describe. The pairs are rebuilt for the whole city in the same
transaction that changes its cameras or key locations (asset import, sync, demo), and by
`python manage.py coverage` after a radius change.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import delete, func, select

import settings
from data_access import models as m
from data_access.coverage import pairs_within
from data_access.db import insert_frame
from loaders.apply import apply, city_ward_codes

COVERAGE_COLUMNS = ("key_location_id", "camera_id", "distance_m")


def radius_for(category: str | None = None) -> float:
    """Metres within which a camera covers a key location of `category`."""
    return float(_by_category().get(category or "", settings.get_int("COVERAGE_RADIUS_M")))


def _by_category() -> dict[str, float]:
    text = settings.get("COVERAGE_RADIUS_BY_CATEGORY").strip()
    return settings.parse_pairs(text) if text else {}


def largest_radius() -> float:
    return max([float(settings.get_int("COVERAGE_RADIUS_M")), *_by_category().values()])


def coverage_pairs(cameras: pd.DataFrame, locations: pd.DataFrame) -> pd.DataFrame:
    """(key_location_id, camera_id, distance_m) for every camera within its key location's radius.

    `cameras`: id, lon, lat; `locations`: id, lon, lat and optionally category."""
    found = pairs_within((locations["lon"], locations["lat"]), (cameras["lon"], cameras["lat"]), largest_radius())
    if found.empty:
        return pd.DataFrame({"key_location_id": pd.Series(dtype=int), "camera_id": pd.Series(dtype=str),
                             "distance_m": pd.Series(dtype=float)})
    default, by_category = radius_for(), _by_category()
    categories = (pd.Series(locations["category"].to_numpy()[found["left"]]) if "category" in locations
                  else pd.Series([None] * len(found), dtype=object))
    radius = categories.map(by_category).fillna(default).to_numpy(dtype=float)
    found = found[found["distance_m"].to_numpy() <= radius]
    return pd.DataFrame({"key_location_id": locations["id"].to_numpy()[found["left"]].astype(int),
                         "camera_id": cameras["id"].to_numpy()[found["right"]].astype(str),
                         "distance_m": found["distance_m"].round(3).to_numpy()})


def _read(connection, query, columns) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in connection.execute(query)], columns=list(columns))


def refresh_coverage(connection, city: str) -> int:
    """Replace the city's stored pairs, inside the caller's transaction; the number stored."""
    c, k, cov = m.Camera, m.KeyLocation, m.KeyLocationCoverage
    cameras = _read(connection, select(c.id, c.lon, c.lat).where(c.city_slug == city), ("id", "lon", "lat"))
    locations = _read(connection, select(k.id, k.lon, k.lat, k.category).where(k.city_slug == city),
                      ("id", "lon", "lat", "category"))
    connection.execute(delete(cov).where(cov.key_location_id.in_(select(k.id).where(k.city_slug == city))))
    pairs = coverage_pairs(cameras, locations)
    return insert_frame(connection, cov.__tablename__, pairs[list(COVERAGE_COLUMNS)])


@dataclass
class CoverageReport:
    """What `recompute` did, for the apply step and the CLI."""
    city: str
    radius_m: float
    pairs: int = 0
    covered: dict[str, int] = field(default_factory=dict)  # camera kind -> key locations covered
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    def summary(self) -> str:
        covered = ", ".join(f"{kind} {n}" for kind, n in sorted(self.covered.items()))
        return f"coverage of {self.city} within {self.radius_m:g} m: {self.pairs} pairs; covered {covered or 'none'}"


def recompute(city: str, actor: str = "cli") -> CoverageReport:
    """Rebuild the city's coverage (after COVERAGE_RADIUS_M changed), audited, caches cleared."""
    city_ward_codes(city)  # ImportRejected for an unknown city
    report = CoverageReport(city=city, radius_m=largest_radius())

    def write(connection) -> None:
        c, k, cov = m.Camera, m.KeyLocation, m.KeyLocationCoverage
        report.pairs = refresh_coverage(connection, city)
        query = (select(c.kind, func.count(func.distinct(cov.key_location_id))).select_from(cov)
                 .join(c, c.id == cov.camera_id).join(k, k.id == cov.key_location_id)
                 .where(k.city_slug == city, c.retired_at.is_(None), k.retired_at.is_(None)).group_by(c.kind))
        report.covered = dict(connection.execute(query).all())

    return apply(report, database="ioc", write=write, actor=actor, action="coverage")
