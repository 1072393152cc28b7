"""Schematic ward polygons for cities whose real ward boundaries are not available offline.

The demo still needs a map: it draws a smooth city outline of the real area
around the real centre and splits it into one Voronoi cell per ward, urban
wards (phường) in the core and communes (xã) in the outer ring, so sizes and
positions look plausible. The UI labels these boundaries as schematic until
real ones are imported. Everything here is a pure function of its inputs and
seed, so a rebuilt demo database draws exactly the same map.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Geod
from shapely import affinity
from shapely.geometry import Polygon, mapping, shape

_GEOD = Geod(ellps="WGS84")
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_AT_EQUATOR = 111.320
_DECIMALS = 6

_OUTLINE_VERTICES = 288
_OUTLINE_HARMONICS = (2, 3, 4, 5)
# Harmonic k gets amplitude up to _MAX_AMPLITUDE / sqrt(k): the radius stays within about
# ±22% of its mean, so the outline is irregular but roundish and always star-shaped.
_MAX_AMPLITUDE = 0.10

_URBAN_SIZE_RATIO = 0.45  # target area of an urban ward relative to a commune
_LLOYD_ITERATIONS = 4
# Plain Lloyd relaxation evens out cell sizes, which would let urban wards grow to commune
# size; so each iteration urban seeds are pulled back a little towards the centre and kept
# well inside the core disc (the urban/commune border lies between the two seed bands).
_URBAN_PULL = 0.95
_URBAN_CORE_LIMIT = 0.8
_EDGE_MARGIN = 0.96  # seeds stay within this share of the way from the centre to the edge
_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))

# Separate random streams so the outline and the wards don't share draws for one seed.
_OUTLINE_STREAM = 7
_WARD_STREAM = 11


def area_km2(geom) -> float:
    """Geodesic area on the WGS84 ellipsoid in km², so no projection can distort it."""
    return _geodesic_area_km2(geom)


def _geodesic_area_km2(geom) -> float:
    # Orient rings first: pyproj signs areas by orientation, and a MultiPolygon whose
    # parts wind in opposite directions would otherwise partly cancel out.
    area, _perimeter = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(area) / 1e6


def centre_of(geom) -> tuple[float, float]:
    """A label point guaranteed to lie inside the geometry (a centroid may not), as (lon, lat)."""
    point = geom.representative_point()
    rounded = (round(point.x, _DECIMALS), round(point.y, _DECIMALS))
    if geom.contains(shapely.Point(rounded)):
        return rounded
    return point.x, point.y


def _round_coordinates(geom):
    """Six decimals (about 0.1 m): enough for a map, and shared ward edges stay identical."""
    rounded = shapely.transform(geom, lambda coords: np.round(coords, _DECIMALS))
    if rounded.is_valid:
        return rounded
    snapped = shapely.set_precision(geom, 10.0 ** -_DECIMALS)
    return shapely.transform(snapped, lambda coords: np.round(coords, _DECIMALS))


def _km_per_degree(lat: float) -> tuple[float, float]:
    return _KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat)), _KM_PER_DEG_LAT


def city_outline(centre_lon: float, centre_lat: float, area_km2: float, seed: int) -> Polygon:
    """A smooth, irregular, star-shaped city outline of the given geodesic area, centred on the centre.

    The radius is 1 plus a few random low-frequency harmonics of the angle; the
    shape is built in a local km plane (longitude scaled by cos(lat)), then
    rescaled against the geodesic area and shifted so its centroid is the centre.
    """
    if not area_km2 > 0:
        raise ValueError(f"area_km2 must be positive, got {area_km2!r}")
    rng = np.random.default_rng([seed, _OUTLINE_STREAM])
    angles = np.linspace(0.0, 2.0 * np.pi, _OUTLINE_VERTICES, endpoint=False)
    radius = np.ones_like(angles)
    for harmonic in _OUTLINE_HARMONICS:
        amplitude = rng.uniform(0.2, 1.0) * _MAX_AMPLITUDE / math.sqrt(harmonic)
        radius += amplitude * np.cos(harmonic * angles + rng.uniform(0.0, 2.0 * np.pi))
    unit = Polygon(np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]))
    unit_centre = unit.centroid
    scale = math.sqrt(area_km2 / unit.area)
    xs_km = (radius * np.cos(angles) - unit_centre.x) * scale
    ys_km = (radius * np.sin(angles) - unit_centre.y) * scale
    km_per_deg_lon, km_per_deg_lat = _km_per_degree(centre_lat)

    def at_scale(factor: float) -> Polygon:
        return Polygon(np.column_stack([centre_lon + factor * xs_km / km_per_deg_lon,
                                        centre_lat + factor * ys_km / km_per_deg_lat]))

    # The flat km plane is off by a fraction of a percent; one geodesic correction fixes that.
    outline = at_scale(math.sqrt(area_km2 / _geodesic_area_km2(at_scale(1.0))))
    shift = outline.centroid
    outline = affinity.translate(outline, centre_lon - shift.x, centre_lat - shift.y)
    return _round_coordinates(outline)


def schematic_wards(outline, wards: list[tuple[str, str]], seed: int,
                    urban_types=("Phường",)) -> dict[str, Polygon]:
    """One Polygon per ward code (in input order) that together tile the outline without overlaps.

    Seeds go on a sunflower spiral, urban wards in an inner disc sized so an
    urban ward gets about half a commune's area, communes in the ring around it.
    Voronoi cells clipped to the outline are relaxed a few Lloyd steps for even
    shapes, with each seed kept in its own band so urban wards stay small.
    """
    codes = [code for code, _kind in wards]
    if len(set(codes)) != len(codes):
        raise ValueError("ward codes must be unique")
    if not isinstance(outline, Polygon) or outline.is_empty or not outline.is_valid:
        raise ValueError("outline must be a valid, non-empty Polygon")
    if not codes:
        return {}
    if len(codes) == 1:
        return {codes[0]: _round_coordinates(outline)}

    origin = outline.centroid if outline.contains(outline.centroid) else outline.representative_point()
    km_per_deg_lon, km_per_deg_lat = _km_per_degree(origin.y)

    def to_km(coords):
        return np.column_stack([(coords[:, 0] - origin.x) * km_per_deg_lon,
                                (coords[:, 1] - origin.y) * km_per_deg_lat])

    def to_degrees(coords):
        return np.column_stack([origin.x + coords[:, 0] / km_per_deg_lon,
                                origin.y + coords[:, 1] / km_per_deg_lat])

    local = shapely.transform(outline, to_km)
    shapely.prepare(local)
    urban = np.array([kind in urban_types for _code, kind in wards])
    rng = np.random.default_rng([seed, _WARD_STREAM])
    split = _urban_core_radius(urban)
    points = _spiral_seeds(local, urban, split, rng)
    for _iteration in range(_LLOYD_ITERATIONS):
        cells = _clipped_voronoi(local, points)
        centroids = shapely.get_coordinates(shapely.centroid(cells))
        points = _keep_in_band(local, centroids, urban, split)
    cells = _single_polygons(_clipped_voronoi(local, points))
    return {code: _round_coordinates(shapely.transform(cell, to_degrees)) for code, cell in zip(codes, cells)}


def _urban_core_radius(urban: np.ndarray) -> float:
    """Relative radius of the disc holding the urban wards (area grows with its square)."""
    n_urban = int(urban.sum())
    n_rural = len(urban) - n_urban
    if n_rural == 0:
        return 1.0
    urban_share = n_urban * _URBAN_SIZE_RATIO / (n_urban * _URBAN_SIZE_RATIO + n_rural)
    return math.sqrt(urban_share)


def _reach(local: Polygon, thetas: np.ndarray) -> np.ndarray:
    """Distance from the local origin to the outline's edge along each direction."""
    minx, miny, maxx, maxy = local.bounds
    far = 2.0 * max(abs(minx), abs(miny), abs(maxx), abs(maxy)) + 1.0
    ends = np.column_stack([far * np.cos(thetas), far * np.sin(thetas)])
    rays = shapely.linestrings(np.stack([np.zeros_like(ends), ends], axis=1))
    hits = shapely.intersection(rays, local.exterior)
    reach = np.empty(len(thetas))
    for index, hit in enumerate(hits):
        coords = shapely.get_coordinates(hit)
        reach[index] = np.hypot(coords[:, 0], coords[:, 1]).min() if len(coords) else 0.0
    return reach


def _polar_to_points(local: Polygon, rho: np.ndarray, theta: np.ndarray) -> np.ndarray:
    distance = rho * _reach(local, theta)
    return np.column_stack([distance * np.cos(theta), distance * np.sin(theta)])


def _spiral_seeds(local: Polygon, urban: np.ndarray, split: float, rng) -> np.ndarray:
    """Evenly spread seeds: urban wards fill the inner disc, communes the ring outside it."""
    rank = np.empty(len(urban))
    rank[urban] = np.arange(urban.sum())
    rank[~urban] = np.arange((~urban).sum())
    counts = np.where(urban, urban.sum(), (~urban).sum())
    fill = (rank + 0.5) / counts
    inner_sq = np.where(urban, 0.0, split ** 2)
    outer_sq = np.where(urban, split ** 2, 1.0)
    rho = _EDGE_MARGIN * np.sqrt(inner_sq + (outer_sq - inner_sq) * fill)
    theta = rng.uniform(0.0, 2.0 * np.pi, 2)[urban.astype(int)] + rank * _GOLDEN_ANGLE
    theta += rng.uniform(-0.2, 0.2, len(urban))
    return _polar_to_points(local, rho, theta)


def _keep_in_band(local: Polygon, points: np.ndarray, urban: np.ndarray, split: float) -> np.ndarray:
    """Pull urban seeds towards the core and keep communes out of it, all inside the outline."""
    theta = np.arctan2(points[:, 1], points[:, 0])
    reach = np.maximum(_reach(local, theta), 1e-12)
    rho = np.hypot(points[:, 0], points[:, 1]) / reach
    rho = np.where(urban, np.minimum(rho * _URBAN_PULL, split * _URBAN_CORE_LIMIT), np.maximum(rho, split))
    rho = np.minimum(rho, _EDGE_MARGIN)
    moved = _polar_to_points(local, rho, theta)
    return _separate_duplicates(moved)


def _separate_duplicates(points: np.ndarray) -> np.ndarray:
    """Voronoi merges coincident seeds, which would lose a ward; nudge any apart deterministically."""
    rounded = np.round(points, 9)
    _unique, first, inverse = np.unique(rounded, axis=0, return_index=True, return_inverse=True)
    duplicate = np.arange(len(points)) != first[inverse.ravel()]
    if duplicate.any():
        points = points.copy()
        points[duplicate] += 1e-4 * np.column_stack([np.cos(np.flatnonzero(duplicate)),
                                                     np.sin(np.flatnonzero(duplicate))])
    return points


def _clipped_voronoi(local: Polygon, points: np.ndarray) -> np.ndarray:
    """Voronoi cells in the order of the seeds, clipped to the outline."""
    minx, miny, maxx, maxy = local.bounds
    frame = shapely.box(minx, miny, maxx, maxy).buffer(max(maxx - minx, maxy - miny))
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame)
    cells = shapely.get_parts(diagram)
    seeds = shapely.points(points)
    seed_index, cell_index = shapely.STRtree(cells).query(seeds, predicate="within")
    if len(seed_index) != len(points) or len(np.unique(seed_index)) != len(points):
        raise RuntimeError("Voronoi cells do not match the ward seeds one to one")
    order = np.empty(len(points), dtype=int)
    order[seed_index] = cell_index
    return shapely.intersection(cells[order], local)


def _polygon_parts(geom) -> list[Polygon]:
    parts = [part for part in shapely.get_parts(geom) if isinstance(part, Polygon) and part.area > 0]
    return sorted(parts, key=lambda part: part.area, reverse=True)


def _single_polygons(cells: np.ndarray) -> list[Polygon]:
    """Keep each cell's largest part; hand detached remainders to the ward sharing most edge with them.

    A convex Voronoi cell clipped by a non-convex outline can fall apart; a ward
    must be one Polygon, and the outline must stay fully covered.
    """
    kept, pending = [], []
    for cell in cells:
        parts = _polygon_parts(cell)
        if not parts:
            raise RuntimeError("a ward's Voronoi cell lies outside the outline")
        kept.append(parts[0])
        pending.extend(parts[1:])
    while pending:
        unplaced = []
        for piece in pending:
            shared = shapely.length(shapely.intersection(shapely.boundary(np.array(kept)), piece.boundary))
            target = int(np.argmax(shared))
            merged = shapely.union(kept[target], piece)
            if shared[target] > 0 and isinstance(merged, Polygon):
                kept[target] = merged
            else:
                unplaced.append(piece)
        if len(unplaced) == len(pending):
            break
        pending = unplaced
    return kept


def sample_points_in(polygon, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n uniformly distributed points strictly inside the polygon, as (lons, lats) arrays.

    Vectorised rejection sampling from the bounding box: a few batches of
    contains_xy calls instead of one point-in-polygon test per point.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if n == 0:
        return np.empty(0), np.empty(0)
    if polygon.is_empty or polygon.area <= 0:
        raise ValueError("cannot sample points inside an empty polygon")
    minx, miny, maxx, maxy = polygon.bounds
    hit_rate = polygon.area / ((maxx - minx) * (maxy - miny))
    shapely.prepare(polygon)
    lons, lats, found = [], [], 0
    while found < n:
        batch = int((n - found) / max(hit_rate, 0.01) * 1.2) + 16
        xs = rng.uniform(minx, maxx, batch)
        ys = rng.uniform(miny, maxy, batch)
        inside = shapely.contains_xy(polygon, xs, ys)
        lons.append(xs[inside])
        lats.append(ys[inside])
        found += int(inside.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def to_geojson_geometry(geom, tolerance_deg: float = 0.0) -> dict:
    """A JSON-ready GeoJSON geometry (lists, 6 decimals), optionally simplified for display."""
    if tolerance_deg > 0:
        geom = geom.simplify(tolerance_deg, preserve_topology=True)
    return _as_lists(mapping(geom))


def _as_lists(value):
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_lists(item) for item in value]
    if isinstance(value, float):
        return round(value, _DECIMALS)
    return value


def geojson_bounds(geojson: dict) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a GeoJSON geometry, feature or collection (Leaflet order)."""
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
