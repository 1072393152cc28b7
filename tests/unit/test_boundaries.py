"""Boundary import: formats and VN-2000 CRSs give the same areas, files that cannot be
placed are refused, swapped axes and bow-ties are handled, names match without diacritics
or prefixes, unsafe archives are refused before extraction, a dry run changes nothing,
and applied boundaries replace the schematic ones on every map."""
from __future__ import annotations

import json
import sqlite3
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely import affinity
from shapely.geometry import mapping, shape

from geo.boundaries import BoundaryImportError, equal_area_km2
from geo.names import name_key, normalise_code
from loaders.boundaries import import_boundary_file

CITY = "thanh-hoa"
CITY_AREA_KM2 = 146.85  # TP Thanh Hóa, GSO 380
# Thanh Hóa's VN-2000 3° zone (central meridian 105°00′) as land-office .prj files write it: no
# authority code, ESRI names, the VN-2000 → WGS84 shift; recognised as EPSG:5897 (TM-3 zone 482).
VN2000_TM3_THANH_HOA = (
    'PROJCS["VN_2000_TM3_Thanh_Hoa_105",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563],TOWGS84[-191.90441429,-39.30318279,-111.45032835,'
    '-0.00928836,0.01975479,-0.00427372,0.252906278]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],'
    'UNIT["Meter",1.0]]')


@pytest.fixture
def districts_file(shared_data) -> Path:
    return shared_data / "thanh_hoa_province_districts.geojson"


@pytest.fixture
def ioc_copy(demo_urls, tmp_path):
    """A private copy of the demo IOC database, so applying boundaries leaves the session's intact."""
    from tests.conftest import copy_sqlite, use_databases

    target = tmp_path / "ioc.db"
    copy_sqlite(Path(demo_urls[0].removeprefix("sqlite:///")), target)
    use_databases(f"sqlite:///{target}", demo_urls[1])
    yield target
    use_databases(*demo_urls)


def _snapshot(db_file: Path) -> dict[str, list]:
    with sqlite3.connect(db_file) as connection:
        return {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("city", "ward", "unit_boundary", "audit_event")}


def _areas(report) -> dict[str, float]:
    return {feature["gso_code"]: feature["area_km2"] for feature in report.features}


def _write_geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry} for props, geometry in features]}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def _zip_shapefile(frame, folder: Path, name: str = "districts", keep_prj: bool = True) -> Path:
    shp_dir = folder / f"{name}-shp"
    shp_dir.mkdir()
    frame.to_file(shp_dir / f"{name}.shp", engine="pyogrio", encoding="utf-8")
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for part in sorted(shp_dir.iterdir()):
            if keep_prj or part.suffix != ".prj":
                zipped.write(part, arcname=part.name)
    return archive


# --- the official district file ---------------------------------------------------------------

def test_all_28_units_matched_by_gso_code(ioc_copy, districts_file):
    report = import_boundary_file(districts_file, dry_run=True)
    file_codes = set(gpd.read_file(districts_file)["gso_code"])
    assert len(file_codes) == 28
    assert {f["gso_code"] for f in report.features} == file_codes
    assert all(f["matched"] for f in report.features) and report.unmatched == []
    assert not any("by name" in message for message in report.messages), report.messages
    assert report.crs == "EPSG:4326" and report.applied is False
    assert {f["level"] for f in report.features} == {"province", "district"}
    assert _areas(report)["380"] == pytest.approx(CITY_AREA_KM2, rel=0.01)


def test_equal_area_agrees_with_the_geodesic_area(districts_file):
    from geo.schematic import area_km2 as geodesic_km2

    city = gpd.read_file(districts_file).set_index("gso_code").geometry["380"]
    assert equal_area_km2([city])[0] == pytest.approx(geodesic_km2(city), rel=1e-4)


@pytest.mark.parametrize("file_format", ["shapefile-zip", "geopackage"])
@pytest.mark.parametrize("crs, label", [
    ("EPSG:3405", "EPSG:3405"),      # VN-2000 / UTM zone 48N
    ("EPSG:4756", "EPSG:4756"),      # VN-2000 geographic
    ("EPSG:9209", "EPSG:9209"),      # VN-2000 / TM-3 105-30 (a provincial zone with an EPSG code)
    (VN2000_TM3_THANH_HOA, "EPSG:5897"),  # Thanh Hóa's zone, from a .prj without a code
])
def test_vn2000_files_give_the_same_areas(ioc_copy, districts_file, tmp_path, file_format, crs, label):
    reference = _areas(import_boundary_file(districts_file, dry_run=True))
    frame = gpd.read_file(districts_file).to_crs(crs)
    if file_format == "shapefile-zip":
        path = _zip_shapefile(frame, tmp_path)
    else:
        path = tmp_path / "districts.gpkg"
        frame.to_file(path, layer="districts", engine="pyogrio")
    report = import_boundary_file(path, dry_run=True)
    assert report.crs == label
    assert report.unmatched == [] and len(report.features) == 28
    converted = _areas(report)
    for code, area in reference.items():
        assert converted[code] == pytest.approx(area, rel=0.005), code
    assert converted["380"] == pytest.approx(CITY_AREA_KM2, rel=0.01)


# --- files that cannot be placed --------------------------------------------------------------

@pytest.mark.parametrize("file_format", ["shapefile-without-prj", "geojson-without-crs"])
def test_projected_file_without_crs_is_refused(ioc_copy, districts_file, tmp_path, file_format):
    frame = gpd.read_file(districts_file).to_crs("EPSG:3405")
    if file_format == "shapefile-without-prj":
        path = _zip_shapefile(frame, tmp_path, keep_prj=False)
    else:
        path = _write_geojson(tmp_path / "metres.geojson",
                              [(row.drop("geometry").to_dict(), mapping(row.geometry)) for _i, row in frame.iterrows()])
    before = _snapshot(ioc_copy)
    with pytest.raises(BoundaryImportError) as refused:
        import_boundary_file(path)
    message = str(refused.value)
    assert "no coordinate reference system (CRS)" in message
    assert "not longitude/latitude" in message and "EPSG:3405" in message
    assert _snapshot(ioc_copy) == before


def test_file_placed_outside_vietnam_is_refused(ioc_copy, districts_file, tmp_path):
    frame = gpd.read_file(districts_file).to_crs("EPSG:3405").set_crs("EPSG:32633", allow_override=True)
    path = tmp_path / "wrong-zone.gpkg"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(BoundaryImportError, match="does not lie in Vietnam"):
        import_boundary_file(path, dry_run=True)


@pytest.mark.parametrize("declared_crs", [None, "urn:ogc:def:crs:OGC:1.3:CRS84"])
def test_swapped_longitude_latitude_is_caught(ioc_copy, districts_file, tmp_path, declared_crs):
    frame = gpd.read_file(districts_file)
    swapped = [(row.drop("geometry").to_dict(), mapping(shapely.transform(row.geometry, lambda c: c[:, ::-1])))
               for _i, row in frame.iterrows()]
    report = import_boundary_file(_write_geojson(tmp_path / "swapped.geojson", swapped, declared_crs), dry_run=True)
    assert any("latitude/longitude" in message and "swapped" in message for message in report.messages)
    assert report.unmatched == []
    assert _areas(report)["380"] == pytest.approx(CITY_AREA_KM2, rel=0.01)


def test_bow_tie_is_repaired(ioc_copy, tmp_path):
    square = [(105.77, 19.85), (105.78, 19.85), (105.78, 19.86), (105.77, 19.86)]
    bow_tie = {"type": "Polygon", "coordinates": [[square[0], square[2], square[1], square[3], square[0]]]}
    assert not shape(bow_tie).is_valid
    path = _write_geojson(tmp_path / "bowtie.geojson", [({"gso_code": "14755", "name": "Phường Hàm Rồng"}, bow_tie)])
    report = import_boundary_file(path, dry_run=True)
    assert any(message.startswith("Repaired 1 invalid geometry") and "Self-intersection" in message
               for message in report.messages), report.messages
    [feature] = report.features
    assert feature["matched"] and feature["level"] == "ward"
    # make_valid keeps both triangles: half the square
    assert feature["area_km2"] == pytest.approx(equal_area_km2([shapely.Polygon(square)])[0] / 2, rel=0.01)


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, official", [
    ("P. Hàm Rồng", "Phường Hàm Rồng"),
    ("P.Hàm Rồng", "Phường Hàm Rồng"),
    ("phuong ham rong", "Phường Hàm Rồng"),
    ("PHƯỜNG HÀM RỒNG", "Phường Hàm Rồng"),
    ("Hàm Rồng", "Phường Hàm Rồng"),
    ("TP Thanh Hóa", "Thành phố Thanh Hóa"),
    ("TP. Thanh Hoá", "Thành phố Thanh Hóa"),
    ("Tp.Thanh Hóa", "Thành phố Thanh Hóa"),
    ("TX Nghi Sơn", "Thị xã Nghi Sơn"),
    ("H. Đông Sơn", "Huyện Đông Sơn"),
    ("X. Đông Lĩnh", "Xã Đông Lĩnh"),
    ("Thị trấn Rừng Thông", "TT Rừng Thông"),
    ("Phường 01", "Phường 1"),
    ("Phường Đông  Vệ", "Phường Đông Vệ"),
    ("Quảng Thành", "Phường Quảng Thành"),
])
def test_names_that_match(written, official):
    assert name_key(written) == name_key(official)


@pytest.mark.parametrize("written, official", [
    ("Phường Đông Thọ", "Phường Đông Vệ"),
    ("Phường 1", "Phường 11"),
    ("Quảng Thắng", "Phường Quảng Thành"),
])
def test_names_that_do_not_match(written, official):
    assert name_key(written) != name_key(official)


def test_bare_name_beginning_with_a_prefix_word_still_matches(ioc_copy, districts_file, tmp_path):
    """"Quan Sơn" is a district's own name, not "Quận Sơn"."""
    frame = gpd.read_file(districts_file).set_index("gso_code")
    path = _write_geojson(tmp_path / "named.geojson", [({"ten": "Quan Sơn"}, mapping(frame.geometry["387"]))])
    report = import_boundary_file(path, level="district", dry_run=True)
    assert [(f["gso_code"], f["matched"]) for f in report.features] == [("387", True)]


@pytest.mark.parametrize("value, level, code", [
    (380, None, "380"), (380.0, "district", "380"), ("  14755 ", "ward", "14755"), ("1", "province", "01"),
    ("abc", None, None), (None, None, None), (float("nan"), None, None),
])
def test_normalise_code(value, level, code):
    assert normalise_code(value, level) == code


def _ward_file(tmp_path, gso_codes: list[str], names: dict[str, str] | None = None,
               extra: list[tuple[dict, dict]] = ()) -> Path:
    """Ward boundaries made from the demo's polygons shrunk by 10% (so areas visibly change)."""
    from data_access.places import find_ward

    features = []
    for code in gso_codes:
        ward = find_ward(code)
        polygon = affinity.scale(shape(json.loads(ward["geometry_geojson"])), 0.9, 0.9)
        properties = {"ten": names[code]} if names and code in names else {"gso_code": code, "name": ward["name"]}
        features.append((properties, mapping(polygon)))
    return _write_geojson(tmp_path / "wards.geojson", features + list(extra))


def test_wards_matched_by_name_and_unmatched_listed(ioc_copy, tmp_path):
    names = {"14755": "P. Hàm Rồng", "14758": "phuong dong tho"}
    nowhere = ({"ten": "Phường Không Có"}, mapping(shapely.box(105.70, 19.70, 105.71, 19.71)))
    report = import_boundary_file(_ward_file(tmp_path, list(names), names, [nowhere]), city=CITY, dry_run=True)
    assert report.level == "ward"
    matched = {f["gso_code"]: f["name"] for f in report.features if f["matched"]}
    assert matched == {"14755": "Phường Hàm Rồng", "14758": "Phường Đông Thọ"}
    assert report.unmatched == ["Phường Không Có"]


# --- safety -----------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", ["../evil.shp", "/tmp/evil.shp", "shapes/../../evil.shp", "..\\evil.shp",
                                   "C:/evil.shp"])
def test_zip_slip_entry_refused(ioc_copy, tmp_path, entry):
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ok.txt", "fine")
        zipped.writestr(zipfile.ZipInfo(entry), b"not a shapefile")
    with pytest.raises(BoundaryImportError, match="refused: entry"):
        import_boundary_file(archive, dry_run=True)
    assert not (tmp_path.parent / "evil.shp").exists() and not Path("/tmp/evil.shp").exists()


@pytest.fixture
def no_extraction(monkeypatch):
    """Any attempt to read an archive member fails the test: refusals must come before extraction."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("an archive member was opened")
    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)


def test_zip_bomb_refused_before_extraction(ioc_copy, tmp_path, request):
    bomb = tmp_path / "bomb.zip"
    block = bytes(1 << 20)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zipped:
        with zipped.open("wards.geojson", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(block)
    assert bomb.stat().st_size < 1024 * 1024
    assert zipfile.ZipFile(bomb).getinfo("wards.geojson").file_size == 300 * (1 << 20)
    request.getfixturevalue("no_extraction")
    with pytest.raises(BoundaryImportError, match="zip bomb"):
        import_boundary_file(bomb, dry_run=True)


def test_many_small_members_over_the_total_refused(ioc_copy, tmp_path, monkeypatch, request):
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")  # archives may then inflate to 10 MB
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for index in range(12):
            zipped.writestr(f"part{index}.geojson", bytes(1 << 20))
    request.getfixturevalue("no_extraction")
    with pytest.raises(BoundaryImportError, match=r"zip bomb: it would inflate to 12 MB \(limit 10 MB\)"):
        import_boundary_file(archive, dry_run=True)


def test_oversized_file_refused(ioc_copy, districts_file, tmp_path, monkeypatch):
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    big = tmp_path / "big.geojson"
    big.write_bytes(districts_file.read_bytes() + b" " * (1024 * 1024))
    before = _snapshot(ioc_copy)
    with pytest.raises(BoundaryImportError, match=r"big.geojson is 1.6 MB; the limit is 1 MB \(MAX_UPLOAD_MB\)"):
        import_boundary_file(big)
    assert _snapshot(ioc_copy) == before


@pytest.mark.parametrize("name, content, message", [
    ("wards.csv", b"a,b\n", "unsupported file type .csv"),
    ("broken.geojson", b"{not json", "cannot be read"),
    ("vrt.geojson", b"<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>/etc/passwd</SrcDataSource>"
                    b"</OGRVRTLayer></OGRVRTDataSource>", "content does not match its extension"),
    ("fake.gpkg", b"{}", "is not a GPKG file"),
    ("points.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "Point", "coordinates": [105.78, 19.8]}}]}).encode(), "contains no polygons"),
    ("empty.zip", None, "contains no .shp, .gpkg or .geojson"),
])
def test_unreadable_files_refused(ioc_copy, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as zipped:
            zipped.writestr("readme.txt", "nothing here")
    else:
        path.write_bytes(content)
    with pytest.raises(BoundaryImportError, match=message):
        import_boundary_file(path, dry_run=True)


def test_unknown_city_refused(ioc_copy, districts_file):
    with pytest.raises(BoundaryImportError, match="Unknown city 'hanoi'"):
        import_boundary_file(districts_file, city="hanoi", dry_run=True)


# --- applying -----------------------------------------------------------------------------------

def test_dry_run_changes_nothing(ioc_copy, districts_file, tmp_path):
    before = _snapshot(ioc_copy)
    report = import_boundary_file(districts_file, dry_run=True)
    ward_report = import_boundary_file(_ward_file(tmp_path, ["14755", "14758"]), dry_run=True)
    assert report.applied is False and ward_report.applied is False
    assert all(f["matched"] for f in ward_report.features)
    assert _snapshot(ioc_copy) == before


def test_district_file_replaces_the_city_outline(ioc_copy, districts_file):
    from data_access.places import get_city

    assert get_city(CITY)["boundaries_schematic"]
    report = import_boundary_file(districts_file, actor="t-admin")
    assert report.applied
    city = get_city(CITY)
    assert not city["boundaries_schematic"]
    assert city["area_km2"] == pytest.approx(CITY_AREA_KM2, rel=0.01)
    with sqlite3.connect(ioc_copy) as connection:
        rows = connection.execute("SELECT gso_code, level, original_geojson, display_geojson, source_crs, "
                                  "imported_by FROM unit_boundary").fetchall()
        outline = connection.execute("SELECT outline_geojson FROM city WHERE slug = ?", (CITY,)).fetchone()[0]
        audit = connection.execute("SELECT actor, detail FROM audit_event WHERE action = 'import_boundaries'").fetchall()
    assert len(rows) == 28 and {level for _c, level, *_ in rows} == {"province", "district"}
    original, display = next((json.loads(o), json.loads(d)) for code, _l, o, d, *_ in rows if code == "380")
    assert json.loads(outline) == display
    assert len(shapely.get_coordinates(shape(display))) < len(shapely.get_coordinates(shape(original)))
    assert shape(display).is_valid
    assert shape(display).symmetric_difference(shape(original)).area / shape(original).area < 0.01
    assert {crs for *_, crs, _by in rows} == {"EPSG:4326"} and {by for *_, by in rows} == {"t-admin"}
    assert audit and audit[0][0] == "t-admin" and "28 stored" in audit[0][1]


def test_ward_file_lifts_the_schematic_label_on_every_map(ioc_copy, tmp_path):
    import app  # noqa: F401  (registers the pages)
    from data_access.map_layers import ward_metrics
    from data_access.places import has_schematic_wards, wards_frame, wards_geojson

    overview, map_page = sys.modules["pages.overview"], sys.modules["pages.map"]

    def labels() -> tuple[bool, bool]:
        note = overview.render_overview(CITY, "vi", "light")[3]
        schematic_note = map_page.city_map(CITY, "vi")[0]["wards"]["schematic"]
        return note[1] is not None, schematic_note

    codes = list(wards_frame(CITY)["gso_code"])
    assert labels() == (True, True)
    some = codes[:3]
    report = import_boundary_file(_ward_file(tmp_path, some), city=CITY)
    assert report.applied and report.unmatched == []
    frame = wards_frame(CITY).set_index("gso_code")
    assert not frame.loc[some, "is_schematic"].any() and frame.drop(index=some)["is_schematic"].all()
    schematic = {f["id"]: f["properties"]["schematic"] for f in wards_geojson(CITY)["features"]}
    assert [schematic[code] for code in some] == [False] * 3
    areas = _areas(report)
    metrics = ward_metrics(CITY).set_index("gso_code")
    for code in some:
        assert frame.loc[code, "area_km2"] == pytest.approx(areas[code], abs=5e-4)
        assert metrics.loc[code, "area_km2"] == pytest.approx(areas[code], abs=5e-4)
    assert has_schematic_wards(CITY) and labels() == (True, True)

    import_boundary_file(_ward_file(tmp_path, codes), city=CITY)
    assert not has_schematic_wards(CITY)
    assert labels() == (False, False)


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_json(ioc_copy, districts_file):
    from click.testing import CliRunner

    from manage import cli

    before = _snapshot(ioc_copy)
    result = CliRunner().invoke(cli, ["import-boundaries", str(districts_file), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    features = json.loads(result.stdout)
    assert len(features) == 28
    assert all(set(f) == {"gso_code", "name", "level", "matched", "area_km2"} for f in features)
    by_code = {f["gso_code"]: f for f in features}
    assert by_code["380"]["name"] == "Thành phố Thanh Hóa" and by_code["380"]["level"] == "district"
    assert by_code["38"]["level"] == "province" and all(f["matched"] for f in features)
    assert by_code["380"]["area_km2"] == pytest.approx(CITY_AREA_KM2, rel=0.01)
    assert _snapshot(ioc_copy) == before

    result = CliRunner().invoke(cli, ["import-boundaries", str(districts_file), "--level", "province", "--json"])
    assert result.exit_code == 0, result.output
    assert [f["gso_code"] for f in json.loads(result.stdout)] == ["38"]
    assert "Skipped 27 district-level feature(s)" in result.stderr


def test_cli_table_and_error(ioc_copy, districts_file, tmp_path):
    from click.testing import CliRunner

    from manage import cli

    result = CliRunner().invoke(cli, ["import-boundaries", str(districts_file), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "CRS EPSG:4326 → WGS84" in result.output and "28 of 28 matched" in result.output
    assert "Thành phố Thanh Hóa" in result.output and "dry run, nothing changed" in result.output

    metres = _write_geojson(tmp_path / "metres.geojson", [({"name": "x"}, mapping(shapely.box(588000, 2190000,
                                                                                              589000, 2191000)))])
    result = CliRunner().invoke(cli, ["import-boundaries", str(metres)])
    assert result.exit_code == 1
    assert "no coordinate reference system (CRS)" in result.output and "Traceback" not in result.output
