"""Build the demo databases for one city: generate every table, then replace the
city's rows in one transaction per database.

Deterministic: the same seed, city and `now` give the same rows.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from data_access import models as m
from data_access.db import DatabaseUnavailable, get_engine, init_db, insert_frame, table_named
from demo import ioc_records as ioc
from demo import kpi_records as kpi
from demo.cities import CITIES, CityProfile
from domain.city_time import to_city, utc_now
from domain.indicators import CATALOG
from geo.schematic import area_km2, city_outline, schematic_wards, to_geojson_geometry
from loaders.coverage import refresh_coverage
from loaders.rollups import refresh_dossier_rollup

Progress = Callable[[str], None]


@dataclass
class BuildSummary:
    city: str
    rows: dict[str, int] = field(default_factory=dict)


def city_rng(seed: int, slug: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(slug.encode())])


def load_ward_list(profile: CityProfile) -> pd.DataFrame:
    wards = pd.read_csv(profile.ward_path, dtype=str)
    return wards[["gso_code", "name", "type"]]


def generate(profile: CityProfile, seed: int, now: datetime, progress: Progress) -> dict[str, pd.DataFrame]:
    """Every table's rows for the city, in memory."""
    rng = city_rng(seed, profile.slug)
    ward_list = load_ward_list(profile)
    progress("geometry")
    outline = city_outline(*profile.centre, profile.area_km2, seed)
    polygons = schematic_wards(outline, list(zip(ward_list["gso_code"], ward_list["type"])), seed)
    wards = ioc.make_wards(rng, profile, ward_list, polygons)
    city = pd.DataFrame([{
        "slug": profile.slug, "gso_code": profile.gso_code, "name_vi": profile.name_vi,
        "name_en": profile.name_en, "province_name": profile.province_name,
        "centre_lon": profile.centre[0], "centre_lat": profile.centre[1],
        "area_km2": round(area_km2(outline), 2),
        "outline_geojson": json.dumps(to_geojson_geometry(outline)),
        "boundaries_schematic": True, "data_origin": profile.data_origin,
        "updated_at": pd.Timestamp(now),
    }])
    city["updated_at"] = city["updated_at"].astype("datetime64[us]")
    progress("cameras")
    key_locations = ioc.make_key_locations(rng, profile, wards, polygons)
    cameras = ioc.make_cameras(rng, profile, wards, polygons, key_locations, now)
    samples = ioc.make_camera_samples(rng, cameras, now)
    progress("access points")
    access_points = ioc.make_access_points(rng, profile, wards, polygons, now)
    progress("incidents and reports")
    incidents = ioc.make_incidents(rng, profile, wards, polygons, now)
    reports = ioc.make_citizen_reports(rng, profile, wards, now)
    progress("sensors")
    sensors = ioc.make_sensors(rng, profile, wards, polygons)
    readings = ioc.make_readings(rng, profile, sensors, now)
    progress("dossiers")
    procedures = kpi.make_procedures(rng, profile, now)
    dossiers = kpi.make_dossiers(rng, profile, procedures, wards, now)
    progress("documents and meetings")
    documents = kpi.make_documents(rng, profile, now)
    meetings = kpi.make_meetings(rng, profile, wards, now)
    return {
        "city": city, "ward": wards, "key_location": key_locations, "camera": cameras,
        "camera_status_sample": samples, "access_point": access_points, "incident": incidents,
        "citizen_report": reports, "sensor": sensors, "reading": readings,
        "procedure": procedures, "dossier": dossiers, "e_document": documents, "meeting": meetings,
        "observation": kpi.make_observations(profile, now), "target": kpi.make_targets(profile),
    }


IOC_TABLES = ("city", "ward", "key_location", "camera", "camera_status_sample", "access_point",
              "incident", "citizen_report", "sensor", "reading")
KPI_TABLES = ("procedure", "dossier", "e_document", "meeting", "observation", "target")
_ID_OFFSET_TABLES = {"key_location", "incident", "citizen_report", "procedure", "dossier",
                     "e_document", "meeting"}


def _delete_city(connection, slug: str, which: str) -> None:
    """Remove a city's rows, children first."""
    if which == "ioc":
        sensor_ids = select(m.Sensor.id).where(m.Sensor.city_slug == slug)
        camera_ids = select(m.Camera.id).where(m.Camera.city_slug == slug)
        connection.execute(delete(m.Reading).where(m.Reading.sensor_id.in_(sensor_ids)))
        connection.execute(delete(m.CameraStatusSample).where(m.CameraStatusSample.camera_id.in_(camera_ids)))
        connection.execute(delete(m.KeyLocationCoverage).where(m.KeyLocationCoverage.camera_id.in_(camera_ids)))
        for model in (m.Sensor, m.Camera, m.KeyLocation, m.AccessPoint, m.Incident, m.CitizenReport, m.Ward):
            connection.execute(delete(model).where(model.city_slug == slug))
        connection.execute(delete(m.City).where(m.City.slug == slug))
    else:
        for model in (m.Dossier, m.Procedure, m.EDocument, m.Meeting, m.Observation, m.Target):
            connection.execute(delete(model).where(model.city_slug == slug))


def _shift_ids(connection, tables: dict[str, pd.DataFrame], names) -> None:
    """Integer ids continue after the other cities' rows already in the table."""
    offsets = {}
    for name in names:
        if name in _ID_OFFSET_TABLES:
            table = table_named(name)
            offsets[name] = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
            tables[name]["id"] = tables[name]["id"] + offsets[name]
    if "key_location" in offsets and "camera" in tables:
        tables["camera"]["key_location_id"] = tables["camera"]["key_location_id"] + offsets["key_location"]
    if "procedure" in offsets and "dossier" in tables:
        tables["dossier"]["procedure_id"] = tables["dossier"]["procedure_id"] + offsets["procedure"]


def _sync_catalog(connection) -> None:
    existing = set(connection.execute(select(m.Indicator.code)).scalars())
    for item in CATALOG:
        values = {"name_vi": item.name_vi, "name_en": item.name_en, "pillar": item.pillar,
                  "unit": item.unit, "higher_is_better": item.higher_is_better,
                  "source": item.source, "method": item.method}
        if item.code in existing:
            connection.execute(m.Indicator.__table__.update()
                               .where(m.Indicator.code == item.code).values(**values))
        else:
            connection.execute(m.Indicator.__table__.insert().values(code=item.code, **values))


def write(tables: dict[str, pd.DataFrame], slug: str, progress: Progress) -> dict[str, int]:
    """Replace the city's rows: one transaction per database, all or nothing in each."""
    counts: dict[str, int] = {}
    try:
        for which, names in (("kpi", KPI_TABLES), ("ioc", IOC_TABLES)):
            init_db(which)
            with get_engine(which, writable=True).begin() as connection:
                if which == "kpi":
                    _sync_catalog(connection)
                _delete_city(connection, slug, which)
                _shift_ids(connection, tables, names)
                for name in names:
                    progress(f"writing {name}")
                    frame = tables[name][_table_columns_present(name, tables[name])]
                    counts[name] = insert_frame(connection, name, frame)
                if which == "kpi":
                    counts["dossier_monthly"] = refresh_dossier_rollup(connection, slug)
                else:
                    counts["key_location_coverage"] = refresh_coverage(connection, slug)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"demo build failed while writing: {str(exc).splitlines()[0][:200]}") from exc
    return counts


def _table_columns_present(name: str, frame: pd.DataFrame) -> list[str]:
    return [column.name for column in table_named(name).columns if column.name in frame.columns]


def build_city(slug: str, seed: int = 2022, now: datetime | None = None,
               progress: Progress = lambda _step: None) -> BuildSummary:
    """Generate and store the demo data of one city. `now` is city wall time when naive."""
    if slug not in CITIES:
        raise ValueError(f"unknown city {slug!r}; choose one of {', '.join(CITIES)}")
    # The generators work in city wall time (office hours, days, years); insert_frame stores UTC.
    now = to_city(now or utc_now()).replace(tzinfo=None) if (now is None or now.tzinfo) else now
    tables = generate(CITIES[slug], seed, now.replace(second=0, microsecond=0), progress)
    return BuildSummary(city=slug, rows=write(tables, slug, progress))
