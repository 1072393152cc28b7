"""Asset inventories: every rejection reason with its row, column and reason and nothing written
(the SQLite file byte for byte); VN-2000 GeoPackage, zipped Shapefile and x/y CSV positions within
1 m of the WGS84 source; wards by point-in-polygon; idempotent re-import; --retire-missing; the
CLI's JSON and exit status; templates; the live feed keyed by external_id; the map and the KPIs
counting imported assets and not retired ones."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from sqlalchemy import select, text

from data_access import models as m
from domain import periods
from loaders.assets import CityArea, import_asset_file, load_city_area, template
from tests.conftest import sqlite_digest
from tests.unit.test_boundaries import VN2000_TM3_THANH_HOA

CITY = "thanh-hoa"
HEADER = "external_id,name,lon,lat,ward_code,camera_kind,status,installed_on,owner"
GEOD = Geod(ellps="WGS84")


# --- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def area(private_demo) -> CityArea:
    return load_city_area(CITY)


def points_in(area: CityArea, n: int, seed: int = 7) -> list[tuple[float, float, str]]:
    """n (lon, lat, ward) well inside the city's wards (at least 30 m from any edge)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        index = int(rng.integers(len(area.polygons)))
        polygon = area.polygons[index]
        inner = polygon.buffer(-0.0003)
        if inner.is_empty:
            continue
        minx, miny, maxx, maxy = inner.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(inner, x, y):
            out.append((round(x, 7), round(y, 7), area.codes[index]))
    return out


def write_csv(folder: Path, rows: list[str], header: str = HEADER, name: str = "cameras.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def camera_rows(points, prefix: str = "VMS", status: str = "online") -> list[str]:
    return [f"{prefix}-{i},Camera {i},{lon},{lat},,security,{status},15/03/2024,city"
            for i, (lon, lat, _ward) in enumerate(points, start=1)]


def snapshot(urls) -> str:
    """The IOC database as bytes (SQLite) or as the rows of every table (PostgreSQL): equal = unchanged."""
    url = urls[0]
    if url.startswith("sqlite"):
        return sqlite_digest(Path(url.removeprefix("sqlite:///")))
    from data_access.db import get_engine

    digest = hashlib.sha256()
    with get_engine("ioc").connect() as connection:
        for table in m.IocBase.metadata.sorted_tables:
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def stored(external_ids: list[str], model=m.Camera) -> dict[str, dict]:
    from data_access.db import get_engine

    with get_engine("ioc").connect() as connection:
        rows = connection.execute(select(model.__table__).where(model.city_slug == CITY,
                                                                model.external_id.in_(external_ids)))
        return {row["external_id"]: dict(row) for row in rows.mappings()}


def cli(*args: str):
    from manage import cli as command

    return CliRunner().invoke(command, list(args))


# --- rejections ---------------------------------------------------------------------------------

OUTSIDE = "105.2,19.5"
REJECTIONS = [
    # (rows after the header, row, column, reason fragment)
    ([f"VMS-1,A,{OUTSIDE},,security,online,,"], 2, "lon", "outside TP Thanh Hóa"),
    ([",A,{lon},{lat},,security,online,,"], 2, "external_id", "external_id is empty"),
    (["VMS-1,A,{lon},{lat},,security,online,,", "VMS-1,B,{lon},{lat},,security,online,,"], 3, "external_id",
     "duplicate external_id 'VMS-1' (also on row 2)"),
    (["VMS-1,A,{lon},{lat},,security,broken,,"], 2, "status",
     "unknown status 'broken'; accepted: online, offline, maintenance"),
    (["VMS-1,A,{lon},{lat},,ptz,online,,"], 2, "camera_kind", "unknown camera_kind 'ptz'; accepted: security, traffic"),
    (["VMS-1,A,{lon},{lat},,security,online,31/02/2024,"], 2, "installed_on", "date must look like 31/12/2022"),
    (["VMS-1,A,abc,{lat},,security,online,,"], 2, "lon", "not a coordinate: 'abc'"),
    (["VMS-1,A,{lon},,,security,online,,"], 2, "lat", "lat is empty"),
    (["VMS-1,A,{lon},{lat},,security,online,,nobody"], 2, "owner", "unknown owner 'nobody'; accepted: city, socialised"),
]


@pytest.mark.parametrize("rows, row, column, reason", REJECTIONS,
                         ids=["outside", "no-id", "duplicate", "status", "kind", "date", "coordinate", "empty-lat",
                              "owner"])
def test_each_rejection_names_row_column_reason_and_writes_nothing(private_demo, area, tmp_path,
                                                                   rows, row, column, reason):
    lon, lat, _ward = points_in(area, 1)[0]
    good = [f"GOOD-{i},G,{x},{y},,traffic,offline,01/01/2024," for i, (x, y, _w) in enumerate(points_in(area, 3, 9))]
    path = write_csv(tmp_path, [r.format(lon=lon, lat=lat) for r in rows] + good)
    before = snapshot(private_demo)
    report = import_asset_file(path, kind="camera", city=CITY)
    assert [(e.row, e.column) for e in report.errors] == [(row, column)]
    assert reason in report.errors[0].reason
    assert not report.applied and report.created == []
    assert snapshot(private_demo) == before


@pytest.mark.parametrize("kind, header, row, column, reason", [
    ("access_point", "external_id,lon,lat,ap_kind,provider,status", "AP-1,{lon},{lat},wifi6,VNPT,active",
     "ap_kind", "unknown ap_kind 'wifi6'; accepted: free_wifi, public_internet_point"),
    ("access_point", "external_id,lon,lat,ap_kind,provider,status", "AP-1,{lon},{lat},free_wifi,Mobifone,active",
     "provider", "unknown provider 'Mobifone'; accepted: VNPT, Viettel, FPT"),
    ("access_point", "external_id,lon,lat,ap_kind,provider,status", "AP-1,{lon},{lat},free_wifi,VNPT,online?",
     "status", "accepted: active, offline"),
    ("key_location", "Mã,Tên,Kinh độ,Vĩ độ,Loại điểm", "KL-1,Chợ A,{lon},{lat},stadium",
     "Loại điểm", "unknown category 'stadium'; accepted: intersection, school"),
    ("sensor", "external_id,name,lon,lat,sensor_kind,parameters", "S-1,Trạm,{lon},{lat},noise,",
     "sensor_kind", "unknown sensor_kind 'noise'; accepted: air, water"),
    ("sensor", "external_id,name,lon,lat,sensor_kind,parameters", "S-1,Trạm,{lon},{lat},air,pm25;cod",
     "parameters", "cod not measured by a air station; accepted: pm25, pm10"),
    ("camera", "external_id,x,y,camera_kind,status", "C-1,588000,2190000,security,online",
     "x", "x/y coordinates need their CRS"),
    ("camera", "external_id,name,camera_kind,status", "C-1,A,security,online",
     "", "missing coordinates"),
    ("camera", "external_id,lon,lat,status", "C-1,{lon},{lat},online",
     "", "missing column 'camera_kind' / 'Loại camera'"),
])
def test_rejections_of_every_kind(private_demo, area, tmp_path, kind, header, row, column, reason):
    lon, lat, _ward = points_in(area, 1)[0]
    path = write_csv(tmp_path, [row.format(lon=lon, lat=lat)], header=header)
    before = snapshot(private_demo)
    report = import_asset_file(path, kind=kind, city=CITY)
    assert len(report.errors) == 1 and report.errors[0].column == column, report.errors
    assert reason in report.errors[0].reason
    assert snapshot(private_demo) == before


def test_a_feature_that_is_not_a_point_is_rejected(private_demo, area, tmp_path):
    (lon, lat, _w), (lon2, lat2, _w2) = points_in(area, 2)
    frame = gpd.GeoDataFrame({"external_id": ["P-1", "L-1"], "camera_kind": ["security"] * 2, "status": ["online"] * 2},
                             geometry=[shapely.Point(lon, lat), shapely.LineString([(lon, lat), (lon2, lat2)])],
                             crs="EPSG:4326")
    path = tmp_path / "cameras.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    report = import_asset_file(path, kind="camera", city=CITY, dry_run=True)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(2, "geometry", "geometry is a LineString, not a point")]


def test_all_or_nothing_when_the_write_fails(private_demo, area, tmp_path, monkeypatch):
    """A database error in the middle of the write rolls everything back: the file is unchanged."""
    import loaders.assets as assets

    path = write_csv(tmp_path, camera_rows(points_in(area, 5)))
    before = snapshot(private_demo)

    def broken(*_args, **_kwargs):
        raise assets.ImportRejected("disk full")  # raised inside the transaction, after the inserts

    monkeypatch.setattr(assets, "refresh_coverage", broken)
    with pytest.raises(assets.ImportRejected):
        import_asset_file(path, kind="camera", city=CITY)
    assert snapshot(private_demo) == before


# --- positions and wards ------------------------------------------------------------------------

def _zip_shapefile(frame, folder: Path) -> Path:
    folder.mkdir()
    frame.to_file(folder / "cameras.shp", engine="pyogrio", encoding="utf-8")
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in sorted(folder.iterdir()):
            zipped.write(part, arcname=part.name)
    return archive


@pytest.mark.filterwarnings("ignore:Column names longer than 10:UserWarning",
                            "ignore:Normalized/laundered field name:RuntimeWarning")  # cut names are accepted
@pytest.mark.parametrize("file_format, crs, label", [
    ("geopackage", "EPSG:3405", "EPSG:3405"),             # VN-2000 / UTM 48N
    ("geopackage", "EPSG:9209", "EPSG:9209"),             # a provincial TM-3 zone with an EPSG code
    ("shapefile-zip", VN2000_TM3_THANH_HOA, "EPSG:5897"),  # Thanh Hóa's TM-3 zone from a .prj without a code
    ("shapefile-zip", "EPSG:4756", "EPSG:4756"),          # VN-2000 geographic
    ("csv-xy", "EPSG:5897", "EPSG:5897"),                 # x/y columns with --crs
], ids=["gpkg-utm48", "gpkg-tm3-9209", "shp-tm3-prj", "shp-geographic", "csv-xy-tm3"])
def test_vn2000_round_trip_within_a_metre(private_demo, area, tmp_path, file_format, crs, label):
    points = points_in(area, 40)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    ids = [f"VN-{i:03d}" for i in range(len(points))]
    frame = gpd.GeoDataFrame({"external_id": ids, "camera_kind": "security", "status": "online",
                              "installed_on": "2024-03-15"},
                             geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326").to_crs(crs)
    if file_format == "geopackage":
        path = tmp_path / "cameras.gpkg"
        frame.to_file(path, layer="cameras", engine="pyogrio")
        report = import_asset_file(path, kind="camera", city=CITY)
    elif file_format == "shapefile-zip":
        path = _zip_shapefile(frame, tmp_path / "shp")
        report = import_asset_file(path, kind="camera", city=CITY)
    else:
        table = frame.assign(x=frame.geometry.x, y=frame.geometry.y).drop(columns="geometry")
        path = tmp_path / "cameras.csv"
        table.to_csv(path, index=False)
        report = import_asset_file(path, kind="camera", city=CITY, crs=crs)
    assert report.errors == [] and report.applied and len(report.created) == len(points), report.errors
    assert report.crs == label
    rows = stored(ids)
    for external, lon, lat, ward in zip(ids, lons, lats, [p[2] for p in points]):
        _az, _back, metres = GEOD.inv(lon, lat, rows[external]["lon"], rows[external]["lat"])
        assert metres < 1.0, (external, metres)
        assert rows[external]["ward_code"] == ward


def test_ward_from_the_polygon_and_a_disagreeing_code_is_a_warning(private_demo, area, tmp_path):
    (lon, lat, ward), (lon2, lat2, ward2) = points_in(area, 2, seed=3)
    other = next(code for code in area.codes if code not in (ward, ward2))
    path = write_csv(tmp_path, [f"W-1,A,{lon},{lat},,security,online,,", f"W-2,B,{lon2},{lat2},{other},traffic,online,,"])
    report = import_asset_file(path, kind="camera", city=CITY)
    assert report.errors == []
    assert f"row 3: ward_code {other} given, but the point lies in ward {ward2} (stored)" in report.warnings
    rows = stored(["W-1", "W-2"])
    assert (rows["W-1"]["ward_code"], rows["W-2"]["ward_code"]) == (ward, ward2)
    assert report.by_ward == ({ward: 1, ward2: 1} if ward != ward2 else {ward: 2})


def test_a_point_in_the_city_but_in_no_ward_has_no_ward():
    square = shapely.box(105.0, 19.0, 105.1, 19.1)
    area = CityArea("x", "X", ["00001"], [shapely.box(105.0, 19.0, 105.05, 19.1)], square)
    wards, inside = area.locate(np.array([105.02, 105.07, 105.2]), np.array([19.05, 19.05, 19.05]))
    assert wards == ["00001", None, None]
    assert inside.tolist() == [True, True, False]


# --- applying -----------------------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing(private_demo, area, tmp_path):
    points = points_in(area, 7)
    lon, lat, _ward = points[6]
    path = write_csv(tmp_path, camera_rows(points[:6]) + [f"VMS-7,,{lon},{lat},,traffic,bảo trì,,"])
    first = import_asset_file(path, kind="camera", city=CITY)
    assert first.errors == [] and len(first.created) == 7
    ids = [f"VMS-{i}" for i in range(1, 8)]
    rows_before = stored(ids)
    second = import_asset_file(path, kind="camera", city=CITY)
    assert (len(second.created), len(second.updated), second.unchanged, len(second.retired)) == (0, 0, 7, 0)
    assert stored(ids) == rows_before
    assert rows_before["VMS-7"]["status"] == "maintenance"


def test_a_changed_row_is_an_update_with_its_old_values(private_demo, area, tmp_path):
    points = points_in(area, 3)
    import_asset_file(write_csv(tmp_path, camera_rows(points)), kind="camera", city=CITY)
    changed = camera_rows(points)
    changed[1] = changed[1].replace(",online,", ",offline,")
    report = import_asset_file(write_csv(tmp_path, changed), kind="camera", city=CITY, dry_run=True)
    assert [(row.external_id, old["status"]) for row, old in report.updated] == [("VMS-2", "online")]
    assert stored(["VMS-2"])["VMS-2"]["status"] == "online", "a dry run writes nothing"
    import_asset_file(write_csv(tmp_path, changed), kind="camera", city=CITY)
    row = stored(["VMS-2"])["VMS-2"]
    assert row["status"] == "offline" and row["status_at"] is not None


def test_retire_missing_keeps_history_and_stops_counting(private_demo, area, tmp_path):
    from data_access.kpi import compute_kpis
    from data_access.map_layers import camera_points

    points = points_in(area, 4)
    import_asset_file(write_csv(tmp_path, camera_rows(points)), kind="camera", city=CITY)
    year = periods.year(2026)
    counted = compute_kpis.uncached(CITY, year)["camera.security_total"]
    in_service = len(camera_points.uncached(CITY, "security")) + len(camera_points.uncached(CITY, "traffic"))
    report = import_asset_file(write_csv(tmp_path, camera_rows(points[:3])), kind="camera", city=CITY,
                               retire_missing=True)
    assert "VMS-4" in report.retired and len(report.retired) == in_service - 3, "every camera not listed"
    rows = stored(["VMS-4"])
    assert rows["VMS-4"]["retired_at"] is not None, "kept, marked retired"
    drawn = set(camera_points.uncached(CITY, "security")["id"])
    assert rows["VMS-4"]["id"] not in drawn and len(drawn) == 3, "only the three listed cameras are drawn"
    now = compute_kpis.uncached(CITY, year)["camera.security_total"]
    assert now == 3 < counted
    assert compute_kpis.uncached(CITY, periods.year(2022))["camera.security_total"] == 18_000, \
        "a retired camera still counts for the years it was in place"
    again = import_asset_file(write_csv(tmp_path, camera_rows(points)), kind="camera", city=CITY)
    assert [row.external_id for row, _old in again.updated] == ["VMS-4"], "listed again: back in service"


def test_retire_missing_on_a_dry_run_lists_without_writing(private_demo, area, tmp_path):
    before = snapshot(private_demo)
    report = import_asset_file(write_csv(tmp_path, camera_rows(points_in(area, 2))), kind="camera", city=CITY,
                               dry_run=True, retire_missing=True)
    assert len(report.created) == 2 and len(report.retired) > 20_000
    assert snapshot(private_demo) == before


# --- the command line ---------------------------------------------------------------------------

def test_cli_json_is_the_issue_object_and_the_exit_status_says_rejected(private_demo, area, tmp_path):
    (lon, lat, ward), = points_in(area, 1)
    good = write_csv(tmp_path, [f"C-1,A,{lon},{lat},,security,online,01/02/2024,city"], name="good.csv")
    result = cli("import-assets", str(good), "--kind", "camera", "--city", CITY, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kind": "camera", "rows": 1, "accepted": 1, "created": 1, "updated": 0, "unchanged": 0, "retired": 0,
        "warnings": [], "rejected": [], "by_ward": {ward: 1}}
    bad = write_csv(tmp_path, [f"C-1,A,{lon},{lat},,security,online,01/02/2024,city", f"C-2,B,{OUTSIDE},,x,y,,"],
                    name="bad.csv")
    result = cli("import-assets", str(bad), "--kind", "camera", "--city", CITY, "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert (out["accepted"], out["created"], out["unchanged"]) == (1, 0, 0)
    assert [(r["row"], r["column"]) for r in out["rejected"]] == [(3, "lon"), (3, "camera_kind"), (3, "status")], \
        "a row's rejections in the order of the file's columns"


def test_cli_unknown_city_is_one_line(private_demo, tmp_path):
    result = cli("import-assets", str(write_csv(tmp_path, ["C-1,A,105.78,19.80,,security,online,,"])),
                 "--kind", "camera", "--city", "hanoi")
    assert result.exit_code == 1 and "unknown city" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("lang, first", [("vi", "Mã"), ("en", "external_id")])
def test_template_imports_once_filled(private_demo, area, tmp_path, lang, first):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(template("camera", lang)))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[0] == first
    assert ("camera_kind", "security", "an ninh") in [tuple(r) for r in workbook.worksheets[1].iter_rows(values_only=True)]
    (lon, lat, _ward), = points_in(area, 1)
    values = {"external_id": "T-1", "name": "Cổng trường", "lon": lon, "lat": lat, "ward_code": None,
              "camera_kind": "an ninh" if lang == "vi" else "traffic", "status": "Mất kết nối",
              "installed_on": "05/06/2023", "owner": "Xã hội hóa", "status_at": "2026-11-20T08:00:00+07:00"}
    sheet.append(list(values.values()))
    path = tmp_path / f"mau_{lang}.xlsx"
    workbook.save(path)
    report = import_asset_file(path, kind="camera", city=CITY)
    assert report.errors == [], report.errors
    row = stored(["T-1"])["T-1"]
    assert (row["status"], row["owner"], str(row["installed_on"])) == ("offline", "socialised", "2023-06-05")
    assert row["status_at"].isoformat() == "2026-11-20T01:00:00+00:00"


def test_template_command_writes_the_file(tmp_path):
    out = tmp_path / "mau.csv"
    result = cli("asset-template", "--kind", "access_point", "--lang", "vi", str(out))
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == \
        "Mã,Tên,Kinh độ,Vĩ độ,Mã phường/xã,Loại điểm truy cập,Nhà mạng,Trạng thái,Ngày lắp đặt,Thời điểm trạng thái"


# --- the other kinds, the live feed, the readers ------------------------------------------------

def test_access_points_key_locations_and_sensors(private_demo, area, tmp_path):
    (a, b, _), (c, d, _), (e, f, _) = points_in(area, 3, seed=11)
    aps = write_csv(tmp_path, [f"AP-1,Wifi chợ,{a},{b},Wifi miễn phí,viettel,hoạt động,"],
                    header="Mã,Tên,Kinh độ,Vĩ độ,Loại điểm truy cập,Nhà mạng,Trạng thái,Ngày lắp đặt", name="ap.csv")
    kls = write_csv(tmp_path, [f"KL-1,Nút giao A,{c},{d},Nút giao"], header="Mã,Tên,Kinh độ,Vĩ độ,Loại điểm",
                    name="kl.csv")
    sensors = write_csv(tmp_path, [f"S-1,Trạm A,{e},{f},nước,pH; DO"],
                        header="Mã,Tên,Kinh độ,Vĩ độ,Loại trạm,Thông số", name="s.csv")
    for path, kind in ((aps, "access_point"), (kls, "key_location"), (sensors, "sensor")):
        report = import_asset_file(path, kind=kind, city=CITY)
        assert report.errors == [] and len(report.created) == 1, (kind, report.errors)
    assert stored(["AP-1"], m.AccessPoint)["AP-1"]["kind"] == "free_wifi"
    assert stored(["AP-1"], m.AccessPoint)["AP-1"]["provider"] == "Viettel"
    assert stored(["KL-1"], m.KeyLocation)["KL-1"]["category"] == "intersection"
    assert stored(["S-1"], m.Sensor)["S-1"]["parameters"] == "ph,do"


def test_live_feed_is_keyed_by_external_id_and_refuses_retired(private_demo, area, tmp_path):
    from datetime import datetime, timezone

    from data_access.db import get_engine
    from loaders.live_feed import IngestWriter, Registry, parse_message
    from loaders.topics import Rejected

    points = points_in(area, 2)
    import_asset_file(write_csv(tmp_path, camera_rows(points)), kind="camera", city=CITY)
    import_asset_file(write_csv(tmp_path, camera_rows(points[:1])), kind="camera", city=CITY, retire_missing=True)
    engine = get_engine("ioc", writable=True)
    registry = Registry.load(engine)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    body = json.dumps({"status": "offline", "at": now.isoformat()}).encode()
    message = parse_message("ioc/thanh-hoa/cameras/VMS-1/status", body, registry, now)
    assert message.camera_id == stored(["VMS-1"])["VMS-1"]["id"] != "VMS-1", "written under the internal id"
    for camera in ("VMS-2", "380-S000001", "nobody"):  # retired (imported), retired (demo), unknown
        with pytest.raises(Rejected) as caught:
            parse_message(f"ioc/thanh-hoa/cameras/{camera}/status", body, registry, now)
        assert caught.value.reason == "unknown_camera"
    writer = IngestWriter(engine, registry)
    assert writer.accept("ioc/thanh-hoa/cameras/VMS-1/status", body, now)
    assert not writer.accept("ioc/thanh-hoa/cameras/VMS-2/status", body, now)
    writer.flush(writer._pending, writer._rejected)
    assert writer.totals["accepted.camera_status"] == 1 and writer.totals["rejected.unknown_camera"] == 1
    assert stored(["VMS-1"])["VMS-1"]["status"] == "offline"


def test_two_cities_may_use_the_same_external_id():
    from datetime import datetime, timezone

    from loaders.live_feed import CityAssets, Registry, parse_message

    registry = Registry(bounds={"a": (0, 0, 1, 1), "b": (0, 0, 1, 1)})
    registry.by_city = {"a": CityAssets({}, {"CAM-1": "a"}, {}, registry.bounds, camera_ids={"CAM-1": "A-C1"}),
                        "b": CityAssets({}, {"CAM-1": "b"}, {}, registry.bounds, camera_ids={"CAM-1": "B-C1"})}
    now = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
    body = json.dumps({"status": "online", "at": now.isoformat()}).encode()
    assert parse_message("ioc/a/cameras/CAM-1/status", body, registry, now).camera_id == "A-C1"
    assert parse_message("ioc/b/cameras/CAM-1/status", body, registry, now).camera_id == "B-C1"


def test_map_and_kpis_show_imported_assets_and_not_retired_ones(private_demo, area, tmp_path):
    from data_access.kpi import compute_kpis
    from data_access.map_layers import access_point_points, camera_points

    ap_rows = [f"AP-{i},Điểm {i},{lon},{lat},free_wifi,VNPT,active,01/01/2026"
               for i, (lon, lat, _w) in enumerate(points_in(area, 5), start=1)]
    path = write_csv(tmp_path, ap_rows, header="external_id,name,lon,lat,ap_kind,provider,status,installed_on")
    report = import_asset_file(path, kind="access_point", city=CITY, retire_missing=True)
    assert len(report.created) == 5 and len(report.retired) == 3342
    drawn = access_point_points.uncached(CITY)
    assert len(drawn) == 5 and set(drawn["kind"]) == {"free_wifi"}
    values = compute_kpis.uncached(CITY, periods.year(2026))
    assert (values["wifi.access_points"], values["wifi.free_stations"]) == (5, 5)
    assert compute_kpis.uncached(CITY, periods.year(2022))["wifi.access_points"] == 2971
    assert len(camera_points.uncached(CITY, "security")) == 20_711, "other kinds untouched"
    from data_access.db import get_engine

    with get_engine("ioc").connect() as connection:
        audited = connection.execute(text("SELECT detail FROM audit_event WHERE action = 'asset_import' "
                                          "ORDER BY id DESC")).scalars().first()
    assert "created=5" in audited and "retired=3342" in audited
