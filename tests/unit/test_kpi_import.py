"""KPI import: every row-level error names its row, column and reason and leaves the KPI
database byte-for-byte unchanged; a clean file applies, re-importing it changes nothing,
a dry run changes nothing; Vietnamese numbers, periods and dates; XLSX safety; the CLI."""
from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from data_access.kpi_import import import_observations, template
from data_access.sheets import FileRejected, parse_date, parse_number, parse_period

CITY = "thanh-hoa"
WARD = "14755"
HEADER_VI = "Mã chỉ tiêu,Kỳ,Mã phường/xã,Giá trị,Nguồn,Ngày số liệu"
GOOD_ROW = 'internet.household_rate,2019,,"88,5",Báo cáo UBND 2019,31/03/2020'


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def dump(url: str) -> str:
    """Digest of the database file's bytes (and proof that no journal was left behind):
    equal digests = byte-for-byte the same database."""
    path = sqlite_path(url)
    assert not Path(f"{path}-journal").exists() and not Path(f"{path}-wal").exists()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_databases(demo_urls, folder: Path) -> tuple[str, str]:
    from tests.conftest import use_databases

    copies = []
    for url, name in zip(demo_urls, ("ioc.db", "kpi.db")):
        shutil.copyfile(sqlite_path(url), folder / name)
        copies.append(f"sqlite:///{folder / name}")
    use_databases(*copies)
    return tuple(copies)


@pytest.fixture
def scratch_db(demo_urls, tmp_path):
    """Copies of the session's demo databases, used for this test only."""
    from tests.conftest import use_databases

    yield copy_databases(demo_urls, tmp_path)
    use_databases(*demo_urls)


@pytest.fixture(scope="module")
def unchanging_db(demo_urls, tmp_path_factory):
    """One copy for the tests that must not change it (each checks that it did not)."""
    from tests.conftest import use_databases

    copies = copy_databases(demo_urls, tmp_path_factory.mktemp("unchanging"))
    yield copies
    use_databases(*demo_urls)


@pytest.fixture
def same_db(unchanging_db):
    from tests.conftest import use_databases

    use_databases(*unchanging_db)
    return unchanging_db


def csv_file(*rows: str, header: str = HEADER_VI) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def stored(indicator: str, period: str, ward: str | None = None):
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect

    o = m.Observation
    ward_match = o.ward_code.is_(None) if ward is None else o.ward_code == ward
    with connect("kpi") as connection:
        return connection.execute(select(o.value, o.source, o.as_of, o.period_start, o.period_end).where(
            o.city_slug == CITY, o.indicator_code == indicator, o.period == period, ward_match)).first()


@pytest.mark.parametrize("bad_row, column, reason", [
    ('khong.co.chi.tieu,2023,,"50",,', "Mã chỉ tiêu", "unknown indicator"),
    ('camera.security_total,2023,,"50",,', "Mã chỉ tiêu", "computed from the raw records"),
    (',2023,,"50",,', "Mã chỉ tiêu", "indicator code is empty"),
    ('gov.email_account_rate,2022-13,,"50",,', "Kỳ", "month must be 01-12"),
    ('gov.email_account_rate,Quý 5/2022,,"50",,', "Kỳ", "period must look like"),
    ('gov.email_account_rate,2021..2023,,"50",,', "Kỳ", "not a range"),
    ('gov.email_account_rate,2023,,nhiều,,', "Giá trị", "not a number"),
    ('gov.email_account_rate,2023,,"1.2.3",,', "Giá trị", "not a number"),
    ('gov.email_account_rate,2023,,"100,5",,', "Giá trị", "outside 0–100"),
    ('gov.email_account_rate,2023,,-1,,', "Giá trị", "outside 0–100"),
    ('infra.fibre_km,2023,,-3,,', "Giá trị", "negative"),
    ('gov.email_account_rate,2023,99999,"50",,', "Mã phường/xã", "unknown ward code"),
    ('gov.email_account_rate,2023,P.14,"50",,', "Mã phường/xã", "must be digits"),
    ('gov.email_account_rate,2023,,=1+1,,', "Giá trị", "formula"),
    ('gov.email_account_rate,2023,,"50",,31/02/2024', "Ngày số liệu", "dd/mm/yyyy"),
    ('internet.household_rate,2019,,"70",,', "Mã chỉ tiêu", "duplicate of row 2"),
])
def test_row_error_is_reported_and_changes_nothing(same_db, bad_row, column, reason):
    before = dump(same_db[1])
    report = import_observations(csv_file(GOOD_ROW, bad_row), "bad.csv", city=CITY)
    assert not report.applied
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert reason in report.errors[0].reason
    assert dump(same_db[1]) == before


def test_missing_and_unknown_columns_are_reported(same_db):
    before = dump(same_db[1])
    report = import_observations(csv_file("x,2023", header="Mã chỉ tiêu,Cột lạ"), "cols.csv", city=CITY)
    reasons = [e.reason for e in report.errors]
    assert "unknown column 'Cột lạ'" in reasons
    assert any("missing column 'Kỳ'" in r for r in reasons)
    assert any("missing column 'Giá trị'" in r for r in reasons)
    assert {e.row for e in report.errors} == {1}
    assert dump(same_db[1]) == before


def test_clean_file_applies_then_reimport_changes_nothing(scratch_db):
    from data_access.kpi import compute_kpis
    from data_access.periods import parse
    from data_access.users import recent_audit

    content = csv_file(GOOD_ROW, "infra.fibre_km,2019,,2.971,,", f'gov.email_account_rate,Quý 2/2023,{WARD},"99,13",,',
                       'citizens.e_account_rate,07/2023,,"12,5",,')
    first = import_observations(content, "good.csv", city=CITY, actor="tester")
    assert first.errors == [] and first.applied
    assert first.counts == {"insert": 4, "update": 0, "unchanged": 0}
    value, source, as_of, start, end = stored("internet.household_rate", "2019")
    assert (value, source, as_of) == (88.5, "Báo cáo UBND 2019", datetime(2020, 3, 31))
    assert (start.isoformat(), end.isoformat()) == ("2019-01-01", "2019-12-31")
    assert stored("infra.fibre_km", "2019")[0] == 2971
    assert stored("gov.email_account_rate", "2023-Q2", WARD)[0] == 99.13
    assert stored("citizens.e_account_rate", "2023-07")[0] == 12.5
    assert compute_kpis(CITY, parse("2019"))["infra.fibre_km"] == 2971
    event = recent_audit(1)[0]
    assert (event["actor"], event["action"]) == ("tester", "kpi_import")
    after_first = dump(scratch_db[1])
    second = import_observations(content, "good.csv", city=CITY)
    assert second.counts == {"insert": 0, "update": 0, "unchanged": 4}
    assert dump(scratch_db[1]) == after_first


def test_dry_run_shows_updates_and_changes_nothing(scratch_db):
    import_observations(csv_file(GOOD_ROW), "good.csv", city=CITY)
    before = dump(scratch_db[1])
    changed = csv_file(GOOD_ROW.replace('"88,5"', '"90,25"'), "infra.fibre_km,2019,,15,,")
    report = import_observations(changed, "changed.csv", city=CITY, dry_run=True)
    assert report.counts == {"insert": 1, "update": 1, "unchanged": 0}
    update = next(c for c in report.changes if c.kind == "update")
    assert (update.old_value, update.row.value) == (88.5, 90.25)
    assert not report.applied
    assert dump(scratch_db[1]) == before


def test_existing_demo_observation_is_updated_in_place(scratch_db):
    from data_access.kpi import compute_kpis
    from data_access.periods import year

    old = compute_kpis.uncached(CITY, year(2022))["infra.fibre_km"]
    assert old is not None
    report = import_observations(csv_file(f"infra.fibre_km,2022,,{old + 1:.0f},Sở TT&TT,"), "f.csv", city=CITY)
    assert report.counts == {"insert": 0, "update": 1, "unchanged": 0}
    assert compute_kpis.uncached(CITY, year(2022))["infra.fibre_km"] == round(old + 1)


def xlsx_bytes(rows: list[list], title: str = "data") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_english_headers(scratch_db):
    content = xlsx_bytes([["indicator_code", "period", "ward_code", "value", "source", "as_of"],
                          ["internet.business_rate", 2019, None, 64.5, "Report", datetime(2020, 3, 31)],
                          ["infra.fibre_km", "2023-Q4", float(WARD), "1.250", None, "15/01/2024"],
                          [None, None, None, None, None, None]])
    report = import_observations(content, "en.xlsx", city=CITY)
    assert report.errors == []
    assert report.counts["insert"] == 2
    assert stored("internet.business_rate", "2019")[0] == 64.5
    assert stored("infra.fibre_km", "2023-Q4", WARD)[0] == 1250


def test_xlsx_formula_cell_is_refused(same_db):
    before = dump(same_db[1])
    content = xlsx_bytes([["indicator_code", "period", "value"], ["infra.fibre_km", 2023, "=10*2"]])
    report = import_observations(content, "formula.xlsx", city=CITY)
    assert [(e.row, e.column) for e in report.errors] == [(2, "value")]
    assert "formula" in report.errors[0].reason
    assert dump(same_db[1]) == before


def test_template_round_trip_in_both_languages(same_db):
    from openpyxl import load_workbook

    for lang, first in (("vi", "Mã chỉ tiêu"), ("en", "indicator_code")):
        workbook = load_workbook(io.BytesIO(template(lang)))
        data, catalog = workbook.worksheets
        header = [c.value for c in next(data.iter_rows(max_row=1))]
        assert header[0] == first
        codes = {row[0].value for row in catalog.iter_rows(min_row=2)}
        assert "infra.fibre_km" in codes and "camera.security_total" not in codes
        data.append(["infra.fibre_km", None, "2023", None, 10, None, None])
        buffer = io.BytesIO()
        workbook.save(buffer)
        report = import_observations(buffer.getvalue(), f"template-{lang}.xlsx", city=CITY, dry_run=True)
        assert report.errors == [] and len(report.changes) == 1
    assert template("en", "csv").decode("utf-8-sig").startswith("indicator_code,indicator_name,period")


@pytest.mark.parametrize("filename, content, fragment", [
    ("fake.xlsx", b"not a workbook at all", "not an Excel workbook"),
    ("zip.xlsx", None, "not an Excel workbook"),
    ("slip.xlsx", "../evil.txt", "absolute paths or '..'"),
    ("absolute.xlsx", "/etc/evil.txt", "absolute paths or '..'"),
    ("macro.xlsx", "xl/vbaProject.bin", "contains macros"),
    ("old.xls", b"\xd0\xcf\x11\xe0 old excel", ".xls files are not accepted"),
    ("data.json", b"{}", "must be .csv or .xlsx"),
    ("latin.csv", b"M\xe3 ch\xec ti\xeau;K\xec\n", "not UTF-8"),
    ("empty.csv", b"   ", "empty"),
])
def test_unreadable_files_are_refused(same_db, filename, content, fragment):
    if content is None or isinstance(content, str):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            if content is None:
                archive.writestr("readme.txt", "hello")
            else:
                archive.writestr("[Content_Types].xml", "<Types/>")
                archive.writestr("xl/workbook.xml", "<workbook/>")
                archive.writestr(content, "x")
        content = buffer.getvalue()
    before = dump(same_db[1])
    with pytest.raises(FileRejected, match=fragment):
        import_observations(content, filename, city=CITY)
    assert dump(same_db[1]) == before


def test_size_limit_and_zip_bomb(same_db, monkeypatch):
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    with pytest.raises(FileRejected, match="limit is 1 MB"):
        import_observations(b"x" * (1024 * 1024 + 1), "big.csv", city=CITY)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (11 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(FileRejected, match="unpacks to more than 10 MB"):
        import_observations(buffer.getvalue(), "bomb.xlsx", city=CITY)


def test_unknown_city_is_refused(same_db):
    from data_access.kpi_import import ImportRejected

    with pytest.raises(ImportRejected, match="unknown city"):
        import_observations(csv_file(GOOD_ROW), "good.csv", city="ha-noi")


def test_semicolon_csv_with_bom(same_db):
    content = ("\ufeffindicator_code;period;value\ninfra.fibre_km;2023;1.234,5\n").encode("utf-8")
    report = import_observations(content, "semi.csv", city=CITY, dry_run=True)
    assert report.errors == [] and report.changes[0].row.value == 1234.5


@pytest.mark.parametrize("text, expected", [
    ("99,13", 99.13), ("2.971", 2971), ("1.234,5", 1234.5), ("0,5", 0.5), ("1,234.5", 1234.5), ("12", 12),
    ("99,13%", 99.13), (" 1 234,5 ", 1234.5), ("18.000", 18000), ("0.75", 0.75), ("-3,5", -3.5), (42, 42),
    (99.13, 99.13), ("1.234.567", 1234567), ("0.125", 0.125), ("0,125", 0.125),
])
def test_vietnamese_numbers(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["1.2.3", "abc", "1,2,3", "", "1e5", "nan", True, "12,34.5"])
def test_not_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("value, key", [
    ("2022", "2022"), (2022, "2022"), (2022.0, "2022"), ("2022-Q3", "2022-Q3"), ("Quý 3/2022", "2022-Q3"),
    ("Q3/2022", "2022-Q3"), ("quý 3 - 2022", "2022-Q3"), ("07/2022", "2022-07"), ("Tháng 7/2022", "2022-07"),
    ("2022-7", "2022-07"), ("Năm 2022", "2022"), (datetime(2022, 7, 1), "2022-07"),
])
def test_periods(value, key):
    assert parse_period(value).key == key


def test_dates():
    assert parse_date("31/12/2022") == datetime(2022, 12, 31)
    assert parse_date("2022-12-31") == datetime(2022, 12, 31)
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        parse_date("12/31/2022")


def test_cli_reports_errors_and_imports(scratch_db, tmp_path):
    from manage import cli

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(GOOD_ROW, 'gov.email_account_rate,2023,,"100,5",,'))
    before = dump(scratch_db[1])
    result = CliRunner().invoke(cli, ["import-kpi", str(bad), "--city", CITY])
    assert result.exit_code == 1
    assert "row 3" in result.output and "Giá trị" in result.output and "outside 0–100" in result.output
    assert dump(scratch_db[1]) == before
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file(GOOD_ROW))
    result = CliRunner().invoke(cli, ["import-kpi", str(good), "--city", CITY, "--dry-run"])
    assert result.exit_code == 0 and "1 would be inserted" in result.output
    assert dump(scratch_db[1]) == before
    result = CliRunner().invoke(cli, ["import-kpi", str(good), "--city", CITY, "--json"])
    assert result.exit_code == 0, result.output
    assert '"insert": 1' in result.output
    out = tmp_path / "mau.xlsx"
    result = CliRunner().invoke(cli, ["kpi-template", "--lang", "en", str(out)])
    assert result.exit_code == 0 and out.stat().st_size > 0


def test_unwritable_database_is_a_clear_error(scratch_db):
    from sqlalchemy import text

    from data_access.db import DatabaseUnavailable, get_engine

    with get_engine("kpi", writable=True).begin() as connection:
        connection.execute(text("CREATE TRIGGER no_writes BEFORE INSERT ON observation "
                                "BEGIN SELECT RAISE(ABORT, 'observation is read-only'); END"))
    before = dump(scratch_db[1])
    with pytest.raises(DatabaseUnavailable, match="nothing was changed: observation is read-only"):
        import_observations(csv_file(GOOD_ROW, "infra.fibre_km,2019,,5,,"), "good.csv", city=CITY)
    assert dump(scratch_db[1]) == before


def post_upload(client, report_id: str, run_id: str, content: bytes, filename: str, values: dict):
    """Call an import callback the way the browser does, with an uploaded file."""
    import base64

    from app import app

    client.get("/login")  # the first request sets the Dash server up
    output = next(o for o in app.callback_map if f"{report_id}.children" in o)
    contents = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    state = [{"id": dep["id"], "property": dep["property"],
              "value": contents if dep["property"] == "contents" else
              filename if dep["property"] == "filename" else values.get(dep["id"])}
             for dep in app.callback_map[output]["state"]]
    body = {"output": output, "outputs": {"id": report_id, "property": "children"},
            "inputs": [{"id": run_id, "property": "n_clicks", "value": 1}], "state": state,
            "changedPropIds": [f"{run_id}.n_clicks"]}
    return client.post("/_dash-update-component", json=body)


@pytest.mark.parametrize("role", [None, "public", "staff", "leader", "admin"])
def test_only_admins_reach_the_import_callback(client_as, demo_urls, role):
    import json

    from components import ids

    values = {ids.IMPORT_KPI_DRY: ["dry"], ids.CITY_SELECT: CITY, ids.LANG_SELECT: "vi"}
    before = dump(demo_urls[1])
    response = post_upload(client_as(role), ids.IMPORT_KPI_REPORT, ids.IMPORT_KPI_RUN, csv_file(GOOD_ROW),
                           "good.csv", values)
    if role == "admin":
        assert response.status_code == 200
        assert "Chạy thử good.csv" in json.dumps(response.get_json(), ensure_ascii=False)
    else:
        assert response.status_code in (401, 403)
    assert dump(demo_urls[1]) == before


@pytest.mark.parametrize("uploaded, written", [
    ("../../etc/ranh-gioi.geojson", "ranh-gioi.geojson"), ("C:\\Users\\x\\wards.zip", "C_Users_x_wards.zip"),
    ("ranh giới phường.gpkg", "ranh_gi_i_ph_ng.gpkg"), ("..geojson", None), ("wards.exe", None), (None, None),
])
def test_boundary_upload_names_stay_inside_the_temporary_folder(uploaded, written):
    from app import app  # noqa: F401 - pages register themselves with the app
    from pages.admin_import import _safe_name

    assert _safe_name(uploaded) == written


def test_zip_slip_boundary_upload_is_refused_on_the_page(client_as, demo_urls):
    import json

    from components import ids

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.shp", b"x")
    client = client_as("admin")
    client.get("/login")
    before = [dump(url) for url in demo_urls]
    response = post_upload(client, ids.IMPORT_BOUNDARY_REPORT, ids.IMPORT_BOUNDARY_RUN,
                           buffer.getvalue(), "wards.zip",
                           {ids.IMPORT_BOUNDARY_LEVEL: "ward", ids.CITY_SELECT: CITY, ids.LANG_SELECT: "vi"})
    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert "banner-error" in text and "contains '..'" in text
    assert [dump(url) for url in demo_urls] == before
