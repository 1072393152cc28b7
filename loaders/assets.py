"""Import of a city's asset inventories: cameras, access points, key locations and sensors.

The city's IT team holds them in the camera management system (VMS), the carriers' access
point lists and spreadsheets; surveyors give positions in VN-2000. Files are CSV or XLSX
(`lon`/`lat`, or `x`/`y` in the CRS given with `crs`), GeoJSON, a zipped Shapefile or a
GeoPackage (CRS read from the file, VN-2000 and its provincial 3° TM zones included, through
`geo.boundaries`); `loaders.asset_sync` reads the same columns from the city's own database.

All or nothing: every row is checked first (pure functions, nothing written) and any rejected
row (point outside the city, missing or duplicate `external_id`, unknown status or kind,
unparseable date or coordinate) is reported with its row, column and reason while nothing
is written. A clean inventory is upserted by (city, kind, external_id) in one transaction of
the IOC database through `loaders.apply` (audited, caches cleared): importing it again
changes nothing; `retire_missing` retires the assets the inventory no longer lists (kept for
history, neither counted nor drawn). The ward is found by point-in-polygon against the city's
wards; a `ward_code` that disagrees is a warning. Coverage is recomputed in the same
transaction when cameras or key locations change (`loaders.coverage`).
"""
from __future__ import annotations

import io
import json
import math
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import bindparam, select, update

from data_access import models as m
from data_access.db import connect, insert_frame
from domain.city_time import city_today, to_utc, utc_now
from domain.i18n import TEXT
from domain.map_layers import FILTERS
from domain.text import fold
from geo.boundaries import VIETNAM_BOUNDS, BoundaryImportError, crs_label, read_layer
from loaders.apply import ImportRejected, apply
from loaders.coverage import refresh_coverage
from loaders.sheets import FileRejected, Formula, RowError, Table, is_blank, parse_date, parse_number
from loaders.sheets import read_table, ward_code as parse_ward_code
from loaders.topics import PARAMETERS
from security.uploads import UnsafeUpload, check_size

KINDS = ("camera", "access_point", "key_location", "sensor")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")
GEO_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")
MAX_WARNINGS = 500
SHAPEFILE_NAME_LENGTH = 10
DECIMALS = 7  # positions stored to about a centimetre, so a re-import compares equal


def _catalog_label(key: str) -> str:
    return TEXT[key][0] if key in TEXT else ""


@dataclass(frozen=True)
class Field:
    """One column: canonical English name, Vietnamese header, other spellings accepted, and (for
    columns with a closed list) the accepted values with their Vietnamese and other spellings."""
    key: str
    vi: str
    aliases: tuple[str, ...] = ()
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    column: str | None = None  # the table column it is stored in (default: key)

    @property
    def accepted(self) -> str:
        vi = [spellings[0] for _value, spellings in self.values if spellings]
        return ", ".join(value for value, _ in self.values) + (f" ({', '.join(vi)})" if vi else "")

    def lookup(self) -> dict[str, str]:
        return {fold(spelling): value for value, spellings in self.values for spelling in (value, *spellings)}


def _closed(*pairs: tuple[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(pairs)


EXTERNAL_ID = Field("external_id", "Mã", ("ma", "id", "ma thiet bi", "ma tai san", "ma dinh danh"))
NAME = Field("name", "Tên", ("ten", "ten thiet bi", "ten diem"))
LON = Field("lon", "Kinh độ", ("longitude", "lng", "long", "kinh do"))
LAT = Field("lat", "Vĩ độ", ("latitude", "vi do"))
X = Field("x", "Tọa độ X", ("toa do x", "easting"))
Y = Field("y", "Tọa độ Y", ("toa do y", "northing"))
WARD = Field("ward_code", "Mã phường/xã", ("ma phuong xa", "ma phuong", "ma xa", "ma_dvhc", "gso_code"))
INSTALLED = Field("installed_on", "Ngày lắp đặt", ("ngay lap dat", "installed", "ngay dua vao su dung"))
STATUS_AT = Field("status_at", "Thời điểm trạng thái", ("thoi diem trang thai", "last_checked", "cap nhat luc"))
CAMERA_STATUS = Field("status", "Trạng thái", ("trang thai",), _closed(
    ("online", (_catalog_label("status.online"), "truc tuyen")),
    ("offline", (_catalog_label("status.offline"), "ngoai tuyen")),
    ("maintenance", (_catalog_label("status.maintenance"), "bao duong"))))
AP_STATUS = Field("status", "Trạng thái", ("trang thai",), _closed(
    ("active", (_catalog_label("popup.ap_status.active"), "online")),
    ("offline", (_catalog_label("popup.ap_status.offline"), "ngoai tuyen"))))
PROVIDERS = next(item.values for item in FILTERS if item.name == "provider")
CATEGORY_PREFIX = "popup.key_category."

COMMON = (EXTERNAL_ID, NAME, LON, LAT, X, Y, WARD)


@dataclass(frozen=True)
class AssetKind:
    """What an inventory of one kind holds and where it is stored."""
    name: str
    model: type
    fields: tuple[Field, ...]
    required: tuple[str, ...]
    id_letter: str | None  # internal ids "<city GSO>-<letter>0000001"; None = numbered by the database

    @property
    def columns(self) -> tuple[Field, ...]:
        return (*COMMON, *self.fields)


CAMERA_KIND = Field("camera_kind", "Loại camera", ("loai camera", "kind", "loai"), _closed(
    ("security", ("an ninh", "camera an ninh", "an ninh trat tu")),
    ("traffic", ("giao thông", "camera giao thong"))), column="kind")
OWNER = Field("owner", "Đơn vị quản lý", ("don vi quan ly", "chu so huu", "nguon von"), _closed(
    ("city", (_catalog_label("owner.city"), "thành phố", "nha nuoc", "ngan sach")),
    ("socialised", (_catalog_label("owner.socialised"), "socialized", "xa hoi hoa"))))
AP_KIND = Field("ap_kind", "Loại điểm truy cập", ("loai diem truy cap", "kind", "loai"), _closed(
    ("free_wifi", (_catalog_label("ap.free_wifi"), "wifi mien phi", "wifi")),
    ("public_internet_point", (_catalog_label("ap.public_internet_point"), "diem truy cap"))), column="kind")
PROVIDER = Field("provider", "Nhà mạng", ("nha mang", "nha cung cap", "doanh nghiep"),
                 tuple((name, ()) for name in PROVIDERS))
CATEGORY = Field("category", "Loại điểm", ("loai diem", "phan loai", "loai"), tuple(
    (key.removeprefix(CATEGORY_PREFIX), (label[0],)) for key, label in TEXT.items() if key.startswith(CATEGORY_PREFIX)))
SENSOR_KIND = Field("sensor_kind", "Loại trạm", ("loai tram", "kind", "loai"), _closed(
    ("air", (_catalog_label("popup.sensor_kind.air"), "quan trac khong khi")),
    ("water", (_catalog_label("popup.sensor_kind.water"), "nuoc", "quan trac nuoc"))), column="kind")
SENSOR_PARAMETERS = Field("parameters", "Thông số", ("thong so", "chi tieu quan trac"))

ASSET_KINDS: dict[str, AssetKind] = {
    "camera": AssetKind("camera", m.Camera, (CAMERA_KIND, CAMERA_STATUS, INSTALLED, OWNER, STATUS_AT),
                        ("external_id", "camera_kind", "status"), "C"),
    "access_point": AssetKind("access_point", m.AccessPoint, (AP_KIND, PROVIDER, AP_STATUS, INSTALLED, STATUS_AT),
                              ("external_id", "ap_kind", "provider", "status"), "W"),
    "key_location": AssetKind("key_location", m.KeyLocation, (CATEGORY,), ("external_id", "category"), None),
    "sensor": AssetKind("sensor", m.Sensor, (SENSOR_KIND, SENSOR_PARAMETERS, INSTALLED),
                        ("external_id", "sensor_kind"), "M"),
}
_PARAMETER_SPELLINGS = {"pm2.5": "pm25", "pm2,5": "pm25", "pm 2.5": "pm25", "oxy hoa tan": "do"}


def asset_kind(kind: str) -> AssetKind:
    if kind not in ASSET_KINDS:
        raise ImportRejected(f"unknown asset kind {kind!r}; choose one of {', '.join(KINDS)}")
    return ASSET_KINDS[kind]


# --- what was read, and what it became --------------------------------------------------------

@dataclass
class Source:
    """Rows read from a file or a query: header, (row number, cells), and for geographic files the
    point coordinates in the file's CRS (`xy`; NaN where a feature has no point)."""
    label: str
    header: list[str]
    rows: list[tuple[int, list]]
    xy: tuple[np.ndarray, np.ndarray] | None = None
    geometry_problems: dict[int, str] = field(default_factory=dict)  # position in rows -> reason
    crs: object = None
    header_row: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass
class AssetRow:
    """One accepted row: where it goes and the values of its table's columns."""
    row: int
    external_id: str
    lon: float
    lat: float
    ward_code: str | None
    values: dict  # column -> value; None for installed_on / status_at = keep what is stored


@dataclass
class AssetReport:
    kind: str
    source: str
    city: str
    rows: int = 0
    crs: str = ""
    accepted: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[AssetRow] = field(default_factory=list)
    updated: list[tuple[AssetRow, dict]] = field(default_factory=list)  # (row, stored values before)
    unchanged: int = 0
    retired: list[str] = field(default_factory=list)  # external ids
    by_ward: dict[str, int] = field(default_factory=dict)
    retire_missing: bool = False
    dry_run: bool = False
    applied: bool = False
    coverage_pairs: int | None = None

    def to_json(self) -> dict:
        """The object `--json` prints, as the issue specifies it."""
        return {"kind": self.kind, "rows": self.rows, "accepted": self.accepted, "created": len(self.created),
                "updated": len(self.updated), "unchanged": self.unchanged, "retired": len(self.retired),
                "warnings": list(self.warnings),
                "rejected": [{"row": e.row, "column": e.column, "reason": e.reason} for e in self.errors],
                "by_ward": dict(sorted(self.by_ward.items()))}

    def summary(self) -> str:
        return (f"{self.source} {self.kind} city={self.city} rows={self.rows} created={len(self.created)} "
                f"updated={len(self.updated)} unchanged={self.unchanged} retired={len(self.retired)}")


# --- reading ------------------------------------------------------------------------------------

def read_source(path: Path, filename: str | None = None) -> Source:
    """A CSV/XLSX table or the points of a GeoJSON, zipped Shapefile or GeoPackage.
    FileRejected (message for the user) when the file cannot be read at all."""
    path = Path(path)
    name = filename or path.name
    suffix = Path(name).suffix.lower()
    try:
        check_size(path)
    except UnsafeUpload as exc:
        raise FileRejected(str(exc)) from None
    if suffix in TABLE_SUFFIXES:
        table: Table = read_table(path.read_bytes(), name)
        return Source(name, table.header, table.rows)
    if suffix not in GEO_SUFFIXES:
        raise FileRejected(f"{name}: use CSV, XLSX, GeoJSON, a zipped Shapefile (.zip) or a GeoPackage (.gpkg)")
    messages: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="ioc-assets-") as folder:
            frame = read_layer(path, Path(folder), messages, geometry="point")
    except BoundaryImportError as exc:
        raise FileRejected(str(exc)) from None
    return _geo_source(name, frame, messages)


def _geo_source(name: str, frame, notes: list[str]) -> Source:
    geometry = frame.geometry
    problems: dict[int, str] = {}
    kinds = geometry.geom_type.to_numpy()
    points = np.array([g if k == "Point" else (shapely.get_geometry(g, 0) if k == "MultiPoint" and
                                                  shapely.get_num_geometries(g) == 1 else None)
                       for g, k in zip(geometry.to_numpy(), kinds)], dtype=object)
    for index, (point, kind) in enumerate(zip(points, kinds)):
        if point is None or point.is_empty:
            problems[index] = "no point geometry" if kind is None else f"geometry is a {kind}, not a point"
    x = np.array([np.nan if p is None or p.is_empty else p.x for p in points], dtype=float)
    y = np.array([np.nan if p is None or p.is_empty else p.y for p in points], dtype=float)
    attributes = frame.drop(columns=frame.geometry.name)
    rows = [(index + 1, list(values)) for index, values in enumerate(attributes.itertuples(index=False, name=None))]
    return Source(name, [str(c) for c in attributes.columns], rows, (x, y), problems, frame.crs, 0, notes)


def source_from_query(label: str, columns: list[str], records: list) -> Source:
    """Rows a database query returned (loaders.asset_sync): row numbers count from 1."""
    return Source(label, [str(c) for c in columns], [(i, list(r)) for i, r in enumerate(records, start=1)],
                  header_row=0)


# --- the city -----------------------------------------------------------------------------------

@dataclass
class CityArea:
    """The city's wards (GSO code, polygon) and outline, for point-in-polygon."""
    slug: str
    name: str
    codes: list[str]
    polygons: list
    outline: object = None

    def locate(self, lons: np.ndarray, lats: np.ndarray) -> tuple[list[str | None], np.ndarray]:
        """Each point's ward (None when no ward holds it) and whether it lies in the city."""
        points = shapely.points(lons, lats)
        wards: list[str | None] = [None] * len(lons)
        if self.polygons:
            tree = shapely.STRtree(self.polygons)
            point_index, polygon_index = tree.query(points, predicate="intersects")
            for p, w in sorted(zip(point_index.tolist(), polygon_index.tolist()), reverse=True):
                wards[p] = self.codes[w]  # on a shared edge the first ward (by code) wins
        inside = np.array([ward is not None for ward in wards], dtype=bool)
        if self.outline is not None:
            inside |= shapely.contains_xy(self.outline, lons, lats)
        return wards, inside


def load_city_area(city: str) -> CityArea:
    """The city's wards as stored (the imported original boundary where there is one)."""
    w, c, b = m.Ward, m.City, m.UnitBoundary
    with connect("ioc") as connection:
        row = connection.execute(select(c.name_vi, c.outline_geojson).where(c.slug == city)).first()
        if row is None:
            raise ImportRejected(f"unknown city {city!r}")
        wards = connection.execute(
            select(w.gso_code, w.geometry_geojson, b.original_geojson)
            .outerjoin(b, (b.gso_code == w.gso_code) & (b.level == "ward"))
            .where(w.city_slug == city).order_by(w.gso_code)).all()
    polygons = [shapely.from_geojson(original or shown) for _code, shown, original in wards]
    outline = shapely.from_geojson(row.outline_geojson) if row.outline_geojson else None
    return CityArea(city, row.name_vi, [code for code, _s, _o in wards], polygons, outline)


# --- validation (pure) --------------------------------------------------------------------------

def _blank(value) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return is_blank(value)


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _coordinate(value) -> float:
    """A coordinate cell: 105.7766, '105,7766' (decimal comma), '587123.45'; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        number = parse_number(text) if ("," in text and "." in text) else float(text.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _instant(value) -> datetime:
    if isinstance(value, str):
        try:
            return to_utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    moment = parse_date(value)
    return to_utc(moment.to_pydatetime() if isinstance(moment, pd.Timestamp) else moment)


def _match_header(header: list[str], spec: AssetKind, header_row: int, geographic: bool,
                  errors: list[RowError], warnings: list[str]) -> dict[str, int]:
    """{field key: column index}; unknown columns are ignored with a warning. A Shapefile cuts field
    names to 10 characters: the cut names are accepted too."""
    spellings = [(fold(spelling), item.key) for item in spec.columns for spelling in (item.key, item.vi, *item.aliases)]
    names = {name[:SHAPEFILE_NAME_LENGTH]: key for name, key in spellings} | dict(spellings)
    found: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        key = names.get(fold(title))
        if key is None:
            ignored.append(title or f"column {index + 1}")
        elif key in found:
            errors.append(RowError(header_row, title, f"column {title!r} appears twice"))
        else:
            found[key] = index
    if ignored:
        warnings.append(f"columns ignored (not part of a {spec.name} inventory): {', '.join(ignored[:20])}")
    titles = {item.key: item for item in spec.columns}
    for key in spec.required:
        if key not in found:
            errors.append(RowError(header_row, "", f"missing column {key!r} / {titles[key].vi!r}"))
    if not geographic and not ({"lon", "lat"} <= set(found) or {"x", "y"} <= set(found)):
        errors.append(RowError(header_row, "", "missing coordinates: columns lon/lat (Kinh độ/Vĩ độ), "
                                               "or x/y with their CRS (--crs EPSG:NNNN)"))
    return found


def _transform(xs: np.ndarray, ys: np.ndarray, crs) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import CRS, Transformer

    source = CRS.from_user_input(crs)
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return xs, ys
    lon, lat = Transformer.from_crs(source, 4326, always_xy=True).transform(xs, ys)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _in_vietnam(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    west, south, east, north = VIETNAM_BOUNDS
    return (lons >= west) & (lons <= east) & (lats >= south) & (lats <= north)


def _positions(xs: np.ndarray, ys: np.ndarray, crs, warnings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat of every point; x and y swapped when only that puts the points in Vietnam."""
    known = np.isfinite(xs) & np.isfinite(ys)
    lon, lat = np.full(len(xs), np.nan), np.full(len(xs), np.nan)
    if not known.any():
        return lon, lat
    lon[known], lat[known] = _transform(xs[known], ys[known], crs)
    placed = _in_vietnam(lon[known], lat[known]).mean()
    if placed < 0.5:
        swapped_lon, swapped_lat = _transform(ys[known], xs[known], crs)
        if _in_vietnam(swapped_lon, swapped_lat).mean() > placed:
            lon[known], lat[known] = swapped_lon, swapped_lat
            warnings.append("coordinates were in y/x (latitude/longitude) order; swapped")
    return lon, lat


def _parameters(value, kind: str) -> str:
    allowed = PARAMETERS[kind]
    names = [_PARAMETER_SPELLINGS.get(fold(part), fold(part).replace(".", "").replace(" ", ""))
             for part in re.split(r"[;,/|]+", str(value)) if part.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} not measured by a {kind} station; accepted: {', '.join(allowed)}")
    return ",".join(name for name in allowed if name in names)


def _field_values(spec: AssetKind, cell, fail, lookups: dict[str, dict[str, str]]) -> dict:
    """The kind's own columns of one row by table column (None = empty); problems go to `fail`."""
    values: dict = {}
    for item in spec.fields:
        raw, column = cell(item.key), item.column or item.key
        values[column] = None
        if _blank(raw):
            if item.values and item.key in spec.required:
                fail(item.key, f"{item.key} is empty; accepted: {item.accepted}")
            continue
        try:
            values[column] = _parse_field(item, raw, lookups, values)
        except ValueError as exc:
            fail(item.key, str(exc))
    return values


def _parse_field(item: Field, raw, lookups: dict[str, dict[str, str]], values: dict):
    if item.values:
        value = lookups[item.key].get(fold(_text(raw)))
        if value is None:
            raise ValueError(f"unknown {item.key} {_text(raw)!r}; accepted: {item.accepted}")
        return value
    if item.key == "installed_on":
        return parse_date(raw).date()
    if item.key == "status_at":
        return _instant(raw)
    if item.key == "parameters":
        return _parameters(raw, values["kind"]) if values.get("kind") in PARAMETERS else None
    return _text(raw)


def _summary_warnings(spec: AssetKind, no_ward: list[int], no_date: int, no_owner: int, today: date) -> list[str]:
    out = []
    if no_ward:
        out.append(f"{len(no_ward)} point(s) inside the city but in no ward polygon (stored without a ward): "
                   f"rows {', '.join(map(str, no_ward[:20]))}{' …' if len(no_ward) > 20 else ''}")
    if no_date:
        out.append(f"{no_date} row(s) without installed_on: new assets are counted from {today:%d/%m/%Y}, "
                   f"stored ones keep their date")
    if no_owner:
        out.append(f"{no_owner} {spec.name}(s) without owner: taken as city")
    return out


def validate(source: Source, kind: str, area: CityArea, crs=None, today: date | None = None
             ) -> tuple[list[AssetRow], list[RowError], list[str]]:
    """Every row checked (nothing written): (accepted rows, rejections, warnings).

    `crs` is the CRS of lon/lat or x/y columns (default WGS84 for lon/lat; required for x/y) or of a
    geographic file that declares none."""
    spec = asset_kind(kind)
    errors: list[RowError] = []
    warnings: list[str] = list(source.notes)
    geographic = source.xy is not None
    found = _match_header(source.header, spec, source.header_row, geographic, errors, warnings)
    if errors:
        return [], errors, warnings
    if not source.rows:
        return [], [RowError(source.header_row + 1, "", "no data rows")], warnings
    titles = {key: source.header[index] for key, index in found.items()}
    lookups = {item.key: item.lookup() for item in spec.fields if item.values}
    today = today or city_today()

    if geographic:
        xs, ys = source.xy
        declared = source.crs
        if declared is not None and crs is not None:
            warnings.append(f"the file declares its CRS ({crs_label(declared)}); --crs {crs} ignored")
        crs_used = declared or crs or "EPSG:4326"
        coordinate_titles = ("geometry", "geometry")
    else:
        use_xy = not {"lon", "lat"} <= set(found)
        first, second = ("x", "y") if use_xy else ("lon", "lat")
        if use_xy and crs is None:
            return [], [RowError(source.header_row, titles["x"], "x/y coordinates need their CRS "
                                 "(--crs, e.g. EPSG:3405 or the province's VN-2000 TM-3 zone EPSG:5897)")], warnings
        crs_used = crs or "EPSG:4326"
        coordinate_titles = (titles[first], titles[second])
        xs, ys = np.full(len(source.rows), np.nan), np.full(len(source.rows), np.nan)

    checked: list[tuple[int, int, dict, list[RowError]]] = []  # (position, row, values, errors)
    for position, (number, cells) in enumerate(source.rows):
        row_errors: list[RowError] = []

        def cell(key):
            index = found.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        def fail(key, reason):
            row_errors.append(RowError(number, titles.get(key, key), reason))

        values: dict = {}
        formulas = [key for key in found if isinstance(cell(key), Formula)]
        if formulas:
            for key in formulas:
                fail(key, f"a formula ({cell(key).text[:40]!r}); paste the values only")
            checked.append((position, number, {"external_id": "", "ward_given": None}, row_errors))
            continue
        external = cell("external_id")
        if _blank(external):
            fail("external_id", "external_id is empty")
        elif len(_text(external)) > 64:
            fail("external_id", "external_id is longer than 64 characters")
        values["external_id"] = "" if _blank(external) else _text(external)
        if geographic:
            if position in source.geometry_problems:
                row_errors.append(RowError(number, "geometry", source.geometry_problems[position]))
        else:
            for key, target in ((first, xs), (second, ys)):
                raw = cell(key)
                if _blank(raw):
                    fail(key, f"{key} is empty")
                    continue
                try:
                    target[position] = _coordinate(raw)
                except ValueError:
                    fail(key, f"not a coordinate: {raw!r}")
        name = cell("name")
        values["name"] = None if _blank(name) else _text(name)[:160]
        values.update(_field_values(spec, cell, fail, lookups))
        ward_given = cell("ward_code")
        values["ward_given"] = None
        if not _blank(ward_given):
            try:
                values["ward_given"] = parse_ward_code(ward_given)
            except ValueError as exc:
                warnings.append(f"row {number}: {exc}; the ward is found from the position")
        checked.append((position, number, values, row_errors))

    if geographic:
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    try:
        lons, lats = _positions(xs, ys, crs_used, warnings)
    except Exception as exc:  # noqa: BLE001 - pyproj raises CRSError / ProjError subclasses of many kinds
        raise FileRejected(f"the CRS {crs_used} cannot be converted to WGS84: {str(exc).splitlines()[0][:160]}") from None
    known = np.isfinite(lons) & np.isfinite(lats)
    wards: list[str | None] = [None] * len(lons)
    inside = np.zeros(len(lons), dtype=bool)
    if known.any():
        located, placed = area.locate(lons[known], lats[known])
        for position, ward, is_inside in zip(np.flatnonzero(known), located, placed):
            wards[position], inside[position] = ward, is_inside

    rows: list[AssetRow] = []
    seen: dict[str, int] = {}
    no_ward, disagree, no_date, no_owner = [], [], 0, 0
    for position, number, values, row_errors in checked:
        if not any(e.column in coordinate_titles for e in row_errors):
            if known[position] and not inside[position]:
                row_errors.append(RowError(number, coordinate_titles[0],
                                           f"point {lons[position]:.6f}, {lats[position]:.6f} is outside {area.name}"))
            elif not known[position] and not row_errors:
                row_errors.append(RowError(number, coordinate_titles[0], "no position"))
        external = values.pop("external_id")
        if external:
            if external in seen:
                row_errors.append(RowError(number, titles.get("external_id", "external_id"),
                                           f"duplicate external_id {external!r} (also on row {seen[external]})"))
            else:
                seen[external] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        given = values.pop("ward_given")
        ward = wards[position]
        if ward is None:
            no_ward.append(number)
        elif given is not None and given != ward:
            disagree.append(f"row {number}: ward_code {given} given, but the point lies in ward {ward} (stored)")
        if spec.name in ("camera", "access_point", "sensor") and values.get("installed_on") is None:
            no_date += 1
        if spec.name == "camera" and values.get("owner") is None:
            values["owner"] = "city"
            no_owner += 1
        if values.get("name") is None and spec.name != "camera":
            values["name"] = external
        rows.append(AssetRow(number, external, round(float(lons[position]), DECIMALS),
                             round(float(lats[position]), DECIMALS), ward, values))
    warnings.extend(disagree + _summary_warnings(spec, no_ward, no_date, no_owner, today))
    if len(warnings) > MAX_WARNINGS:
        warnings[MAX_WARNINGS:] = [f"… and {len(warnings) - MAX_WARNINGS} more warnings"]
    order = {title: index for index, title in enumerate(source.header)}
    errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    return rows, errors, warnings


# --- planning and writing -----------------------------------------------------------------------

def _compared(spec: AssetKind) -> tuple[str, ...]:
    return ("name", "ward_code", "lon", "lat", *(item.column or item.key for item in spec.fields))


def _existing(connection, spec: AssetKind, city: str) -> dict[str, dict]:
    table = spec.model.__table__
    columns = ["id", "external_id", "retired_at", *_compared(spec)]
    query = select(*(table.c[c] for c in columns)).where(table.c.city_slug == city)
    return {row["external_id"]: dict(row) for row in connection.execute(query).mappings()}


def _same(column: str, old, new) -> bool:
    if column in ("lon", "lat"):
        return old is not None and abs(float(old) - float(new)) < 10 ** -DECIMALS
    return old == new


def plan(report: AssetReport, spec: AssetKind, existing: dict[str, dict], rows: list[AssetRow]) -> None:
    """Created / updated (with the stored values) / unchanged for each row, and with
    `retire_missing` the stored assets in service that the inventory no longer lists."""
    compared = _compared(spec)
    for row in rows:
        old = existing.get(row.external_id)
        if old is None:
            report.created.append(row)
            continue
        new = {"name": row.values.get("name"), "ward_code": row.ward_code, "lon": row.lon, "lat": row.lat,
               **{c: v for c, v in row.values.items() if c != "name"}}
        differs = [c for c in compared if not (new.get(c) is None and c in ("installed_on", "status_at"))
                   and not _same(c, old.get(c), new.get(c))]
        if differs or old["retired_at"] is not None:
            report.updated.append((row, old))
        else:
            report.unchanged += 1
    if report.retire_missing:
        listed = {row.external_id for row in rows}
        report.retired = sorted(key for key, old in existing.items() if key not in listed and old["retired_at"] is None)


def _next_numbers(connection, spec: AssetKind, prefix: str) -> int:
    table = spec.model.__table__
    ids = connection.execute(select(table.c.id).where(table.c.id.like(f"{prefix}%"))).scalars()
    numbers = [int(text[len(prefix):]) for text in ids if text[len(prefix):].isdigit()]
    return max(numbers, default=0) + 1


def _write(connection, report: AssetReport, spec: AssetKind, city: str, now: datetime) -> None:
    table = spec.model.__table__
    if report.created:
        frame = pd.DataFrame([{"city_slug": city, "external_id": row.external_id, "ward_code": row.ward_code,
                               "lon": row.lon, "lat": row.lat, **row.values} for row in report.created])
        if "installed_on" in frame:
            frame["installed_on"] = frame["installed_on"].where(frame["installed_on"].notna(), city_today(now=now))
        if "status" in frame:
            frame["status_at"] = pd.to_datetime(frame["status_at"], utc=True).fillna(pd.Timestamp(now))
        if spec.id_letter is not None:
            gso = connection.execute(select(m.City.gso_code).where(m.City.slug == city)).scalar_one()
            prefix = f"{gso}-{spec.id_letter}"
            start = _next_numbers(connection, spec, prefix)
            frame.insert(0, "id", [f"{prefix}{n:07d}" for n in range(start, start + len(frame))])
        insert_frame(connection, table.name, frame[[c.name for c in table.columns if c.name in frame.columns]])
    if report.updated:
        changes = []
        for row, old in report.updated:
            values = {"ward_code": row.ward_code, "lon": row.lon, "lat": row.lat, "retired_at": None,
                      **{c: v for c, v in row.values.items() if v is not None or c not in ("installed_on", "status_at")}}
            if "status" in values and values.get("status_at") is None and values["status"] != old.get("status"):
                values["status_at"] = now
            if "installed_on" in table.c:
                values.setdefault("installed_on", old.get("installed_on"))
            if "status" in values:
                values.setdefault("status_at", old.get("status_at"))
            changes.append({"b_id": old["id"], **values})
        columns = sorted({key for change in changes for key in change if key != "b_id"})
        statement = update(table).where(table.c.id == bindparam("b_id")).values(
            **{c: bindparam(f"v_{c}") for c in columns})
        connection.execute(statement, [{"b_id": ch["b_id"], **{f"v_{c}": ch.get(c) for c in columns}} for ch in changes])
    if report.retired:
        statement = update(table).where(table.c.city_slug == city, table.c.external_id == bindparam("b_external"))
        connection.execute(statement.values(retired_at=now), [{"b_external": key} for key in report.retired])
    if spec.name in ("camera", "key_location") and (report.created or report.updated or report.retired):
        report.coverage_pairs = refresh_coverage(connection, city)


def import_source(source: Source, *, kind: str, city: str, crs=None, dry_run: bool = False,
                  retire_missing: bool = False, actor: str = "cli", action: str = "asset_import",
                  area: CityArea | None = None) -> AssetReport:
    """Validate rows read from a file or a query and (unless dry_run or any rejection) apply them
    in one transaction. ImportRejected for an unknown city or kind; FileRejected for a CRS that
    cannot be used."""
    spec = asset_kind(kind)
    area = area or load_city_area(city)
    report = AssetReport(kind=kind, source=source.label, city=city, rows=len(source.rows), dry_run=dry_run,
                         retire_missing=retire_missing)
    report.crs = crs_label(source.crs) if source.crs is not None else (str(crs) if crs else "EPSG:4326")
    rows, report.errors, report.warnings = validate(source, kind, area, crs)
    report.accepted = len(rows)
    report.by_ward = dict(Counter(row.ward_code for row in rows if row.ward_code))
    if report.errors:
        return report
    if dry_run:
        with connect("ioc") as connection:
            plan(report, spec, _existing(connection, spec, city), rows)
        return report

    def write(connection) -> None:
        plan(report, spec, _existing(connection, spec, city), rows)
        _write(connection, report, spec, city, utc_now().replace(microsecond=0))

    return apply(report, database="ioc", write=write, actor=actor, action=action)


def import_asset_file(path: Path, *, kind: str, city: str, crs=None, dry_run: bool = False,
                      retire_missing: bool = False, actor: str = "cli", filename: str | None = None) -> AssetReport:
    """Read an inventory file and import it (see `import_source`)."""
    asset_kind(kind)
    return import_source(read_source(Path(path), filename), kind=kind, city=city, crs=crs, dry_run=dry_run,
                         retire_missing=retire_missing, actor=actor)


# --- templates ----------------------------------------------------------------------------------

def template_columns(kind: str, lang: str = "vi") -> list[str]:
    spec = asset_kind(kind)
    fields = [EXTERNAL_ID, NAME, LON, LAT, WARD, *spec.fields]
    return [item.vi if lang == "vi" else item.key for item in fields]


def accepted_values(kind: str) -> list[dict]:
    """The closed lists of a kind: column, value, Vietnamese spelling."""
    spec = asset_kind(kind)
    rows = [{"column": item.key, "value": value, "vi": spellings[0] if spellings else value}
            for item in spec.fields for value, spellings in item.values]
    if kind == "sensor":
        rows += [{"column": "parameters", "value": name, "vi": f"{sensor_kind}"}
                 for sensor_kind, names in PARAMETERS.items() for name in names]
    return rows


def template(kind: str, lang: str = "vi", file_format: str = "xlsx") -> bytes:
    """An empty inventory file with `lang` headers; the XLSX lists the accepted values on a second sheet."""
    empty = pd.DataFrame(columns=template_columns(kind, lang))
    if file_format == "csv":
        return empty.to_csv(index=False).encode("utf-8-sig")
    if file_format != "xlsx":
        raise ValueError(f"template format must be xlsx or csv, got {file_format!r}")
    sheets = (("Dữ liệu", "Giá trị hợp lệ", ["Cột", "Giá trị", "Tiếng Việt"]) if lang == "vi"
              else ("data", "accepted values", ["column", "value", "Vietnamese"]))
    values = pd.DataFrame([list(row.values()) for row in accepted_values(kind)], columns=sheets[2])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        empty.to_excel(writer, sheet_name=sheets[0], index=False)
        values.to_excel(writer, sheet_name=sheets[1], index=False)
    return buffer.getvalue()


def print_report(report: AssetReport, as_json: bool, echo) -> None:
    """For the CLI: the `--json` object, or a readable summary with the rejections."""
    if as_json:
        echo(json.dumps(report.to_json(), ensure_ascii=False, default=str))
        return
    verb = "would be" if report.dry_run or report.errors else "were"
    for warning in report.warnings:
        echo(f"warning: {warning}", err=True)
    if report.errors:
        echo(f"{report.source}: {len(report.errors)} rejection(s), nothing was changed", err=True)
        for error in report.errors:
            echo(f"  row {error.row:<6} {error.column or '-':<20} {error.reason}", err=True)
        return
    echo(f"{report.source} ({report.kind}, CRS {report.crs}): {report.rows} row(s), {report.accepted} accepted; "
         f"{len(report.created)} {verb} created, {len(report.updated)} updated, {report.unchanged} unchanged, "
         f"{len(report.retired)} retired")
