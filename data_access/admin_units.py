"""Administrative units that imported boundaries and files can be matched to.

Provinces and districts of the demo cities' provinces come from the GSO list
(`admin_units.csv`, codes in force before the 2025 reform), cities and wards from
the IOC database.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from data_access import models as m
from data_access.db import connect

ADMIN_UNITS_FILE = Path(__file__).resolve().parent / "admin_units.csv"
LEVELS = ("province", "district", "ward")


@dataclass(frozen=True)
class Unit:
    gso_code: str
    name: str
    level: str
    city_slug: str | None = None  # the dashboard city this unit is (district) or lies in (ward)


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


def current_ward_codes(city: str) -> set[str] | None:
    """Today's ward codes of the city, read afresh (imports check against them); None for an
    unknown city."""
    with connect("ioc") as connection:
        if connection.execute(select(m.City.slug).where(m.City.slug == city)).first() is None:
            return None
        return set(connection.execute(select(m.Ward.gso_code).where(m.Ward.city_slug == city)).scalars())
