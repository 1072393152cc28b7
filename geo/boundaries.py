"""Reading a city's own administrative boundaries (GeoJSON, zipped Shapefile, GeoPackage).

Land offices keep boundaries in VN-2000 (EPSG:4756 geographic, EPSG:3405/3406
UTM, or a province's 3° TM zone, EPSG:5896–5899 and 9205–9218, or a .prj with
the zone's own parameters). The file's CRS is read and everything is
reprojected to WGS84; a file without a CRS is accepted only when its
coordinates are plainly longitude/latitude, and swapped latitude/longitude is
detected because Vietnam's two ranges do not overlap. Invalid polygons are
repaired, features are matched to known units by GSO code, else by name
(diacritics and "P."/"Phường" insensitive), areas are computed in an equal-area
projection, and a simplified copy is made for the maps while the original is
kept. Archives are checked (zip slip, zip bombs) and only ever extracted into a
temporary folder. Storing what was read is `loaders.boundaries`.
"""
from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError, ProjError
from shapely.geometry import mapping

from data_access.admin_units import LEVELS, Unit
from domain.text import unaccent
from geo.names import LEVEL_OF_CODE_LENGTH, LEVEL_OF_TYPE, name_key, normalise_code, unit_type
from geo.schematic import centre_of
from security.uploads import UnsafeUpload, extract_zip

WGS84 = CRS.from_epsg(4326)
# Mainland, Hoàng Sa and Trường Sa, with a margin: where a Vietnamese boundary can lie.
VIETNAM_BOUNDS = (101.0, 6.0, 118.5, 24.0)
# About 11 m at Vietnam's latitudes: invisible at city zoom, a fraction of the vertices.
DISPLAY_TOLERANCE_DEG = 1e-4
DISPLAY_DECIMALS = 6
READABLE_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg", ".shp")

_CODE_COLUMNS = ("gso_code", "ma_gso", "madvhc", "ma_dvhc", "ma_dv", "ma", "code", "maxa", "ma_xa",
                 "mahuyen", "ma_huyen", "matinh", "ma_tinh")
_NAME_COLUMNS = ("name", "ten", "tendvhc", "ten_dvhc", "name_vi", "ten_dv", "tenxa", "ten_xa",
                 "tenhuyen", "ten_huyen", "tentinh", "ten_tinh")
_LEVEL_COLUMNS = ("level", "cap", "capdvhc", "cap_dvhc")
_LEVEL_WORDS = {
    "province": "province", "tinh": "province", "cap tinh": "province", "thanh pho truc thuoc trung uong": "province",
    "district": "district", "huyen": "district", "cap huyen": "district", "quan": "district",
    "thi xa": "district", "thanh pho": "district",
    "ward": "ward", "commune": "ward", "xa": "ward", "phuong": "ward", "thi tran": "ward", "cap xa": "ward",
}


class BoundaryImportError(ValueError):
    """The file cannot be imported; the message is shown to the user as is."""


@dataclass(frozen=True)
class StoredBoundary:
    """One matched boundary ready to store (geometries as GeoJSON text, WGS84)."""
    unit: Unit
    original_geojson: str
    display_geojson: str
    area_km2: float
    centre_lon: float
    centre_lat: float


@dataclass
class _Feature:
    index: int
    code: str | None
    name: str | None
    level: str
    geometry: object  # shapely geometry, WGS84 lon/lat
    unit: Unit | None = None

    @property
    def label(self) -> str:
        parts = [self.name or "(no name)"]
        if self.code:
            parts.append(f"({self.code})")
        return " ".join(parts)


# --- reading ---------------------------------------------------------------------------------

def read_layer(path: Path, folder: Path, messages: list[str], geometry: str = "polygon"):
    """The features of a GeoJSON, zipped Shapefile or GeoPackage as a GeoDataFrame in the file's
    own CRS (of several layers, the first holding `geometry`: polygon, point...); archives are
    checked and extracted into `folder`. BoundaryImportError says why a file cannot be read."""
    return _read_frame(path, folder, messages, geometry)


def crs_label(crs) -> str:
    """'EPSG:3405', or the CRS's own name when it has no registered code."""
    return _crs_label(CRS.from_user_input(crs))


def _read_frame(path: Path, folder: Path, messages: list[str], geometry: str = "polygon"):
    """The features of the file as a GeoDataFrame in the file's own CRS."""
    import geopandas as gpd
    import pyogrio

    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise BoundaryImportError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; use GeoJSON (.geojson), "
            f"a zipped Shapefile (.zip) or a GeoPackage (.gpkg).")
    source = path
    if suffix == ".zip":
        try:
            written = extract_zip(path, folder)
        except UnsafeUpload as exc:
            raise BoundaryImportError(str(exc)) from None
        readable = [p for p in written if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json")]
        shapefiles = [p for p in readable if p.suffix.lower() == ".shp"]
        candidates = shapefiles or readable
        if not candidates:
            raise BoundaryImportError(f"{path.name} contains no .shp, .gpkg or .geojson file.")
        if len(candidates) > 1:
            names = ", ".join(sorted(p.name for p in candidates))
            raise BoundaryImportError(f"{path.name} contains several layers ({names}); put one per zip file.")
        source = candidates[0]
        if source.suffix.lower() == ".shp":
            missing = [ext for ext in (".shx", ".dbf") if not source.with_suffix(ext).exists()
                       and not source.with_suffix(ext.upper()).exists()]
            if missing:
                raise BoundaryImportError(f"{path.name}: the Shapefile {source.name} lacks its "
                                          f"{' and '.join(missing)} file.")
    _check_signature(path, source)
    layer = None
    try:
        layers = pyogrio.list_layers(source)
        wanted = [name for name, kind in layers if kind is None or geometry in str(kind).lower()]
        if len(layers) > 1:
            if not wanted:
                raise BoundaryImportError(f"{path.name} has no {geometry} layer.")
            layer = wanted[0]
            messages.append(f"{len(layers)} layers in the file; read the {geometry} layer {layer!r}.")
        return gpd.read_file(source, layer=layer, engine="pyogrio")
    except BoundaryImportError:
        raise
    except (RuntimeError, ValueError, OSError) as exc:  # pyogrio's errors: all mean "unreadable"
        raise BoundaryImportError(f"{path.name} cannot be read as {suffix[1:].upper()}: "
                                  f"{str(exc).splitlines()[0][:200]}") from None


def _check_signature(upload: Path, source: Path) -> None:
    """The file's first bytes must fit its extension: GDAL picks drivers by content, and a
    '.geojson' that is really, say, a VRT could make it open other files."""
    with source.open("rb") as handle:
        head = handle.read(1024)
    suffix = source.suffix.lower()
    if suffix in (".geojson", ".json"):
        fits = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    elif suffix == ".gpkg":
        fits = head.startswith(b"SQLite format 3\x00")
    else:
        fits = head[:4] == b"\x00\x00\x27\x0a"  # the Shapefile file code 9994
    if not fits:
        raise BoundaryImportError(f"{upload.name}: {source.name} is not a {suffix[1:].upper()} file "
                                  f"(its content does not match its extension).")


def _column(frame, choices: tuple[str, ...]) -> str | None:
    by_key = {unaccent(str(column)).strip().lower(): column for column in frame.columns if column != "geometry"}
    return next((by_key[choice] for choice in choices if choice in by_key), None)


# --- coordinates ---------------------------------------------------------------------------

def _inside(bounds, box=VIETNAM_BOUNDS) -> bool:
    minx, miny, maxx, maxy = bounds
    return box[0] <= minx and maxx <= box[2] and box[1] <= miny and maxy <= box[3]


def _plain_lonlat(bounds) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90


def _swap_xy(geometries):
    return shapely.transform(geometries, lambda coords: coords[:, ::-1])


def _crs_label(crs: CRS) -> str:
    """'EPSG:3405' when the CRS is a registered one, else its own name or its PROJ description
    (a province's VN-2000 TM-3 zone often comes only as a .prj)."""
    code = crs.to_epsg(min_confidence=70)
    if code:
        return f"EPSG:{code}"
    if crs.name and crs.name.lower() != "unknown":
        return crs.name
    return crs.to_proj4()


def _not_lonlat_message(path: Path, bounds) -> str:
    x, y = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    return (f"{path.name} has no coordinate reference system (CRS) and its coordinates "
            f"(x ≈ {x:,.0f}, y ≈ {y:,.0f}) are not longitude/latitude, so where it lies cannot be known. "
            f"Export it again with its CRS (for a Shapefile, include the .prj file), e.g. "
            f"VN-2000 / UTM zone 48N (EPSG:3405) or the province's VN-2000 TM-3 zone.")


def _to_wgs84(frame, path: Path, messages: list[str]) -> tuple[np.ndarray, str]:
    """The geometries in WGS84 lon/lat and the source CRS label; refuses what cannot be placed."""
    geometries = shapely.force_2d(np.asarray(frame.geometry.to_numpy(), dtype=object))
    bounds = shapely.total_bounds(geometries)
    crs = frame.crs
    if crs is None:
        if not _plain_lonlat(bounds) and not _plain_lonlat(bounds[[1, 0, 3, 2]]):
            raise BoundaryImportError(_not_lonlat_message(path, bounds))
        messages.append("The file declares no CRS; its coordinates are longitude/latitude, read as WGS84.")
        crs, label = WGS84, "none (read as EPSG:4326)"
    else:
        crs = CRS.from_user_input(crs)
        label = _crs_label(crs)
    if crs.is_geographic:
        if not _plain_lonlat(bounds) and not _plain_lonlat(bounds[[1, 0, 3, 2]]):
            raise BoundaryImportError(_not_lonlat_message(path, bounds))
    try:
        transformed = _transform(geometries, crs)
        swapped = None
        if not _inside(shapely.total_bounds(transformed)):
            swapped = _transform(_swap_xy(geometries), crs)
    except (CRSError, ProjError) as exc:
        raise BoundaryImportError(f"{path.name}: its CRS {label} cannot be converted to WGS84 ({exc}).") from None
    if swapped is not None and _inside(shapely.total_bounds(swapped)):
        messages.append("Coordinates were in latitude/longitude (y, x) order; swapped to longitude/latitude.")
        transformed = swapped
    elif swapped is not None:
        minx, miny, maxx, maxy = shapely.total_bounds(transformed)
        raise BoundaryImportError(
            f"{path.name} does not lie in Vietnam with its CRS {label}: it spans longitude "
            f"{minx:.2f}…{maxx:.2f}, latitude {miny:.2f}…{maxy:.2f}. Check the CRS (.prj) of the file.")
    return transformed, label


def _transform(geometries: np.ndarray, crs: CRS) -> np.ndarray:
    if crs.equals(WGS84, ignore_axis_order=True):
        return geometries
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

    def project(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geometries, project)


# --- geometry -------------------------------------------------------------------------------

def _polygonal(geometry):
    """Only the polygon parts of a geometry (make_valid may add stray lines or points)."""
    if geometry is None or geometry.is_empty:
        return None
    if isinstance(geometry, (shapely.Polygon, shapely.MultiPolygon)):
        return geometry
    parts = [part for part in shapely.get_parts(geometry)
             if isinstance(part, (shapely.Polygon, shapely.MultiPolygon))]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _repair(features: list[_Feature], messages: list[str]) -> None:
    repaired = []
    for feature in features:
        if not feature.geometry.is_valid:
            reason = shapely.is_valid_reason(feature.geometry)
            feature.geometry = _polygonal(shapely.make_valid(feature.geometry))
            repaired.append(f"{feature.label}: {reason}")
    if repaired:
        messages.append(f"Repaired {len(repaired)} invalid geometr{'y' if len(repaired) == 1 else 'ies'} "
                        f"(make_valid): " + "; ".join(repaired))


def equal_area_km2(geometries: list) -> list[float]:
    """Areas in km² in a Lambert azimuthal equal-area projection centred on the geometries."""
    from pyproj import Transformer

    if not geometries:
        return []
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geometries, dtype=object))
    laea = CRS.from_proj4(f"+proj=laea +lat_0={(miny + maxy) / 2} +lon_0={(minx + maxx) / 2} "
                          f"+datum=WGS84 +units=m +no_defs")
    transformer = Transformer.from_crs(WGS84, laea, always_xy=True)

    def project(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    projected = shapely.transform(np.asarray(geometries, dtype=object), project)
    return [float(area) / 1e6 for area in shapely.area(projected)]


def display_geometries(geometries: list) -> list:
    """Simplified copies for the maps (about 11 m tolerance, 6 decimals); shared edges stay shared
    when the polygons form a clean coverage."""
    if not geometries:
        return []
    array = np.asarray(geometries, dtype=object)
    try:
        simplified = (shapely.coverage_simplify(array, DISPLAY_TOLERANCE_DEG)
                      if shapely.coverage_is_valid(array) else None)
    except shapely.errors.GEOSException:
        simplified = None
    if simplified is None:
        simplified = shapely.simplify(array, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    result = []
    for original, geometry in zip(array, simplified):
        rounded = shapely.set_precision(geometry, 10.0 ** -DISPLAY_DECIMALS)
        rounded = _polygonal(rounded if rounded.is_valid else shapely.make_valid(rounded))
        result.append(rounded if rounded is not None and not rounded.is_empty else original)
    return result


# --- levels and matching ----------------------------------------------------------------------

def _level_word(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return _LEVEL_WORDS.get(unaccent(str(value)).strip().lower())




def match(features: list[_Feature], units: list[Unit], level: str, city: str | None, messages: list[str]) -> None:
    """Set each feature's unit: by GSO code, else by name (diacritics and prefixes ignored)."""
    by_code = {unit.gso_code: unit for unit in units}
    by_name: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        by_name[name_key(unit.name)].append(unit)
    for feature in features:
        code = normalise_code(feature.code, level)
        if code and code in by_code:
            feature.unit = by_code[code]
            if feature.name and name_key(feature.name) != name_key(feature.unit.name):
                messages.append(f"{feature.label}: matched by code to {feature.unit.name}; the names differ.")
            continue
        if not feature.name:
            continue
        candidates = by_name.get(name_key(feature.name, strip_prefix=False)) or by_name.get(name_key(feature.name), [])
        if len(candidates) > 1:
            kind = unit_type(feature.name)
            candidates = [unit for unit in candidates if kind and unit_type(unit.name) == kind] or candidates
        if len(candidates) == 1:
            feature.unit = candidates[0]
            note = f" (its code {feature.code} is unknown)" if feature.code else ""
            messages.append(f"{feature.label}: matched by name to {feature.unit.name} ({feature.unit.gso_code}){note}.")
        elif len(candidates) > 1:
            hint = "; name the city (--city) or add GSO codes" if level == "ward" and city is None else ""
            messages.append(f"{feature.label}: the name fits {len(candidates)} units "
                            f"({', '.join(u.gso_code for u in candidates)}); not matched{hint}.")


# --- the import ---------------------------------------------------------------------------------

def _features_of(frame, geometries, level: str | None, messages: list[str]) -> list[_Feature]:
    code_column = _column(frame, _CODE_COLUMNS)
    name_column = _column(frame, _NAME_COLUMNS)
    level_column = _column(frame, _LEVEL_COLUMNS)
    if code_column is None and name_column is None:
        raise BoundaryImportError(
            "The file has neither a GSO code column (gso_code, ma_dvhc, ma…) nor a name column "
            f"(name, ten, ten_dvhc…); columns found: {', '.join(map(str, frame.columns.drop('geometry')))}.")
    features, skipped, empty, unknown_level = [], Counter(), [], []
    for index, geometry in enumerate(geometries):
        row = frame.iloc[index]
        code = row[code_column] if code_column else None
        code = None if code is None or (isinstance(code, float) and code != code) else str(code).strip() or None
        code = normalise_code(code) or code
        name = row[name_column] if name_column else None
        name = None if name is None or (isinstance(name, float) and name != name) else str(name).strip() or None
        declared = _level_word(row[level_column]) if level_column else None
        by_code = LEVEL_OF_CODE_LENGTH.get(len(code or ""))
        if level is not None:
            # Only a level column may overrule the level asked for: a bare name can begin with a
            # prefix word ("Quán Lào" is a town, not a district) and a code stored as a number
            # loses its leading zeros (ward 00385 reads 385).
            if declared is not None and declared != level:
                skipped[declared] += 1
                continue
            feature_level = level
        else:
            feature_level = declared or LEVEL_OF_TYPE.get(unit_type(name) or "") or by_code
        polygon = _polygonal(geometry) if geometry is not None and geometry.is_valid else geometry
        feature = _Feature(index, code, name, feature_level or "", polygon)
        if polygon is None or polygon.is_empty:
            empty.append(feature.label)
            continue
        if feature_level is None:
            unknown_level.append(feature.label)
            continue
        features.append(feature)
    if unknown_level:
        raise BoundaryImportError(
            f"The level (province, district or ward) of {len(unknown_level)} feature(s) cannot be told, "
            f"e.g. {unknown_level[0]}; import again with --level province|district|ward.")
    for other, count in sorted(skipped.items()):
        messages.append(f"Skipped {count} {other}-level feature(s): only {level} was asked for.")
    if empty:
        messages.append(f"Skipped {len(empty)} feature(s) without a polygon: {', '.join(empty[:10])}.")
    return features


def read_features(path: Path, level: str | None, messages: list[str]) -> tuple[list[_Feature], str]:
    """The polygon features of a boundary file in WGS84, repaired, with the source CRS label.

    BoundaryImportError (message for the user) when the file is refused. Archives are
    extracted into a temporary folder that is removed before this returns.
    """
    with tempfile.TemporaryDirectory(prefix="ioc-boundaries-") as folder:
        frame = _read_frame(path, Path(folder), messages)
        if frame.empty:
            raise BoundaryImportError(f"{path.name} contains no features.")
        kinds = set(frame.geometry.geom_type.dropna())
        if not kinds & {"Polygon", "MultiPolygon", "GeometryCollection"}:
            raise BoundaryImportError(f"{path.name} contains no polygons (found: {', '.join(sorted(kinds)) or 'none'}); "
                                      f"boundaries must be polygons.")
        missing = int(frame.geometry.isna().sum())
        if missing:
            messages.append(f"Skipped {missing} feature(s) without a geometry.")
            frame = frame[~frame.geometry.isna()].reset_index(drop=True)
        geometries, crs_label = _to_wgs84(frame, path, messages)
    features = _features_of(frame, geometries, level, messages)
    if not features:
        raise BoundaryImportError(f"{path.name} has no polygon feature at the {level or 'any'} level.")
    _repair(features, messages)
    return [f for f in features if f.geometry is not None and not f.geometry.is_empty], crs_label


def combine(features: list[_Feature], messages: list[str]):
    """Report entries, boundaries to store (features of one unit merged) and unmatched labels."""
    matched: dict[tuple[str, str], list[_Feature]] = defaultdict(list)
    loose = []
    for feature in features:
        if feature.unit is None:
            loose.append(feature)
        else:
            matched[(feature.unit.level, feature.unit.gso_code)].append(feature)
    merged = []
    for parts in matched.values():
        geometry = parts[0].geometry if len(parts) == 1 else _polygonal(
            shapely.make_valid(shapely.union_all([p.geometry for p in parts])))
        if len(parts) > 1:
            messages.append(f"{len(parts)} features of {parts[0].unit.name} merged into one boundary.")
        merged.append((parts[0], geometry))
    areas = equal_area_km2([g for _f, g in merged] + [f.geometry for f in loose])
    display = {}
    for feature_level in LEVELS:
        same = [(i, g) for i, (f, g) in enumerate(merged) if f.unit.level == feature_level]
        for (i, _g), simplified in zip(same, display_geometries([g for _i, g in same])):
            display[i] = simplified
    entries, boundaries = [], []
    for i, (feature, geometry) in enumerate(merged):
        unit = feature.unit
        lon, lat = centre_of(geometry)
        entries.append({"gso_code": unit.gso_code, "name": unit.name, "level": unit.level, "matched": True,
                        "area_km2": round(areas[i], 3)})
        boundaries.append(StoredBoundary(
            unit=unit, original_geojson=json.dumps(mapping(geometry)),
            display_geojson=json.dumps(mapping(display[i])), area_km2=areas[i], centre_lon=lon, centre_lat=lat))
    for j, feature in enumerate(loose):
        entries.append({"gso_code": normalise_code(feature.code, feature.level) or feature.code,
                        "name": feature.name, "level": feature.level, "matched": False,
                        "area_km2": round(areas[len(merged) + j], 3)})
    entries.sort(key=lambda entry: (LEVELS.index(entry["level"]), str(entry["gso_code"] or ""), entry["name"] or ""))
    return entries, boundaries, [feature.label for feature in loose]
