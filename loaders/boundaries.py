"""Storing a city's own administrative boundaries: the file is read, reprojected, repaired
and matched by `geo.boundaries`, then written here through the apply step in one
transaction of the IOC database. Every boundary goes into `unit_boundary` (original and
display geometry); a ward's boundary also replaces its schematic polygon, and a district
that is one of the dashboard's cities replaces that city's schematic outline.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, inspect, update

from data_access import models as m
from data_access.admin_units import LEVELS, city_slugs, known_units
from data_access.db import DatabaseUnavailable, connect
from domain.city_time import utc_now
from geo.boundaries import BoundaryImportError, StoredBoundary, combine, match, read_features
from loaders.apply import apply
from security.uploads import UnsafeUpload, check_size


@dataclass
class BoundaryReport:
    crs: str                      # detected source CRS, e.g. "EPSG:3405"
    level: str                    # province|district|ward
    features: list[dict]          # each: gso_code, name, level, matched (bool), area_km2 (float, equal-area)
    unmatched: list[str]          # names/codes of features that matched no unit
    messages: list[str] = field(default_factory=list)  # repairs done, swapped axes detected, etc.
    dry_run: bool = False
    applied: bool = False         # False on dry run
    source: str = ""
    counts: dict[str, int] = field(default_factory=lambda: {"stored": 0, "wards": 0, "cities": 0})
    errors: list[str] = field(default_factory=list)  # refusals are raised as BoundaryImportError instead

    def summary(self) -> str:
        c = self.counts
        return (f"{self.source}: {self.level}, CRS {self.crs}, {c['stored']} stored, {c['wards']} wards, "
                f"{c['cities']} cities, {len(self.unmatched)} unmatched")


def import_boundary_file(path: Path, *, level: str | None = None, city: str | None = None,
                         dry_run: bool = False, actor: str = "cli") -> BoundaryReport:
    """Read, check, reproject, repair and match a boundary file; store it unless `dry_run`.

    Raises BoundaryImportError (message for the user) when the file is refused;
    nothing is written then. On success the maps draw the new boundaries and
    drop the "schematic" label for the units that were replaced.
    """
    path = Path(path)
    if level is not None and level not in LEVELS:
        raise BoundaryImportError(f"Unknown level {level!r}; choose province, district or ward.")
    if not path.is_file():
        raise BoundaryImportError(f"{path} does not exist or is not a file.")
    try:
        check_size(path)
        if city is not None and city not in city_slugs():
            raise BoundaryImportError(f"Unknown city {city!r}; choose one of {', '.join(sorted(city_slugs()))}.")
    except (UnsafeUpload, DatabaseUnavailable) as exc:
        raise BoundaryImportError(str(exc)) from None
    messages: list[str] = []
    features, crs_label = read_features(path, level, messages)
    try:
        for feature_level in LEVELS:
            group = [f for f in features if f.level == feature_level]
            if group:
                match(group, known_units(feature_level, city), feature_level, city, messages)
    except DatabaseUnavailable as exc:
        raise BoundaryImportError(str(exc)) from None
    report_level = level or Counter(f.level for f in features).most_common(1)[0][0]
    entries, boundaries, unmatched = combine(features, messages)
    report = BoundaryReport(crs=crs_label, level=report_level, features=entries,
                            unmatched=unmatched, messages=messages, dry_run=dry_run, source=path.name)
    if dry_run:
        return report
    if not boundaries:
        raise BoundaryImportError(f"No feature of {path.name} matched a known unit; nothing changed. "
                                  f"Unmatched: {', '.join(unmatched[:10])}.")
    try:
        _require_boundary_table()
        apply(report, database="ioc", write=lambda connection: _store(connection, boundaries, report, actor),
              actor=actor, action="import_boundaries")
    except DatabaseUnavailable as exc:
        raise BoundaryImportError(str(exc)) from None
    report.messages.append(f"Stored {report.counts['stored']} boundaries; replaced {report.counts['wards']} "
                           f"ward polygon(s) and {report.counts['cities']} city outline(s).")
    return report


def _require_boundary_table() -> None:
    with connect("ioc") as connection:
        if not inspect(connection).has_table(m.UnitBoundary.__tablename__):
            raise DatabaseUnavailable("the IOC database has no unit_boundary table yet; "
                                      "run `python manage.py migrate` first")


def _store(connection, boundaries: list[StoredBoundary], report: BoundaryReport, actor: str) -> None:
    now = utc_now()
    counts = report.counts
    for item in boundaries:
        unit = item.unit
        connection.execute(delete(m.UnitBoundary).where(m.UnitBoundary.gso_code == unit.gso_code,
                                                        m.UnitBoundary.level == unit.level))
        connection.execute(m.UnitBoundary.__table__.insert().values(
            gso_code=unit.gso_code, level=unit.level, name=unit.name[:120],
            original_geojson=item.original_geojson, display_geojson=item.display_geojson,
            area_km2=item.area_km2, source_file=report.source[:255], source_crs=report.crs[:120],
            imported_at=now, imported_by=actor[:64]))
        counts["stored"] += 1
        if unit.level == "ward":
            counts["wards"] += connection.execute(
                update(m.Ward).where(m.Ward.gso_code == unit.gso_code).values(
                    geometry_geojson=item.display_geojson, is_schematic=False, area_km2=item.area_km2,
                    centre_lon=item.centre_lon, centre_lat=item.centre_lat)).rowcount
        elif unit.level == "district" and unit.city_slug is not None:
            counts["cities"] += connection.execute(
                update(m.City).where(m.City.gso_code == unit.gso_code).values(
                    outline_geojson=item.display_geojson, boundaries_schematic=False,
                    area_km2=item.area_km2, centre_lon=item.centre_lon, centre_lat=item.centre_lat,
                    updated_at=now)).rowcount


def print_report(report: BoundaryReport, as_json: bool, echo) -> None:
    """For the CLI: `as_json` prints one JSON array of the features on stdout (messages on stderr);
    otherwise a readable table with the CRS, what was done and the unmatched features."""
    if as_json:
        for message in report.messages:
            echo(message, err=True)
        echo(json.dumps(report.features, ensure_ascii=False))
        return
    echo(f"CRS {report.crs} → WGS84; level {report.level}; "
         f"{'applied' if report.applied else 'dry run, nothing changed'}")
    echo(f"{'GSO':<7} {'level':<9} {'matched':<8} {'area km²':>12}  name")
    for feature in report.features:
        echo(f"{feature['gso_code'] or '-':<7} {feature['level']:<9} {'yes' if feature['matched'] else 'NO':<8} "
             f"{feature['area_km2']:>12,.2f}  {feature['name'] or ''}")
    matched = sum(1 for feature in report.features if feature["matched"])
    echo(f"{matched} of {len(report.features)} matched")
    for label in report.unmatched:
        echo(f"unmatched: {label}")
    for message in report.messages:
        echo(f"note: {message}")
