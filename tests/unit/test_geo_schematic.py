"""Schematic ward polygons: right size, no overlaps, where the real city is."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.strtree import STRtree

from demo.cities import CITIES
from geo.schematic import area_km2, city_outline, sample_points_in, schematic_wards

CITY_CASES = [(p.slug, p.centre, p.area_km2) for p in CITIES.values()]


@pytest.mark.parametrize("slug, centre, area", CITY_CASES)
def test_outline_has_the_requested_area_and_centre(slug, centre, area):
    outline = city_outline(*centre, area, seed=2022)
    assert outline.is_valid
    assert area_km2(outline) == pytest.approx(area, rel=0.01)
    assert outline.centroid.distance(shapely.Point(centre)) < 0.001


def test_outline_deterministic():
    a = city_outline(105.7877, 19.8066, 147, seed=1)
    assert a.equals_exact(city_outline(105.7877, 19.8066, 147, seed=1), 0)
    assert not a.equals_exact(city_outline(105.7877, 19.8066, 147, seed=2), 0)


@pytest.mark.parametrize("slug, centre, area", CITY_CASES)
def test_wards_tile_the_outline(slug, centre, area):
    wards = pd.read_csv(CITIES[slug].ward_path, dtype=str)
    outline = city_outline(*centre, area, seed=2022)
    cells = schematic_wards(outline, list(zip(wards["gso_code"], wards["type"])), seed=2022)
    assert list(cells) == list(wards["gso_code"])
    assert all(cell.is_valid and cell.geom_type == "Polygon" and not cell.is_empty for cell in cells.values())
    geoms = list(cells.values())
    tree = STRtree(geoms)
    for i, geom in enumerate(geoms):
        for j in tree.query(geom):
            if j != i:
                assert geom.intersection(geoms[j]).area < 1e-9
    assert sum(area_km2(c) for c in geoms) == pytest.approx(area_km2(outline), rel=0.005)
    urban = wards["type"].eq("Phường").to_numpy()
    areas = np.array([area_km2(c) for c in geoms])
    if urban.any() and (~urban).any():
        assert areas[urban].mean() < areas[~urban].mean()


@pytest.mark.parametrize("n", [0, 1, 500])
def test_sample_points_inside(n):
    polygon = city_outline(106.1683, 20.42, 46.4, seed=3)
    lons, lats = sample_points_in(polygon, n, np.random.default_rng(0))
    assert len(lons) == len(lats) == n
    assert shapely.contains_xy(polygon, lons, lats).all()


def test_thanh_hoa_outline_matches_the_real_city(shared_data):
    import geopandas as gpd

    districts = gpd.read_file(shared_data / "thanh_hoa_province_districts.geojson")
    real = districts.loc[districts["gso_code"] == "380"].geometry.iloc[0]
    profile = CITIES["thanh-hoa"]
    outline = city_outline(*profile.centre, profile.area_km2, seed=2022)
    assert real.contains(outline.centroid)
    iou = outline.intersection(real).area / outline.union(real).area
    assert iou > 0.5, f"schematic outline overlaps the real city too little (IoU {iou:.2f})"
    assert area_km2(real) == pytest.approx(profile.area_km2, rel=0.05)
