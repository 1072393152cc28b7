"""Cities and wards of the IOC database: what the city selector, maps and
drill-downs need."""
from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import select

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect


@cached()
def list_cities() -> list[dict]:
    """[{slug, name_vi, name_en, gso_code, boundaries_schematic, data_origin}], by name."""
    c = m.City
    query = select(c.slug, c.name_vi, c.name_en, c.gso_code, c.boundaries_schematic,
                   c.data_origin, c.centre_lon, c.centre_lat, c.area_km2).order_by(c.name_vi)
    with connect("ioc") as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def get_city(slug: str) -> dict | None:
    """One city's row, or None when the slug is unknown."""
    return next((city for city in list_cities() if city["slug"] == slug), None)


@cached()
def wards_frame(city: str) -> pd.DataFrame:
    """The city's wards without geometry: code, name, type, area, population, households."""
    w = m.Ward
    query = (select(w.gso_code, w.name, w.type, w.area_km2, w.population, w.households,
                    w.centre_lon, w.centre_lat, w.is_schematic)
             .where(w.city_slug == city).order_by(w.gso_code))
    with connect("ioc") as connection:
        result = connection.execute(query)
        # Named columns even when the city has no wards yet (a city added before its boundaries).
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


@cached()
def has_schematic_wards(city: str) -> bool:
    """Whether any of the city's wards is still drawn with a schematic polygon (no boundary imported)."""
    w = m.Ward
    query = select(w.gso_code).where(w.city_slug == city, w.is_schematic.is_(True)).limit(1)
    with connect("ioc") as connection:
        return connection.execute(query).first() is not None


@cached()
def wards_geojson(city: str) -> dict:
    """The city's wards as a GeoJSON FeatureCollection (WGS84)."""
    w = m.Ward
    query = (select(w.gso_code, w.name, w.type, w.geometry_geojson, w.is_schematic, w.population)
             .where(w.city_slug == city).order_by(w.gso_code))
    with connect("ioc") as connection:
        rows = connection.execute(query).all()
    features = [{
        "type": "Feature", "id": code,
        "geometry": json.loads(geometry),
        "properties": {"gso_code": code, "name": name, "type": kind, "schematic": bool(schematic),
                       "population": population},
    } for code, name, kind, geometry, schematic, population in rows]
    return {"type": "FeatureCollection", "features": features}


@cached()
def find_ward(gso_code: str) -> dict | None:
    """A ward by GSO code in any city, with its geometry; None when unknown."""
    w = m.Ward
    query = select(w.gso_code, w.name, w.type, w.city_slug, w.area_km2, w.population, w.households,
                   w.centre_lon, w.centre_lat, w.geometry_geojson, w.is_schematic).where(w.gso_code == gso_code)
    with connect("ioc") as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None
