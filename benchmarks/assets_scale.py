"""Benchmark: a province-scale asset inventory, imported, covered and drawn.

    python benchmarks/assets_scale.py [--runs 3] [--cameras 200000] [--naive-locations 1000]
                                      [--naive-cameras 20000] [--skip-postgres] [--skip-map]

Thanh Hóa province (its 27 district-level units, read at run time from
../shared/data/thanh_hoa_province_districts.geojson, stand in for the wards of one
"city") with a generated inventory: 200,000 cameras, 20,000 access points and 5,000 key
locations, denser in the towns, written as GeoPackages in VN-2000 / TM-3 (EPSG:5897).

- import: `loaders.assets.import_asset_file` for the three files (key locations, access points,
  cameras; coverage recomputed inside the camera import), on SQLite and on PostgreSQL;
- coverage: `loaders.coverage.coverage_pairs` (geopandas sjoin, dwithin, UTM) over the whole
  inventory, and against a naive peer (haversine from every key location to every camera in
  Python) on a subset, both measured in this run on the same subset, with their pairs compared;
- map: /map?layers=security,traffic in headless Chromium (the map benchmark's method: navigation
  until the clusters add up to every camera in service; map data bytes as transferred, gzipped)
  with 20k, 100k and 200k cameras in service (the others retired).

The last line is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.chromium import spread  # noqa: E402  (project on the path)
from benchmarks.map_load import PASSWORD, browser, map_data_bytes, sign_in, start_gunicorn, wait_ready  # noqa: E402

SLUG = "thanh-hoa-province"
DISTRICTS = ROOT.parent / "shared" / "data" / "thanh_hoa_province_districts.geojson"
VN2000_TM3 = "EPSG:5897"
TOWNS = {"380", "381", "382", "407"}  # the city, Bỉm Sơn, Sầm Sơn, Nghi Sơn: where most assets are
MAP_SIZES = (20_000, 100_000, 200_000)
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CATEGORIES = ("intersection", "school", "government_office", "market", "hospital", "tourist_site", "park",
              "bus_station")


def use_databases(ioc_url: str, kpi_url: str) -> None:
    from data_access import cache, db

    os.environ["IOC_DATABASE_URL"], os.environ["KPI_DATABASE_URL"] = ioc_url, kpi_url
    db.reset_engines()
    cache.clear()


# --- the province and its inventory -------------------------------------------------------------

def districts():
    import geopandas as gpd

    frame = gpd.read_file(DISTRICTS)
    return frame[frame["level"] == "district"].reset_index(drop=True), frame[frame["level"] == "province"].iloc[0]


def prepare(urls: tuple[str, str]) -> None:
    """Empty databases with the province as one city whose 'wards' are its district-level units."""
    import json as json_module

    from shapely.geometry import mapping

    from data_access import models as m
    from data_access.db import get_engine, init_db
    from domain.city_time import utc_now
    from geo.boundaries import display_geometries, equal_area_km2
    from geo.schematic import centre_of

    use_databases(*urls)
    for which in ("ioc", "kpi"):
        init_db(which)
    units, province = districts()
    areas = equal_area_km2(list(units.geometry))
    shown = display_geometries(list(units.geometry))  # what a boundary import stores for the maps
    lon, lat = centre_of(province.geometry)
    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(m.City.__table__.insert().values(
            slug=SLUG, gso_code=province.gso_code, name_vi=province["name"], name_en="Thanh Hoa province",
            province_name=province["name"], centre_lon=lon, centre_lat=lat,
            area_km2=equal_area_km2([province.geometry])[0],
            outline_geojson=json_module.dumps(mapping(display_geometries([province.geometry])[0])),
            boundaries_schematic=False, data_origin="benchmark", updated_at=utc_now()))
        for (code, name, geometry), area, simple in zip(units[["gso_code", "name", "geometry"]].itertuples(index=False),
                                                        areas, shown):
            x, y = centre_of(geometry)
            connection.execute(m.UnitBoundary.__table__.insert().values(
                gso_code=code, level="ward", name=name, original_geojson=json_module.dumps(mapping(geometry)),
                display_geojson=json_module.dumps(mapping(simple)), area_km2=area, source_file=DISTRICTS.name,
                source_crs="EPSG:4326", imported_at=utc_now(), imported_by="benchmark"))
            connection.execute(m.Ward.__table__.insert().values(
                gso_code=code, city_slug=SLUG, name=name, type="district", is_schematic=False,
                geometry_geojson=json_module.dumps(mapping(simple)), area_km2=area, centre_lon=x, centre_lat=y,
                population=100_000 * (5 if code in TOWNS else 1), households=27_000 * (5 if code in TOWNS else 1)))


def generate(folder: Path, counts: dict[str, int], seed: int = 2026) -> dict[str, Path]:
    """GeoPackages (VN-2000 / TM-3) of generated key locations, access points and cameras."""
    import geopandas as gpd
    import numpy as np

    from geo.schematic import sample_points_in

    rng = np.random.default_rng(seed)
    units, _province = districts()
    weights = np.array([area * (40 if code in TOWNS else 1) for code, area in
                        zip(units["gso_code"], units.to_crs("EPSG:3405").area)], dtype=float)
    weights /= weights.sum()

    def positions(n: int):
        lons, lats = [], []
        for geometry, count in zip(units.geometry, rng.multinomial(n, weights)):
            x, y = sample_points_in(geometry, int(count), rng)
            lons.append(x)
            lats.append(y)
        order = rng.permutation(n)
        return np.concatenate(lons)[order], np.concatenate(lats)[order]

    def installed(n: int) -> list[date]:
        return [date(2015, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 4300, n)]

    tables = {
        "key_location": lambda n: {"external_id": [f"TH-KL-{i:06d}" for i in range(1, n + 1)],
                                   "name": [f"Điểm {i}" for i in range(1, n + 1)],
                                   "category": rng.choice(CATEGORIES, n)},
        "access_point": lambda n: {"external_id": [f"TH-AP-{i:06d}" for i in range(1, n + 1)],
                                   "name": [f"Điểm truy cập {i}" for i in range(1, n + 1)],
                                   "ap_kind": rng.choice(["free_wifi", "public_internet_point"], n, p=[0.1, 0.9]),
                                   "provider": rng.choice(["VNPT", "Viettel", "FPT"], n),
                                   "status": rng.choice(["active", "offline"], n, p=[0.97, 0.03]),
                                   "installed_on": installed(n)},
        "camera": lambda n: {"external_id": [f"TH-CAM-{i:07d}" for i in range(1, n + 1)],
                             "camera_kind": rng.choice(["security", "traffic"], n, p=[0.85, 0.15]),
                             "status": rng.choice(["online", "offline", "maintenance"], n, p=[0.93, 0.05, 0.02]),
                             "installed_on": installed(n),
                             "owner": rng.choice(["city", "socialised"], n, p=[0.3, 0.7])},
    }
    files = {}
    for kind, columns in tables.items():
        n = counts[kind]
        lons, lats = positions(n)
        frame = gpd.GeoDataFrame(columns(n), geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326").to_crs(VN2000_TM3)
        files[kind] = folder / f"{kind}.gpkg"
        frame.to_file(files[kind], layer=kind, engine="pyogrio")
    return files


# --- import -------------------------------------------------------------------------------------

def import_all(files: dict[str, Path]) -> dict[str, float]:
    from loaders.assets import import_asset_file

    seconds = {}
    for kind in ("key_location", "access_point", "camera"):
        started = time.perf_counter()
        report = import_asset_file(files[kind], kind=kind, city=SLUG, actor="benchmark")
        seconds[kind] = time.perf_counter() - started
        if report.errors or len(report.created) != report.rows:
            raise RuntimeError(f"{kind}: {len(report.errors)} rejected, e.g. {report.errors[:3]}")
    return seconds


class ScratchPostgres:
    """Two PostgreSQL databases of this run, dropped at the end."""

    def __enter__(self) -> tuple[str, str]:
        import psycopg
        from psycopg import sql

        self.admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
        self.names = [f"{which}_assets_bench_{uuid.uuid4().hex[:8]}" for which in ("ioc", "kpi")]
        for name in self.names:
            self.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        return tuple(f"{base}/{name}" for name in self.names)

    def __exit__(self, *_exc) -> None:
        from psycopg import sql

        from data_access import db

        db.reset_engines()
        for name in self.names:
            self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self.admin.close()


# --- coverage -----------------------------------------------------------------------------------

def _frames():
    import pandas as pd
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect

    with connect("ioc") as connection:
        cameras = pd.DataFrame(connection.execute(select(m.Camera.id, m.Camera.lon, m.Camera.lat, m.Camera.ward_code)
                                                  .where(m.Camera.city_slug == SLUG).order_by(m.Camera.id)).all())
        locations = pd.DataFrame(connection.execute(
            select(m.KeyLocation.id, m.KeyLocation.lon, m.KeyLocation.lat, m.KeyLocation.category, m.KeyLocation.ward_code)
            .where(m.KeyLocation.city_slug == SLUG).order_by(m.KeyLocation.id)).all())
    return cameras, locations


def naive_pairs(cameras, locations, radius: float) -> dict[tuple[int, str], float]:
    """The naive peer: the haversine distance from every key location to every camera, in Python."""
    earth = 6_371_008.8
    found = {}
    camera_rows = [(camera_id, math.radians(lon), math.radians(lat))
                   for camera_id, lon, lat in zip(cameras["id"], cameras["lon"], cameras["lat"])]
    for location_id, lon, lat in zip(locations["id"], locations["lon"], locations["lat"]):
        lon1, lat1 = math.radians(lon), math.radians(lat)
        cos1 = math.cos(lat1)
        for camera_id, lon2, lat2 in camera_rows:
            h = math.sin((lat2 - lat1) / 2) ** 2 + cos1 * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
            metres = 2 * earth * math.asin(math.sqrt(h))
            if metres <= radius:
                found[(int(location_id), camera_id)] = metres
    return found


def timed(function, runs: int = 1):
    """(the function's result, the seconds each of `runs` calls took)."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return result, seconds


def measure_coverage(runs: int, naive_locations: int, naive_cameras: int) -> dict:
    from data_access.db import get_engine
    from loaders.coverage import coverage_pairs, largest_radius, refresh_coverage

    cameras, locations = _frames()
    pairs, full = timed(lambda: coverage_pairs(cameras, locations), runs)
    started = time.perf_counter()
    with get_engine("ioc", writable=True).begin() as connection:
        stored = refresh_coverage(connection, SLUG)
    store_s = time.perf_counter() - started
    # The subset: the towns, where cameras are densest (most pairs to find).
    town_cameras = cameras[cameras["ward_code"].isin(TOWNS)].head(naive_cameras).reset_index(drop=True)
    town_locations = locations[locations["ward_code"].isin(TOWNS)].head(naive_locations).reset_index(drop=True)
    # Ours takes a few hundredths of a second on the subset, where one pause of the machine weighs
    # a lot: at least 9 runs, median and spread reported.
    ours, subset = timed(lambda: coverage_pairs(town_cameras, town_locations), max(runs, 9))
    naive, (naive_s,) = timed(lambda: naive_pairs(town_cameras, town_locations, largest_radius()))
    ours_set = {(int(k), c): d for k, c, d in ours.itertuples(index=False)}
    # The peer measures on a sphere, ours in UTM: pairs within 0.5 m of the radius may differ.
    edge = {key for key, metres in {**naive, **ours_set}.items() if abs(metres - largest_radius()) <= 0.5}
    agree = set(naive) - edge == set(ours_set) - edge
    return {"coverage_s": round(statistics.median(full), 3), "coverage_runs_s": [round(s, 3) for s in full],
            "coverage_spread_s": spread(full), "coverage_pairs": int(len(pairs)), "coverage_store_s": round(store_s, 3),
            "coverage_stored": stored, "naive_subset": [len(town_locations), len(town_cameras)],
            "coverage_subset_s": round(statistics.median(subset), 4), "coverage_subset_spread_s": spread(subset, 4),
            "naive_coverage_s": round(naive_s, 2),
            "coverage_speedup": round(naive_s / statistics.median(subset), 1),
            "naive_full_estimate_s": round(naive_s * (len(cameras) * len(locations))
                                           / (len(town_cameras) * len(town_locations)), 0),
            "subset_pairs": len(ours_set), "subset_pairs_agree": agree}


# --- the map ------------------------------------------------------------------------------------

def keep_in_service(count: int) -> int:
    """Retire every camera but the first `count` (by id); the number of cameras left in service."""
    from sqlalchemy import func, select, update

    from data_access import models as m
    from data_access.db import get_engine
    from domain.city_time import utc_now

    c = m.Camera
    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(update(c).values(retired_at=None))
        last = connection.execute(select(c.id).order_by(c.id).offset(count - 1).limit(1)).scalar()
        if last is not None:
            connection.execute(update(c).where(c.id > last).values(retired_at=utc_now()))
        return connection.execute(select(func.count()).select_from(c).where(c.retired_at.is_(None))).scalar()


def load_map(base: str, total: int) -> tuple[float, int]:
    """One cold visit of the map with both camera layers: (seconds until every camera is in a
    cluster or drawn, map data bytes transferred)."""
    driver = browser()
    try:
        sign_in(driver, base)
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.get(f"{base}/map?layers=security,traffic")
        ready = wait_ready(driver, total, 60) or float("inf")
        time.sleep(0.5)
        return ready, map_data_bytes(driver)
    finally:
        driver.quit()


@contextmanager
def app_server(env: dict):
    """The app as the README runs it, 2 workers of 4 threads as in the map benchmark
    (`map_load.start_gunicorn`): its URL."""
    server, base = start_gunicorn(ROOT, env)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def measure_map(env: dict, sizes: tuple[int, ...], runs: int) -> dict:
    out = {}
    for size in sizes:
        total = keep_in_service(size)
        with app_server(env) as base:
            ready, sizes_bytes = zip(*(load_map(base, total) for _ in range(runs)))
        key = f"{size // 1000}k"
        out[f"map_ready_{key}_s"] = round(statistics.median(ready), 3)
        out[f"map_ready_{key}_runs_s"] = [round(r, 3) for r in ready]
        out[f"map_bytes_{key}"] = int(statistics.median(sizes_bytes))
        print(f"map {total:>7,} cameras: ready {out[f'map_ready_{key}_s']} s (runs {out[f'map_ready_{key}_runs_s']}), "
              f"map data {out[f'map_bytes_{key}']:,} B gzipped")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Runs of each coverage measure.")
    parser.add_argument("--map-runs", type=int, default=5, help="Page loads per map size (median).")
    parser.add_argument("--cameras", type=int, default=200_000)
    parser.add_argument("--access-points", type=int, default=20_000)
    parser.add_argument("--key-locations", type=int, default=5_000)
    parser.add_argument("--naive-locations", type=int, default=1_000)
    parser.add_argument("--naive-cameras", type=int, default=20_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-map", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ioc-assets-bench-"))
    # A province's inventory is larger than a city's upload limit: allow it for the CLI-sized files.
    os.environ["MAX_UPLOAD_MB"] = "1024"
    counts = {"camera": args.cameras, "access_point": args.access_points, "key_location": args.key_locations}
    started = time.perf_counter()
    files = generate(folder, counts)
    sizes_mb = {kind: round(path.stat().st_size / 1048576, 1) for kind, path in files.items()}
    print(f"generated {counts} in {time.perf_counter() - started:.1f} s; GeoPackages (MB): {sizes_mb}")

    sqlite_urls = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    prepare(sqlite_urls)
    sqlite_import = import_all(files)
    print(f"import SQLite: {sum(sqlite_import.values()):.1f} s ({ {k: round(v, 1) for k, v in sqlite_import.items()} })")
    result: dict = {"import_s": round(sum(sqlite_import.values()), 2),
                    "import_by_kind_s": {k: round(v, 2) for k, v in sqlite_import.items()}}
    if not args.skip_postgres:
        with ScratchPostgres() as pg_urls:
            prepare(pg_urls)
            pg_import = import_all(files)
        use_databases(*sqlite_urls)
        print(f"import PostgreSQL: {sum(pg_import.values()):.1f} s ({ {k: round(v, 1) for k, v in pg_import.items()} })")
        result.update({"import_pg_s": round(sum(pg_import.values()), 2),
                       "import_pg_by_kind_s": {k: round(v, 2) for k, v in pg_import.items()}})
    coverage = measure_coverage(args.runs, args.naive_locations, args.naive_cameras)
    print(f"coverage: {coverage['coverage_s']} s for {args.cameras:,} cameras × {args.key_locations:,} key locations "
          f"({coverage['coverage_pairs']:,} pairs); subset {coverage['naive_subset']}: ours "
          f"{coverage['coverage_subset_s']} s, naive {coverage['naive_coverage_s']} s "
          f"({coverage['coverage_speedup']}×, pairs agree: {coverage['subset_pairs_agree']})")
    result.update(coverage)
    if not args.skip_map:
        env = {**os.environ, "IOC_DATABASE_URL": sqlite_urls[0], "KPI_DATABASE_URL": sqlite_urls[1], "TILE_URL": "",
               "DEFAULT_CITY": SLUG, "SECRET_KEY": "assets-benchmark-" + "0123456789abcdef" * 3,
               "APP_ENV": "development"}
        subprocess.run([sys.executable, "manage.py", "create-user", "bench", "--role", "staff", "--password-stdin"],
                       cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
        result.update(measure_map(env, tuple(s for s in MAP_SIZES if s <= args.cameras), args.map_runs))
    headline = {key: result.get(key) for key in ("import_s", "import_pg_s", "coverage_s", "naive_coverage_s",
                                                 "coverage_speedup", "map_ready_20k_s", "map_ready_200k_s",
                                                 "map_bytes_200k")}
    print(json.dumps({**headline, **{k: v for k, v in result.items() if k not in headline}}, ensure_ascii=False))


if __name__ == "__main__":
    main()
