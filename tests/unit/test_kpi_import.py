"""KPI import: every row-level error names its row, column and reason and leaves the KPI
database byte-for-byte unchanged; a clean file applies, re-importing it changes nothing,
a dry run changes nothing; Vietnamese numbers, periods and dates; XLSX safety; the CLI."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from loaders.kpi_import import import_observations, template
from loaders.sheets import FileRejected, parse_date, parse_number, parse_period

CITY = "thanh-hoa"
WARD = "14755"
HEADER_VI = "Mã chỉ tiêu,Kỳ,Mã phường/xã,Giá trị,Nguồn,Ngày số liệu"
GOOD_ROW = 'internet.household_rate,2019,,"88,5",Báo cáo UBND 2019,31/03/2020'


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def dump(url: str) -> str:
    from tests.conftest import sqlite_digest

    return sqlite_digest(sqlite_path(url))


def copy_databases(demo_urls, folder: Path) -> tuple[str, str]:
    from tests.conftest import copy_sqlite, use_databases

    copies = []
    for url, name in zip(demo_urls, ("ioc.db", "kpi.db")):
        copy_sqlite(sqlite_path(url), folder / name)
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
    from domain.periods import parse
    from security.accounts import recent_audit

    content = csv_file(GOOD_ROW, "infra.fibre_km,2019,,2.971,,", f'gov.email_account_rate,Quý 2/2023,{WARD},"99,13",,',
                       'citizens.e_account_rate,07/2023,,"12,5",,')
    first = import_observations(content, "good.csv", city=CITY, actor="tester", number_locale="vi")
    assert first.errors == [] and first.applied
    assert first.counts == {"insert": 4, "update": 0, "unchanged": 0}
    value, source, as_of, start, end = stored("internet.household_rate", "2019")
    # the as-of date is the city's midnight of 31/03/2020, stored as that instant
    assert (value, source, as_of) == (88.5, "Báo cáo UBND 2019", datetime(2020, 3, 31, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    assert (start.isoformat(), end.isoformat()) == ("2019-01-01", "2019-12-31")
    assert stored("infra.fibre_km", "2019")[0] == 2971
    assert stored("gov.email_account_rate", "2023-Q2", WARD)[0] == 99.13
    assert stored("citizens.e_account_rate", "2023-07")[0] == 12.5
    assert compute_kpis(CITY, parse("2019"))["infra.fibre_km"] == 2971
    event = recent_audit(1)[0]
    assert (event["actor"], event["action"]) == ("tester", "kpi_import")
    after_first = dump(scratch_db[1])
    second = import_observations(content, "good.csv", city=CITY, number_locale="vi")
    assert second.counts == {"insert": 0, "update": 0, "unchanged": 4}
    assert dump(scratch_db[1]) == after_first


def test_dry_run_shows_updates_and_changes_nothing(scratch_db):
    import_observations(csv_file(GOOD_ROW), "good.csv", city=CITY)
    before = dump(scratch_db[1])
    changed = csv_file(GOOD_ROW.replace('"88,5"', '"90,25"'), "infra.fibre_km,2019,,15,,")
    report = import_observations(changed, "changed.csv", city=CITY, dry_run=True)
    assert report.counts == {"insert": 1, "update": 1, "unchanged": 0}
    update = next(c for c in report.changes if c.kind == "update")
    assert (update.old["value"], update.item.value) == (88.5, 90.25)
    assert not report.applied
    assert dump(scratch_db[1]) == before


def test_existing_demo_observation_is_updated_in_place(scratch_db):
    from data_access.kpi import compute_kpis
    from domain.periods import year

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
    report = import_observations(content, "en.xlsx", city=CITY, number_locale="vi")
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
    from loaders.apply import ImportRejected

    with pytest.raises(ImportRejected, match="unknown city"):
        import_observations(csv_file(GOOD_ROW), "good.csv", city="ha-noi")


def test_semicolon_csv_with_bom(same_db):
    content = ("\ufeffindicator_code;period;value\ninfra.fibre_km;2023;1.234,5\n").encode("utf-8")
    report = import_observations(content, "semi.csv", city=CITY, dry_run=True)
    assert report.errors == [] and report.changes[0].item.value == 1234.5


@pytest.mark.parametrize("text, expected", [
    ("99,13", 99.13), ("1.234,5", 1234.5), ("0,5", 0.5), ("1,234.5", 1234.5), ("12", 12),
    ("99,13%", 99.13), (" 1 234,5 ", 1234.5), ("0.75", 0.75), ("-3,5", -3.5), (42, 42),
    (99.13, 99.13), ("1.234.567", 1234567), ("0.125", 0.125), ("0,125", 0.125), ("1,234,567", 1234567),
])
def test_vietnamese_numbers(text, expected):
    for locale in (None, "vi", "en"):  # unambiguous: the same whatever the file declares
        assert parse_number(text, locale) == pytest.approx(expected)


@pytest.mark.parametrize("text, as_vi, as_en", [
    ("2.971", 2971, 2.971), ("18.000", 18000, 18), ("1,234", 1.234, 1234), ("1.500", 1500, 1.5),
    ("-1.500", -1500, -1.5), ("999,999", 999.999, 999999),
])
def test_ambiguous_numbers_need_the_declared_locale(text, as_vi, as_en):
    from loaders.sheets import AmbiguousNumber

    with pytest.raises(AmbiguousNumber, match="ambiguous"):
        parse_number(text)
    assert parse_number(text, "vi") == pytest.approx(as_vi)
    assert parse_number(text, "en") == pytest.approx(as_en)


def test_an_ambiguous_figure_is_refused_with_a_message_unless_the_file_declares_its_locale(same_db):
    content = csv_file('infra.fibre_km,2022,,"1.500",,', 'internet.household_rate,2022,,"1,234",,')
    before = dump(same_db[1])
    report = import_observations(content, "ambiguous.csv", city=CITY)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Giá trị"), (3, "Giá trị")]
    assert all("ambiguous" in e.reason and "number format" in e.reason for e in report.errors)
    declared = import_observations(content, "ambiguous.csv", city=CITY, number_locale="vi", dry_run=True)
    assert declared.errors == [] and [c.item.value for c in declared.changes] == [1500, 1.234]
    assert dump(same_db[1]) == before


def test_a_doubtful_rate_is_a_warning_that_blocks_until_confirmed(scratch_db):
    content = csv_file('internet.household_rate,2022,,0.995,,', 'infra.fibre_km,2022,,250000,,')
    before = dump(scratch_db[1])
    report = import_observations(content, "fraction.csv", city=CITY)
    assert report.errors == [] and not report.applied and report.needs_confirmation
    assert [(w.row, w.column) for w in report.warnings] == [(2, "Giá trị"), (3, "Giá trị")]
    assert "99.5" in report.warnings[0].reason and "100000" in report.warnings[1].reason
    assert report.to_dict()["needs_confirmation"] is True
    assert dump(scratch_db[1]) == before
    confirmed = import_observations(content, "fraction.csv", city=CITY, confirm_warnings=True)
    assert confirmed.applied and confirmed.counts["insert"] + confirmed.counts["update"] == 2
    assert stored("internet.household_rate", "2022")[0] == 0.995


def test_periods_after_next_year_are_refused(same_db):
    from domain.city_time import city_today

    next_year = city_today().year + 1
    report = import_observations(csv_file(f"internet.household_rate,{next_year + 1},,50,,",
                                          "internet.household_rate,2067-Q1,,50,,",
                                          f"internet.household_rate,{next_year},,50,,"), "future.csv", city=CITY,
                                 dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Kỳ"), (3, "Kỳ")]
    assert all("in the future" in e.reason for e in report.errors)


FORMULA_TEXTS = ["@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1",
                 '=HYPERLINK("http://evil.example","x")']


@pytest.mark.parametrize("text", FORMULA_TEXTS)
def test_formula_like_text_is_refused_in_csv_and_xlsx(same_db, text):
    before = dump(same_db[1])
    quoted = '"' + text.replace('"', '""') + '"'
    reports = [import_observations(csv_file(f"internet.household_rate,2022,,50,{quoted},"), "f.csv", city=CITY)]
    content = xlsx_bytes([["indicator_code", "period", "value", "source"],
                          ["internet.household_rate", 2022, 50, "x"]])
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    cell = workbook.active["D2"]
    cell.value = text
    cell.data_type = "s"  # stored as text, as Excel stores '=HYPERLINK(...) typed with a quote
    buffer = io.BytesIO()
    workbook.save(buffer)
    reports.append(import_observations(buffer.getvalue(), "f.xlsx", city=CITY))
    for report in reports:
        assert [(e.row, e.column) for e in report.errors] == [(2, report.errors[0].column)]
        assert report.errors[0].column in ("Nguồn", "source")
        assert "formula" in report.errors[0].reason
    assert dump(same_db[1]) == before


def test_signed_numbers_and_a_lone_dash_are_not_formulas(same_db):
    report = import_observations(csv_file('infra.fibre_km,2022,,"+1,5",-,'), "signs.csv", city=CITY, dry_run=True)
    assert report.errors == [] and report.changes[0].item.value == 1.5


def test_a_long_import_is_stopped_with_nothing_written(scratch_db):
    from loaders.sheets import ImportTimeLimit

    rows = [f"internet.household_rate,{year}-{month:02d},,{50 + month},," for year in range(2000, 2026)
            for month in range(1, 13)] * 4
    before = dump(scratch_db[1])
    with pytest.raises(ImportTimeLimit, match="IMPORT_TIME_LIMIT_S"):
        import_observations(csv_file(*rows), "long.csv", city=CITY, time_limit_s=0)
    assert dump(scratch_db[1]) == before


def test_a_write_past_the_time_limit_rolls_back(scratch_db, monkeypatch):
    from loaders import sheets
    from loaders.sheets import ImportTimeLimit

    real_check = sheets.Deadline.check

    def expire_while_writing(self, doing):
        if doing.startswith("writing row 501"):
            self.ends = 0
        real_check(self, doing)
    monkeypatch.setattr(sheets.Deadline, "check", expire_while_writing)
    rows = [f"internet.household_rate,{year}-{month:02d},{ward},{50 + month},," for year in range(2000, 2026)
            for month in range(1, 13) for ward in ("", WARD)]
    before = dump(scratch_db[1])
    with pytest.raises(ImportTimeLimit, match="writing row 501"):
        import_observations(csv_file(*rows), "slow.csv", city=CITY)
    assert dump(scratch_db[1]) == before


def test_cli_number_locale_and_confirmation(scratch_db, tmp_path):
    from manage import cli

    path = tmp_path / "so-lieu.csv"
    path.write_bytes(csv_file('infra.fibre_km,2022,,"1.500",,', 'internet.household_rate,2022,,"0,995",,'))
    refused = CliRunner().invoke(cli, ["import-kpi", str(path), "--city", CITY])
    assert refused.exit_code == 1 and "ambiguous" in refused.output
    blocked = CliRunner().invoke(cli, ["import-kpi", str(path), "--city", CITY, "--number-locale", "vi"])
    assert blocked.exit_code == 1 and "--confirm-warnings" in blocked.output
    done = CliRunner().invoke(cli, ["import-kpi", str(path), "--city", CITY, "--number-locale", "vi",
                                    "--confirm-warnings"])
    assert done.exit_code == 0, done.output
    assert stored("infra.fibre_km", "2022")[0] == 1500


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


class Answer:
    """What the page gets back for an import: the request's status, then the job's report."""

    def __init__(self, status_code: int, payload: dict | None):
        self.status_code, self.payload = status_code, payload

    def get_json(self) -> dict | None:
        return self.payload


def post_upload(client, report_id: str, run_id: str, content: bytes, filename: str, values: dict) -> Answer:
    """Press an import's button the way the browser does (the request, checked by the policy, hands
    out the job's ticket), then run the job on the uploaded file here, as its process would."""
    import base64
    import json

    import plotly

    from app import app, server
    from components import ids
    from pages.admin_import import JOBS, import_job

    client.get("/login")  # the first request sets the Dash server up
    name = next(name for name, (_work, report, _dry, _options) in JOBS.items() if report == report_id)
    work, _report, dry_id, option_ids = JOBS[name]
    job = {"import": name, "type": ids.IMPORT_JOB}
    output = next(o for o in app.callback_map if o.startswith("{") and o.endswith(".data")
                  and json.loads(o.rsplit(".", 1)[0]) == job)
    body = {"output": output, "outputs": {"id": job, "property": "data"},
            "inputs": [{"id": run_id, "property": "n_clicks", "value": 1}], "state": [],
            "changedPropIds": [f"{run_id}.n_clicks"]}
    asked = client.post("/_dash-update-component", json=body)
    if asked.status_code != 200:
        return Answer(asked.status_code, None)
    ticket = asked.get_json()["response"][json.dumps(job, separators=(",", ":"), sort_keys=True)]["data"]
    contents = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    children = import_job(name, ticket, server.secret_key, work, contents, filename, values.get(dry_id),
                          values.get(ids.CITY_SELECT), values.get(ids.LANG_SELECT),
                          *[values.get(option_id) for option_id in option_ids])
    payload = json.loads(json.dumps(children, cls=plotly.utils.PlotlyJSONEncoder))
    return Answer(200, {"response": {report_id: {"children": payload}}})


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


def test_the_page_declares_the_number_format_and_asks_to_confirm_warnings(client_as, demo_urls):
    import json

    from components import ids
    from pages.admin_import import IMPORT_KPI_CONFIRM, IMPORT_KPI_NUMBER_LOCALE

    client = client_as("admin")
    content = csv_file('infra.fibre_km,2022,,"1.500",,', 'internet.household_rate,2022,,"0,995",,')
    base = {ids.CITY_SELECT: CITY, ids.LANG_SELECT: "en"}
    before = dump(demo_urls[1])

    def run(**values) -> str:
        response = post_upload(client, ids.IMPORT_KPI_REPORT, ids.IMPORT_KPI_RUN, content, "so-lieu.csv",
                               {**base, **values})
        assert response.status_code == 200
        return json.dumps(response.get_json(), ensure_ascii=False)

    assert "ambiguous" in run()  # not declared: refused, with the reason
    blocked = run(**{IMPORT_KPI_NUMBER_LOCALE: "vi"})
    assert "nothing was written" in blocked and "Confirm the warnings" in blocked and "99.5" in blocked
    assert dump(demo_urls[1]) == before
    checked = run(**{IMPORT_KPI_NUMBER_LOCALE: "vi", IMPORT_KPI_CONFIRM: ["confirm"], ids.IMPORT_KPI_DRY: ["dry"]})
    assert "warning(s) confirmed" in checked and "1,500" in checked
    assert dump(demo_urls[1]) == before


@pytest.mark.parametrize("note", ["@SUM(A1)", "+cmd", "=1+1", "\tkhong"])
def test_the_lineage_import_refuses_formula_like_text_too(same_db, note):
    from loaders.lineage_import import import_lineage

    header = "Loại thay đổi,Mã cũ,Mã mới,Ngày hiệu lực,Ghi chú"
    quoted = '"' + note + '"'
    report = import_lineage(csv_file(f"đổi tên,99903,{WARD},01/07/2025,{quoted}", header=header), "l.csv",
                            city=CITY, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Ghi chú")] and "formula" in report.errors[0].reason


def test_an_import_job_runs_only_on_its_own_signed_ticket_and_within_its_time_limit(client_as, monkeypatch):
    """The job trusts its ticket (who asked, for which import); a ticket of another import, an
    altered one, or none runs nothing; an import past IMPORT_TIME_LIMIT_S is stopped with a message."""
    import json
    import time

    import plotly

    from app import server
    from pages.admin_import import import_job
    from security import job_tickets

    done = []

    def work(actor, content, filename, dry, city, lang, *options):
        done.append((actor, content, filename, city))
        return "ok"

    contents = "data:text/csv;base64,YSxi"
    with server.test_request_context():
        asset_ticket = job_tickets.issue({"import": "asset", "user": "t-admin"})
        kpi_ticket = job_tickets.issue({"import": "kpi", "user": "t-admin"})

    def texts(children) -> str:
        return json.dumps(children, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)

    for ticket in (asset_ticket, kpi_ticket[:-3] + "AAA", None):
        assert "không hợp lệ" in texts(import_job("kpi", ticket, server.secret_key, work, contents, "a.csv", None,
                                                  CITY, "vi"))
    assert done == []
    assert import_job("kpi", kpi_ticket, server.secret_key, work, contents, "a.csv", None, CITY, "vi") == "ok"
    assert done == [("t-admin", b"a,b", "a.csv", CITY)]

    def slow(*_args):
        time.sleep(5)
        return "late"

    monkeypatch.setenv("IMPORT_TIME_LIMIT_S", "1")
    answer = texts(import_job("kpi", kpi_ticket, server.secret_key, slow, contents, "a.csv", None, CITY, "en"))
    assert "longer than 1 s" in answer and "nothing was written" in answer
