"""Schematic city outlines and wards: right size, right place, a clean tiling, reproducible."""
from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, shape

from geo import schematic
from geo.schematic import area_km2, centre_of, city_outline, sample_points_in, schematic_wards, to_geojson_geometry

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"official data folder {SHARED_DATA} not found (the repo should sit beside shared/)")

DEFAULT_SEED = 2022
GEOD = Geod(ellps="WGS84")

# slug, (centre lon, centre lat), area km², ward list file
CITIES = [
    ("thanh-hoa", (105.7877, 19.8066), 147.0, "wards_thanh_hoa.csv"),
    ("nam-dinh", (106.1683, 20.4200), 46.4, "wards_nam_dinh.csv"),
    ("chi-linh", (106.3900, 21.1300), 283.0, "wards_chi_linh.csv"),
]
CITY_IDS = [slug for slug, *_ in CITIES]
THANH_HOA = CITIES[0]


def read_wards(file_name: str) -> list[tuple[str, str]]:
    with open(SHARED_DATA / file_name, encoding="utf-8", newline="") as handle:
        return [(row["gso_code"], row["type"]) for row in csv.DictReader(handle)]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def assert_tiles(outline: Polygon, cells: dict[str, Polygon], rel: float = 0.005) -> None:
    """Every cell a valid non-empty Polygon, no two overlapping, together covering the outline."""
    geoms = list(cells.values())
    for code, cell in cells.items():
        assert isinstance(cell, Polygon), f"{code} is a {cell.geom_type}"
        assert cell.is_valid and not cell.is_empty, code
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right) if i < j]
    assert pairs, "neighbouring wards should touch"
    for i, j in pairs:
        overlap = area_km2(geoms[i].intersection(geoms[j]))
        assert overlap < 1e-6, f"wards {i} and {j} overlap by {overlap} km²"
    assert sum(area_km2(cell) for cell in geoms) == pytest.approx(area_km2(outline), rel=rel)
    assert area_km2(shapely.union_all(geoms)) == pytest.approx(area_km2(outline), rel=rel)


def is_rounded(geom, decimals: int = 6) -> bool:
    coords = shapely.get_coordinates(geom)
    return bool(np.array_equal(coords, np.round(coords, decimals)))


# --- area_km2 -------------------------------------------------------------------------------

def test_area_km2_matches_a_known_square_either_orientation():
    # 0.01° × 0.01° at the equator: 1.113195 km (equatorial arc) × 1.105743 km (meridian arc).
    square = shapely.box(0.0, 0.0, 0.01, 0.01)
    assert area_km2(square) == pytest.approx(1.113195 * 1.105743, rel=1e-4)
    assert area_km2(square.reverse()) == pytest.approx(area_km2(square), rel=1e-12)


def test_area_km2_adds_up_multipolygon_parts_wound_either_way():
    north, south = shapely.box(0.0, 0.0, 0.01, 0.01), shapely.box(0.0, 0.02, 0.01, 0.03).reverse()
    assert area_km2(MultiPolygon([north, south])) == pytest.approx(area_km2(north) + area_km2(south), rel=1e-9)


# --- city_outline ---------------------------------------------------------------------------

@pytest.mark.parametrize("slug, centre, area, _wards", CITIES, ids=CITY_IDS)
def test_outline_has_the_requested_area_and_centre(slug, centre, area, _wards):
    outline = city_outline(*centre, area, seed=DEFAULT_SEED)
    assert isinstance(outline, Polygon) and outline.is_valid
    assert 180 <= len(outline.exterior.coords) - 1 <= 360
    assert area_km2(outline) == pytest.approx(area, rel=0.01)
    assert distance_m(*centre, outline.centroid.x, outline.centroid.y) < 100
    assert is_rounded(outline)


@pytest.mark.parametrize("slug, centre, area, _wards", CITIES, ids=CITY_IDS)
def test_outline_is_star_shaped_and_not_stretched(slug, centre, area, _wards):
    outline = city_outline(*centre, area, seed=DEFAULT_SEED)
    ring = shapely.get_coordinates(outline.exterior)[:-1]
    spokes = shapely.linestrings(np.stack([np.broadcast_to(centre, ring.shape), ring], axis=1))
    assert shapely.covered_by(spokes, outline).all(), "every vertex should be visible from the centre"


@pytest.mark.parametrize("lat", [0.0, 21.13, 60.0])
def test_outline_is_round_in_kilometres_not_in_degrees(lat):
    ratios = []
    for seed in range(1, 13):
        min_lon, min_lat, max_lon, max_lat = city_outline(106.39, lat, 283.0, seed=seed).bounds
        width = distance_m(min_lon, lat, max_lon, lat)
        height = distance_m(106.39, min_lat, 106.39, max_lat)
        ratios.append(width / height)
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.05), "longitude must be scaled by cos(latitude)"


@pytest.mark.parametrize("seed_a, seed_b, same", [(1, 1, True), (2022, 2022, True), (1, 2, False), (2022, 2023, False)])
def test_outline_depends_only_on_the_seed(seed_a, seed_b, same):
    _slug, centre, area, _wards = THANH_HOA
    a, b = city_outline(*centre, area, seed=seed_a), city_outline(*centre, area, seed=seed_b)
    assert a.equals_exact(b, tolerance=0) is same


@pytest.mark.parametrize("area", [0.0, -5.0])
def test_outline_rejects_a_non_positive_area(area):
    with pytest.raises(ValueError):
        city_outline(105.7877, 19.8066, area, seed=1)


@needs_shared_data
def test_thanh_hoa_outline_lies_where_the_real_city_is():
    import geopandas as gpd

    districts = gpd.read_file(SHARED_DATA / "thanh_hoa_province_districts.geojson")
    real = districts.loc[districts["gso_code"].astype(str) == "380"].geometry.iloc[0]
    _slug, centre, area, _wards = THANH_HOA
    assert area_km2(real) == pytest.approx(area, rel=0.05), "the requested area should be the real city's"
    outline = city_outline(*centre, area, seed=DEFAULT_SEED)
    assert real.contains(outline.centroid)
    iou = area_km2(outline.intersection(real)) / area_km2(outline.union(real))
    assert iou > 0.5, f"schematic outline overlaps the real city too little (IoU {iou:.2f})"


# --- schematic_wards ------------------------------------------------------------------------

@needs_shared_data
@pytest.mark.parametrize("slug, centre, area, ward_file", CITIES, ids=CITY_IDS)
def test_wards_tile_the_outline(slug, centre, area, ward_file):
    wards = read_wards(ward_file)
    outline = city_outline(*centre, area, seed=DEFAULT_SEED)
    cells = schematic_wards(outline, wards, seed=DEFAULT_SEED)
    assert list(cells) == [code for code, _kind in wards]
    assert_tiles(outline, cells)
    assert all(is_rounded(cell) for cell in cells.values())


@needs_shared_data
@pytest.mark.parametrize("slug, centre, area, ward_file", CITIES, ids=CITY_IDS)
def test_urban_wards_are_smaller_than_communes(slug, centre, area, ward_file):
    wards = read_wards(ward_file)
    cells = schematic_wards(city_outline(*centre, area, seed=DEFAULT_SEED), wards, seed=DEFAULT_SEED)
    urban = np.array([kind == "Phường" for _code, kind in wards])
    areas = np.array([area_km2(cells[code]) for code, _kind in wards])
    assert urban.any() and (~urban).any(), "each real list has both wards and communes"
    assert areas[urban].mean() < areas[~urban].mean()


@needs_shared_data
@pytest.mark.parametrize("seed_a, seed_b, same", [(2022, 2022, True), (5, 5, True), (2022, 2023, False)])
def test_wards_depend_only_on_the_seed(seed_a, seed_b, same):
    _slug, centre, area, ward_file = THANH_HOA
    wards = read_wards(ward_file)
    outline = city_outline(*centre, area, seed=DEFAULT_SEED)
    a, b = schematic_wards(outline, wards, seed=seed_a), schematic_wards(outline, wards, seed=seed_b)
    assert all(a[code].equals_exact(b[code], tolerance=0) for code in a) is same


@needs_shared_data
def test_thanh_hoa_wards_build_quickly():
    _slug, centre, area, ward_file = THANH_HOA
    wards = read_wards(ward_file)
    outline = city_outline(*centre, area, seed=DEFAULT_SEED)
    started = time.perf_counter()
    schematic_wards(outline, wards, seed=DEFAULT_SEED)
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("kinds", [["Phường"] * 12, ["Xã"] * 9, ["Thị trấn", "Xã", "Phường"] * 4, ["Phường", "Xã"]],
                         ids=["all-urban", "all-communes", "mixed-with-towns", "two"])
def test_wards_tile_any_mix_of_types(kinds):
    outline = city_outline(106.1683, 20.42, 46.4, seed=3)
    wards = [(f"w{index:02d}", kind) for index, kind in enumerate(kinds)]
    cells = schematic_wards(outline, wards, seed=3)
    assert list(cells) == [code for code, _kind in wards]
    assert_tiles(outline, cells)


def test_custom_urban_types_decide_which_wards_stay_small():
    outline = city_outline(106.39, 21.13, 283.0, seed=4)
    wards = [(f"w{index:02d}", "Thị trấn" if index % 3 == 0 else "Xã") for index in range(18)]
    cells = schematic_wards(outline, wards, seed=4, urban_types=("Thị trấn",))
    towns = [area_km2(cells[code]) for code, kind in wards if kind == "Thị trấn"]
    communes = [area_km2(cells[code]) for code, kind in wards if kind == "Xã"]
    assert np.mean(towns) < np.mean(communes)


def c_shaped_outline() -> Polygon:
    """A concave outline on which convex Voronoi cells fall apart when clipped."""
    disc = shapely.Point(105.8, 19.8).buffer(0.1, quad_segs=32)
    hole = shapely.Point(105.8, 19.8).buffer(0.06, quad_segs=32)
    c_shape = disc.difference(hole).difference(shapely.box(105.8, 19.78, 106.0, 19.82))
    return shapely.transform(c_shape, lambda coords: np.round(coords, 6))


@pytest.mark.parametrize("seed", [0, 6, 18, 40])
def test_wards_stay_single_polygons_on_a_concave_outline(seed, monkeypatch):
    split_cells = []
    single_polygons = schematic._single_polygons

    def counting(cells):
        split_cells.extend(cell for cell in cells if cell.geom_type != "Polygon")
        return single_polygons(cells)

    monkeypatch.setattr(schematic, "_single_polygons", counting)
    outline = c_shaped_outline()
    wards = [(f"w{index:02d}", "Phường" if index % 2 else "Xã") for index in range(40)]
    cells = schematic_wards(outline, wards, seed=seed)
    assert split_cells, "this outline should make some clipped cells fall apart"
    assert len(cells) == len(wards)
    assert_tiles(outline, cells)


def test_wards_edge_cases():
    outline = city_outline(106.1683, 20.42, 46.4, seed=1)
    assert schematic_wards(outline, [], seed=1) == {}
    assert schematic_wards(outline, [("1", "Xã")], seed=1)["1"].equals(outline)
    with pytest.raises(ValueError, match="unique"):
        schematic_wards(outline, [("1", "Xã"), ("1", "Phường")], seed=1)
    with pytest.raises(ValueError):
        schematic_wards(MultiPolygon([outline]), [("1", "Xã"), ("2", "Xã")], seed=1)


# --- sample_points_in -----------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 5_000])
@pytest.mark.parametrize("polygon", [city_outline(106.1683, 20.42, 46.4, seed=3), c_shaped_outline()],
                         ids=["outline", "c-shape"])
def test_sampled_points_are_inside_and_counted_exactly(polygon, n):
    lons, lats = sample_points_in(polygon, n, np.random.default_rng(0))
    assert lons.shape == lats.shape == (n,)
    assert shapely.contains_xy(polygon, lons, lats).all()


def test_sampled_points_are_uniform():
    outline = city_outline(106.1683, 20.42, 46.4, seed=3)
    cells = schematic_wards(outline, [(str(index), "Phường" if index < 8 else "Xã") for index in range(14)], seed=3)
    lons, lats = sample_points_in(outline, 20_000, np.random.default_rng(1))
    shares = np.array([shapely.contains_xy(cell, lons, lats).mean() for cell in cells.values()])
    expected = np.array([cell.area for cell in cells.values()]) / outline.area
    assert np.abs(shares - expected).max() < 0.01


def test_sampling_twenty_thousand_points_is_fast_and_reproducible():
    polygon = c_shaped_outline()
    started = time.perf_counter()
    lons, _lats = sample_points_in(polygon, 20_000, np.random.default_rng(7))
    assert time.perf_counter() - started < 1.0
    again, _ = sample_points_in(polygon, 20_000, np.random.default_rng(7))
    assert np.array_equal(lons, again)


def test_sampling_rejects_a_negative_count():
    with pytest.raises(ValueError):
        sample_points_in(shapely.box(0, 0, 1, 1), -1, np.random.default_rng(0))


# --- to_geojson_geometry and centre_of ------------------------------------------------------

def leaves(value):
    if isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


@pytest.mark.parametrize("geom", [
    city_outline(105.7877, 19.8066, 147.0, seed=1),
    MultiPolygon([shapely.box(105.0, 20.0, 105.1234567891, 20.1), shapely.box(105.2, 20.0, 105.3, 20.1)]),
    c_shaped_outline(),
], ids=["outline", "multipolygon", "c-shape"])
def test_geojson_geometry_is_json_ready_and_rounded(geom):
    geojson = to_geojson_geometry(geom)
    assert geojson["type"] == geom.geom_type
    assert isinstance(geojson["coordinates"], list)
    assert json.loads(json.dumps(geojson)) == geojson, "only lists, no tuples"
    assert all(isinstance(value, float) and round(value, 6) == value for value in leaves(geojson["coordinates"]))
    assert shape(geojson).area == pytest.approx(geom.area, rel=1e-6)


@pytest.mark.parametrize("tolerance, max_vertices, area_rel", [(0.0, 289, 1e-9), (1e-4, 120, 0.005), (1e-3, 60, 0.02)])
def test_geojson_simplification_keeps_a_valid_shape(tolerance, max_vertices, area_rel):
    outline = city_outline(105.7877, 19.8066, 147.0, seed=1)
    simplified = shape(to_geojson_geometry(outline, tolerance_deg=tolerance))
    assert simplified.is_valid
    assert len(simplified.exterior.coords) <= max_vertices
    assert area_km2(simplified) == pytest.approx(area_km2(outline), rel=area_rel)


@pytest.mark.parametrize("geom", [
    c_shaped_outline(),
    Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)]),
    city_outline(106.39, 21.13, 283.0, seed=9),
], ids=["c-shape", "u-shape", "outline"])
def test_centre_of_is_inside_even_when_the_centroid_is_not(geom):
    lon, lat = centre_of(geom)
    assert isinstance(lon, float) and isinstance(lat, float)
    assert geom.contains(shapely.Point(lon, lat))
