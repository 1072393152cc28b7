"""Spatial coverage: a camera within COVERAGE_RADIUS_M (99 m) covers a key location, one at 101 m
does not, in every direction; per-category radii; the spatial index finds exactly what comparing
every pair finds; coverage is stored and read in SQL by the KPIs and the map (retired cameras
left out from their retirement on); the demo's computed coverage is its calibrated one, without
`camera.key_location_id`."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Geod
from sqlalchemy import func, select, update

from data_access import models as m
from data_access.coverage import pairs_within
from domain import periods
from loaders.coverage import coverage_pairs
from tests.unit.test_assets import CITY, points_in, write_csv

GEOD = Geod(ellps="WGS84")
CENTRE = (105.7766, 19.8066)
BEARINGS = (0, 45, 90, 135, 180, 225, 270, 315)


def at(distance_m: float, bearing: float, origin=CENTRE) -> tuple[float, float]:
    lon, lat, _back = GEOD.fwd(origin[0], origin[1], bearing, distance_m)
    return lon, lat


def cameras_at(*placed: tuple[float, float]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"C{i}" for i in range(len(placed))], "lon": [p[0] for p in placed],
                         "lat": [p[1] for p in placed]})


@pytest.mark.parametrize("bearing", BEARINGS)
def test_99_metres_covers_and_101_does_not(bearing):
    location = pd.DataFrame({"id": [1], "lon": [CENTRE[0]], "lat": [CENTRE[1]], "category": ["school"]})
    pairs = coverage_pairs(cameras_at(at(99, bearing), at(101, bearing)), location)
    assert pairs["camera_id"].tolist() == ["C0"]
    assert pairs["distance_m"].iloc[0] == pytest.approx(99, abs=0.1)


@pytest.mark.parametrize("radius, by_category, covered", [
    ("100", "", ["C0"]),
    ("50", "", []),
    ("100", "school=150", ["C0", "C1"]),
    ("100", "intersection=150", ["C0"]),  # another category's radius does not apply
])
def test_radius_from_the_settings(monkeypatch, radius, by_category, covered):
    monkeypatch.setenv("COVERAGE_RADIUS_M", radius)
    monkeypatch.setenv("COVERAGE_RADIUS_BY_CATEGORY", by_category)
    location = pd.DataFrame({"id": [1], "lon": [CENTRE[0]], "lat": [CENTRE[1]], "category": ["school"]})
    assert coverage_pairs(cameras_at(at(99, 30), at(101, 30)), location)["camera_id"].tolist() == covered


def test_the_spatial_index_finds_what_comparing_every_pair_finds():
    rng = np.random.default_rng(4)
    cameras = (rng.uniform(105.70, 105.86, 3000), rng.uniform(19.74, 19.88, 3000))
    locations = (rng.uniform(105.70, 105.86, 300), rng.uniform(19.74, 19.88, 300))
    found = pairs_within(locations, cameras, 100.0)
    naive = set()
    for i, (lon, lat) in enumerate(zip(*locations)):
        _az, _back, metres = GEOD.inv(np.full(3000, lon), np.full(3000, lat), cameras[0], cameras[1])
        naive |= {(i, j) for j in np.flatnonzero(metres <= 100.0) if abs(metres[j] - 100.0) > 0.1}
    near_edge = {(i, j) for i, j, d in found.itertuples(index=False) if abs(d - 100.0) <= 0.1}
    assert set(zip(found["left"], found["right"])) - near_edge == naive
    assert len(naive) > 50


# --- stored, and read in SQL --------------------------------------------------------------------

def _import(tmp_path, kind: str, header: str, rows: list[str], name: str, **options):
    from loaders.assets import import_asset_file

    report = import_asset_file(write_csv(tmp_path, rows, header=header, name=name), kind=kind, city=CITY, **options)
    assert report.errors == [], report.errors
    return report


def test_imported_positions_decide_coverage_for_the_kpis_and_the_map(private_demo, tmp_path):
    from data_access.kpi import compute_kpis
    from data_access.map_layers import key_location_points
    from loaders.assets import load_city_area

    (lon, lat, ward), = points_in(load_city_area(CITY), 1, seed=17)
    _import(tmp_path, "key_location", "external_id,name,lon,lat,category", [f"KL-X,Trường X,{lon},{lat},school"],
            "kl.csv")
    header = "external_id,lon,lat,camera_kind,status,installed_on"
    near, far = at(99, 60, (lon, lat)), at(101, 240, (lon, lat))
    report = _import(tmp_path, "camera", header, [f"CX-1,{near[0]},{near[1]},security,online,01/03/2024",
                                                  f"CX-2,{far[0]},{far[1]},traffic,online,01/03/2024"], "cx.csv",
                     retire_missing=True)  # the demo's cameras leave: only these two remain in service
    assert report.coverage_pairs is not None
    shown = key_location_points.uncached(CITY).set_index("name").loc["Trường X"]
    assert (shown["security"], shown["traffic"], shown["covered"]) == (1, 0, 1)
    before = {year: compute_kpis.uncached(CITY, periods.year(year), ward) for year in (2025, 2026)}
    # The covering camera is retired in June 2026: it no longer covers at the end of 2026, still did in 2025.
    from data_access import cache
    from data_access.db import get_engine

    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(update(m.Camera).where(m.Camera.external_id == "CX-1")
                           .values(retired_at=pd.Timestamp("2026-06-01", tz="UTC").to_pydatetime()))
    cache.clear()
    assert key_location_points.uncached(CITY).set_index("name").loc["Trường X"]["security"] == 0
    after = {year: compute_kpis.uncached(CITY, periods.year(year), ward) for year in (2025, 2026)}
    rate = "camera.key_locations_security_rate"
    assert after[2026][rate] < before[2026][rate]
    assert after[2025][rate] == before[2025][rate]


def test_the_coverage_command_follows_a_new_radius(private_demo, monkeypatch):
    from data_access.db import get_engine
    from manage import cli

    def pairs() -> int:
        with get_engine("ioc").connect() as connection:
            return connection.execute(select(func.count()).select_from(m.KeyLocationCoverage)).scalar()

    base = pairs()
    monkeypatch.setenv("COVERAGE_RADIUS_M", "400")
    result = CliRunner().invoke(cli, ["coverage", "--city", CITY])
    assert result.exit_code == 0, result.output
    assert "within 400 m" in result.output and pairs() > base
    monkeypatch.setenv("COVERAGE_RADIUS_M", "100")
    CliRunner().invoke(cli, ["coverage", "--city", CITY])
    assert pairs() == base
    with get_engine("ioc").connect() as connection:
        actions = connection.execute(select(m.AuditEvent.action).order_by(m.AuditEvent.id.desc()).limit(2)).scalars()
        assert list(actions) == ["coverage", "coverage"]


# --- the demo -----------------------------------------------------------------------------------

def _calibrated(rate_key: str, year: int) -> float:
    from demo.cities import CITIES
    from demo.ioc_records import _coverage_targets
    from tests.conftest import DEMO_NOW

    profile = CITIES[CITY]
    total = int(profile.yearly["key_locations"][2019])
    return _coverage_targets(profile, rate_key, total, DEMO_NOW)[year] / total * 100


@pytest.mark.parametrize("year", range(2020, 2027))
def test_demo_coverage_computed_from_positions_is_the_calibrated_one(demo_db, year):
    from data_access.kpi import compute_kpis

    values = compute_kpis.uncached(CITY, periods.year(year))
    assert values["camera.key_locations_security_rate"] == pytest.approx(_calibrated("key_security_rate", year))
    assert values["camera.key_locations_traffic_rate"] == pytest.approx(_calibrated("key_traffic_rate", year))


def test_camera_key_location_id_is_not_read(private_demo):
    from data_access.db import get_engine
    from data_access.kpi import compute_kpis
    from data_access.map_layers import key_location_points

    before = (compute_kpis.uncached(CITY, periods.year(2022)), key_location_points.uncached(CITY))
    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(update(m.Camera).values(key_location_id=None))
    after = (compute_kpis.uncached(CITY, periods.year(2022)), key_location_points.uncached(CITY))
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])


def test_demo_keeps_key_locations_apart_and_other_cameras_away(demo_db):
    from data_access.db import get_engine
    from loaders.coverage import largest_radius

    with get_engine("ioc").connect() as connection:
        locations = pd.DataFrame(connection.execute(select(m.KeyLocation.lon, m.KeyLocation.lat)
                                                    .where(m.KeyLocation.city_slug == CITY)).all())
        pairs = connection.execute(select(func.count()).select_from(m.KeyLocationCoverage)).scalar()
        placed = connection.execute(select(func.count()).select_from(m.Camera)
                                    .where(m.Camera.key_location_id.is_not(None))).scalar()
    close = pairs_within((locations["lon"], locations["lat"]), (locations["lon"], locations["lat"]), largest_radius())
    assert (close["left"] == close["right"]).all(), "no two key locations within the radius"
    assert pairs == placed, "each placed camera covers its own key location, no other camera covers any"
