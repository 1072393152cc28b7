"""Administrative units that boundaries can be matched to, and storing imported boundaries.

Units: provinces and districts of the demo cities' provinces come from the
GSO list (`admin_units.csv`, codes in force before the 2025 reform), cities
and wards from the IOC database. Applying an import is one transaction: every
boundary goes into `unit_boundary` (original and display geometry); a ward's
boundary also replaces its schematic polygon, and a district that is one of
the dashboard's cities replaces that city's schematic outline.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from data_access import models as m
from data_access.db import DatabaseUnavailable, connect, get_engine

ADMIN_UNITS_FILE = Path(__file__).resolve().parent / "admin_units.csv"
LEVELS = ("province", "district", "ward")


@dataclass(frozen=True)
class Unit:
    gso_code: str
    name: str
    level: str
    city_slug: str | None = None  # the dashboard city this unit is (district) or lies in (ward)


@dataclass(frozen=True)
class StoredBoundary:
    """One matched boundary ready to store (geometries as GeoJSON text, WGS84)."""
    unit: Unit
    original_geojson: str
    display_geojson: str
    area_km2: float
    centre_lon: float
    centre_lat: float


@functools.lru_cache(maxsize=1)
def _listed_units() -> tuple[Unit, ...]:
    with ADMIN_UNITS_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(Unit(row["gso_code"], row["name"], row["level"]) for row in csv.DictReader(handle))


def known_units(level: str, city: str | None = None) -> list[Unit]:
    """The units of one level a feature may be matched to; `city` narrows wards to that city's."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    with connect("ioc") as connection:
        if level == "ward":
            query = select(m.Ward.gso_code, m.Ward.name, m.Ward.city_slug)
            if city is not None:
                query = query.where(m.Ward.city_slug == city)
            return [Unit(code, name, "ward", slug) for code, name, slug in connection.execute(query)]
        cities = {code: (slug, name) for slug, code, name in
                  connection.execute(select(m.City.slug, m.City.gso_code, m.City.name_vi))}
    units = [unit for unit in _listed_units() if unit.level == level]
    if level == "district":
        listed = {unit.gso_code for unit in units}
        units = [Unit(u.gso_code, u.name, u.level, cities.get(u.gso_code, (None,))[0]) for u in units]
        units += [Unit(code, name, "district", slug) for code, (slug, name) in cities.items() if code not in listed]
    return units


def city_slugs() -> set[str]:
    with connect("ioc") as connection:
        return set(connection.execute(select(m.City.slug)).scalars())


def apply_boundaries(boundaries: list[StoredBoundary], source_file: str, source_crs: str,
                     actor: str) -> dict[str, int]:
    """Store the boundaries in one transaction; counts of what changed.

    Returns {"stored": n, "wards": n, "cities": n}. A database error rolls
    everything back and becomes DatabaseUnavailable.
    """
    engine = get_engine("ioc", writable=True)
    now = datetime.now()
    counts = {"stored": 0, "wards": 0, "cities": 0}
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table(m.UnitBoundary.__tablename__):
                raise DatabaseUnavailable("the IOC database has no unit_boundary table yet; "
                                          "run `python manage.py migrate` first")
            for item in boundaries:
                unit = item.unit
                connection.execute(delete(m.UnitBoundary).where(m.UnitBoundary.gso_code == unit.gso_code,
                                                                m.UnitBoundary.level == unit.level))
                connection.execute(m.UnitBoundary.__table__.insert().values(
                    gso_code=unit.gso_code, level=unit.level, name=unit.name[:120],
                    original_geojson=item.original_geojson, display_geojson=item.display_geojson,
                    area_km2=item.area_km2, source_file=source_file[:255], source_crs=source_crs[:120],
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
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"boundaries not stored, nothing changed: "
                                  f"{str(getattr(exc, 'orig', None) or exc).splitlines()[0][:200]}") from exc
    return counts
