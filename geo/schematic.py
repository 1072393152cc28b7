"""Schematic ward polygons for cities whose real ward boundaries are not loaded.

No real ward boundaries are available offline, so the demo draws a city outline
of the right size around the real centre and splits it into one Voronoi cell
per ward (urban wards near the centre, communes outside). The UI labels these
as schematic until real boundaries are imported.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPoint, Polygon, mapping

_GEOD = Geod(ellps="WGS84")
_KM_PER_DEG_LAT = 110.574


def area_km2(geom) -> float:
    """Geodesic area in km² (exact on the ellipsoid, no projection needed)."""
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def centre_of(geom) -> tuple[float, float]:
    """A label point guaranteed to lie inside the geometry, as (lon, lat)."""
    point = geom.representative_point()
    return round(point.x, 6), round(point.y, 6)


def _round(geom):
    return shapely.set_precision(geom, 1e-6)


def city_outline(centre_lon: float, centre_lat: float, area_km2_target: float, seed: int) -> Polygon:
    """A smooth irregular star-shaped outline of the given area around the centre."""
    rng = np.random.default_rng([seed, 7])
    angles = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    radius = np.ones_like(angles)
    for harmonic in (2, 3, 5):
        radius += rng.uniform(0.03, 0.09) * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
    km_per_deg_lon = 111.320 * math.cos(math.radians(centre_lat))

    def build(scale_km: float) -> Polygon:
        xs = centre_lon + scale_km * radius * np.cos(angles) / km_per_deg_lon
        ys = centre_lat + scale_km * radius * np.sin(angles) / _KM_PER_DEG_LAT
        return Polygon(zip(xs, ys))

    scale = math.sqrt(area_km2_target / math.pi)
    outline = build(scale)
    outline = build(scale * math.sqrt(area_km2_target / area_km2(outline)))
    shift = outline.centroid
    outline = shapely.affinity.translate(outline, centre_lon - shift.x, centre_lat - shift.y)
    return _round(outline)


def _seed_points(outline: Polygon, wards: list[tuple[str, str]], rng, urban_types) -> np.ndarray:
    centre = outline.centroid
    minx, miny, maxx, maxy = outline.bounds
    half_width = max(maxx - minx, maxy - miny) / 2
    points = []
    urban = [kind in urban_types for _code, kind in wards]
    n_urban = sum(urban)
    golden = math.pi * (3 - math.sqrt(5))
    for index, is_urban in enumerate(urban):
        # Sunflower spiral: urban wards fill the inner disc, communes the outer ring.
        rank = sum(urban[:index]) if is_urban else sum(1 for u in urban[:index] if not u)
        count = n_urban if is_urban else len(wards) - n_urban
        inner, outer = (0.0, 0.45) if is_urban else (0.5, 0.95)
        if n_urban in (0, len(wards)):
            inner, outer = 0.0, 0.92
        r = half_width * (inner + (outer - inner) * math.sqrt((rank + 0.5) / max(count, 1)))
        theta = rank * golden + rng.uniform(-0.25, 0.25)
        for shrink in (1.0, 0.8, 0.6, 0.4, 0.2, 0.05):
            x = centre.x + r * shrink * math.cos(theta)
            y = centre.y + r * shrink * math.sin(theta)
            if outline.contains(shapely.Point(x, y)):
                break
        points.append((x, y))
    return np.array(points)


def _voronoi(outline: Polygon, points: np.ndarray) -> list[Polygon]:
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=outline.envelope.buffer(0.1))
    cells = list(cells.geoms)
    ordered = []
    for x, y in points:
        point = shapely.Point(x, y)
        ordered.append(next(cell for cell in cells if cell.covers(point)))
    return [cell.intersection(outline) for cell in ordered]


def _largest_polygon(geom) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area)


def schematic_wards(outline: Polygon, wards: list[tuple[str, str]], seed: int,
                    urban_types: tuple[str, ...] = ("Phường",)) -> dict[str, Polygon]:
    """One schematic polygon per ward code: Voronoi cells clipped to the outline, relaxed."""
    rng = np.random.default_rng([seed, 11])
    points = _seed_points(outline, wards, rng, urban_types)
    centre = np.array([outline.centroid.x, outline.centroid.y])
    urban = np.array([kind in urban_types for _code, kind in wards])
    for _iteration in range(4):
        cells = _voronoi(outline, points)
        centroids = np.array([[c.centroid.x, c.centroid.y] for c in cells])
        # Lloyd step, but urban seeds stay pulled towards the centre so they remain small.
        points = np.where(urban[:, None], 0.6 * centroids + 0.4 * (0.7 * points + 0.3 * centre), centroids)
    cells = [_largest_polygon(cell) for cell in _voronoi(outline, points)]
    return {code: _round(cell) for (code, _kind), cell in zip(wards, cells)}


def sample_points_in(polygon, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n uniformly distributed points strictly inside the polygon (vectorised rejection)."""
    if n <= 0:
        return np.empty(0), np.empty(0)
    minx, miny, maxx, maxy = polygon.bounds
    box_share = polygon.area / max((maxx - minx) * (maxy - miny), 1e-12)
    shapely.prepare(polygon)
    xs_out, ys_out, have = [], [], 0
    while have < n:
        batch = int((n - have) / max(box_share, 0.05) * 1.3) + 16
        xs = rng.uniform(minx, maxx, batch)
        ys = rng.uniform(miny, maxy, batch)
        inside = shapely.contains_xy(polygon, xs, ys)
        xs_out.append(xs[inside])
        ys_out.append(ys[inside])
        have += int(inside.sum())
    return np.concatenate(xs_out)[:n], np.concatenate(ys_out)[:n]


def to_geojson_geometry(geom, tolerance_deg: float = 0.0) -> dict:
    """A GeoJSON geometry dict, optionally simplified for display, 6 decimals."""
    if tolerance_deg > 0:
        geom = geom.simplify(tolerance_deg, preserve_topology=True)
    geom = _round(geom)
    return _listify(mapping(geom))


def _listify(value):
    if isinstance(value, dict):
        return {key: _listify(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_listify(item) for item in value]
    return value


def geojson_bounds(geojson: dict) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a GeoJSON geometry, feature or collection (Leaflet order)."""
    from shapely.geometry import shape

    if geojson.get("type") == "FeatureCollection":
        geometries = [shape(f["geometry"]) for f in geojson["features"] if f.get("geometry")]
    elif geojson.get("type") == "Feature":
        geometries = [shape(geojson["geometry"])]
    else:
        geometries = [shape(geojson)]
    if not geometries:
        return None
    min_lon, min_lat, max_lon, max_lat = shapely.GeometryCollection(geometries).bounds
    return [[min_lat, min_lon], [max_lat, max_lon]]
