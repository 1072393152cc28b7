"""The KPI pages' data: formulas on hand-made records (on-time boundary, empty period,
working days across Tết), ward breakdowns that add up, targets and their status,
period controls, and safe export."""
from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from components.export import escape_formula, to_csv_bytes, to_xlsx_bytes
from components.period_controls import default_period, parse_query, period_options
from domain import periods
from domain.formulas import linear_projection, target_status


@pytest.fixture
def tiny_db(tmp_path):
    """Empty IOC and KPI databases with one city, for hand-made records."""
    from data_access.db import get_engine, init_db
    from tests.conftest import use_databases

    use_databases(f"sqlite:///{tmp_path / 'ioc.db'}", f"sqlite:///{tmp_path / 'kpi.db'}")
    init_db("ioc")
    init_db("kpi")
    return get_engine("kpi", writable=True)


def _dossier(i, received, promised, finished, level=3):
    return {"id": i, "city_slug": "test", "procedure_id": 1, "ward_code": "1", "channel": "online",
            "level": level, "received_at": received, "promised_at": promised, "finished_at": finished,
            "digitised": True, "fee_required": False, "paid_online": False}


def test_on_time_boundary_and_empty_period(tiny_db):
    from data_access import models as m
    from data_access.kpi import dossier_aggregates
    from loaders.rollups import refresh_dossier_rollup

    promised = datetime(2024, 3, 10, 17, 0)
    rows = [_dossier(1, datetime(2024, 3, 1, 9), promised, promised),                     # exactly on time
            _dossier(2, datetime(2024, 3, 1, 9), promised, datetime(2024, 3, 10, 17, 1)),  # one minute late
            _dossier(3, datetime(2024, 3, 2, 9), promised, datetime(2024, 3, 5, 9)),       # early
            _dossier(4, datetime(2024, 3, 3, 9), promised, None)]                          # not finished
    with tiny_db.begin() as connection:
        connection.execute(m.Procedure.__table__.insert(), [{
            "id": 1, "city_slug": "test", "code": "T.1", "name": "Thủ tục thử", "field": "Hộ tịch",
            "online_level": 3, "active_from": date(2020, 1, 1), "online_from": date(2020, 1, 1)}])
        connection.execute(m.Dossier.__table__.insert(), rows)
        refresh_dossier_rollup(connection, "test")
    counts = dossier_aggregates("test", periods.parse("2024-03"))
    assert (counts["received"], counts["processed"], counts["on_time"]) == (4, 3, 2)
    assert dossier_aggregates("test", periods.parse("2024-04"))["received"] == 0
    from data_access.kpi import compute_kpis

    march = compute_kpis.uncached("test", periods.parse("2024-03"))
    assert march["services.level3_on_time_rate"] == pytest.approx(200 / 3)
    empty = compute_kpis.uncached("test", periods.parse("2024-04"))
    assert empty["services.on_time_rate"] is None and empty["services.digitised_rate"] is None


@pytest.mark.parametrize("start, days, due", [
    ("2023-01-19 10:00", 1, "2023-01-27 10:00"),    # Tết 20-26 Jan 2023
    ("2023-01-19 10:00", 15, "2023-02-16 10:00"),
    ("2023-04-28 09:00", 1, "2023-05-04 09:00"),    # 30/4, 1/5 and the swapped days
    ("2024-03-08 16:00", 1, "2024-03-11 16:00"),    # Friday → Monday
    ("2024-03-04 08:00", 15, "2024-03-25 08:00"),   # three plain weeks
    ("2024-03-09 11:00", 1, "2024-03-11 11:00"),    # received on a Saturday: due Monday
    ("2023-01-22 11:00", 1, "2023-01-27 11:00"),    # received during Tết: due the first day back
])
def test_feedback_deadline_in_working_days(start, days, due):
    from demo.timegen import add_working_days as many
    from domain.working_days import add_working_days as one

    assert many(pd.Series(pd.to_datetime([start])), days).iloc[0] == pd.Timestamp(due)
    assert one(datetime.fromisoformat(start), days) == datetime.fromisoformat(due)


@pytest.mark.parametrize("series, year, expected", [
    ({2020: 10, 2021: 20, 2022: 30}, 2025, 60.0),
    ({2020: 10, 2021: None, 2022: 30}, 2024, 50.0),
    ({2022: 40}, 2025, None),
    ({}, 2025, None),
])
def test_linear_projection(series, year, expected):
    result = linear_projection(series, year)
    assert (result is None) if expected is None else result == pytest.approx(expected)


@pytest.mark.parametrize("projected, current, target, comparator, higher, status", [
    (95, 80, 90, ">=", True, "on_track"),
    (90, 80, 90, ">=", True, "on_track"),
    (90, 80, 90, ">", True, "at_risk"),
    (82, 80, 90, ">=", True, "at_risk"),
    (70, 60, 90, ">=", True, "off_track"),
    (None, 85, 90, ">=", True, "at_risk"),
    (None, None, 90, ">=", True, "no_data"),
    (20, 30, 25, "<=", False, "on_track"),
    (40, 30, 25, "<=", False, "off_track"),
])
def test_target_status(projected, current, target, comparator, higher, status):
    assert target_status(projected, current, target, comparator, higher) == status


def test_ward_breakdown_adds_up_to_the_city(demo_db):
    from data_access.kpi import compute_kpis, services_by_ward

    wards = services_by_ward("thanh-hoa", periods.year(2022))
    assert len(wards) == 49
    assert wards["dossiers"].sum() == 25_000
    assert wards["level3"].sum() == 5_849 and wards["level4"].sum() == 1_988
    city = compute_kpis.uncached("thanh-hoa", periods.year(2022))
    assert wards["dossiers"].sum() == city["services.dossiers_total"]
    assert wards["on_time_rate"].between(0, 100).all()


@pytest.mark.parametrize("period, signed_rate", [("2022", 100.0), ("2021", None)])
def test_documents_by_agency_add_up(demo_db, period, signed_rate):
    from data_access.kpi import compute_kpis, documents_by_unit

    units = documents_by_unit.uncached("thanh-hoa", periods.parse(period))
    city = compute_kpis.uncached("thanh-hoa", periods.parse(period))
    assert len(units) >= 10 and units["sent"].sum() == city["docs.sent"]
    assert units["signed"].sum() / units["sent"].sum() * 100 == pytest.approx(city["docs.signed_rate"])
    if signed_rate is not None:
        assert (units["signed_rate"] == signed_rate).all()


def test_a_range_sums_its_periods(demo_db):
    from data_access.kpi import compute_kpis

    both = compute_kpis.uncached("thanh-hoa", periods.parse("2021..2022"))
    each = [compute_kpis.uncached("thanh-hoa", periods.year(y)) for y in (2021, 2022)]
    for code in ("services.level3_dossiers", "docs.sent", "services.dossiers_total"):
        assert both[code] == sum(v[code] for v in each)
    assert both["camera.security_total"] == each[1]["camera.security_total"], "stocks at the end of the range"
    assert both["infra.fibre_km"] is None, "a yearly observation is not a value for a range"


def test_monthly_series_adds_up(demo_db):
    from data_access.kpi import monthly_dossiers

    months = monthly_dossiers.uncached("thanh-hoa", 2022)
    assert [m["month"] for m in months] == list(range(1, 13))
    assert sum(m["received"] for m in months) == 25_000


def test_every_facts_target_is_on_the_targets_page(demo_db):
    from data_access.targets import target_rows

    rows = target_rows("thanh-hoa", datetime(2026, 11, 20))
    by_key = {(row["indicator_code"], row["year"]): row for row in rows}
    facts = {("ioc.services_integrated_rate", 2025), ("meetings.electronic_rate", 2025),
             ("camera.key_locations_security_rate", 2025), ("camera.key_locations_traffic_rate", 2025),
             ("citizens.e_account_rate", 2025), ("meetings.electronic_rate", 2030), ("gov.reports_on_system_rate", 2030),
             ("citizens.egov_app_rate", 2030), ("safety.fire_warning_rate", 2030),
             ("economy.ecommerce_household_rate", 2030), ("economy.ecommerce_business_rate", 2030),
             ("economy.online_shopping_rate", 2030)}
    assert set(by_key) == facts
    assert by_key[("meetings.electronic_rate", 2025)]["current"] == pytest.approx(91.0, abs=0.01)
    assert by_key[("citizens.egov_app_rate", 2030)]["status"] == "no_data"
    assert by_key[("citizens.egov_app_rate", 2030)]["current"] is None
    statuses = {row["status"] for row in rows}
    assert statuses <= {"on_track", "at_risk", "off_track", "no_data"}
    assert by_key[("camera.key_locations_security_rate", 2025)]["gap"] == pytest.approx(80 - 78, abs=0.5)
    assert by_key[("camera.key_locations_security_rate", 2025)]["status"] == "off_track", "78% < 80% after 2025"
    assert by_key[("meetings.electronic_rate", 2025)]["status"] == "on_track"
    assert by_key[("safety.fire_warning_rate", 2030)]["status"] == "off_track"


@pytest.mark.parametrize("query, key, compare, notices", [
    ({"period": "2022-Q3", "compare": "last_year"}, "2022-Q3", "last_year", 0),
    ({"period": "2022-07"}, "2022-07", "previous", 0),
    ({"period": "2099"}, None, "previous", 1),
    ({"period": "2021..2022"}, "2021..2022", "previous", 0),
    ({"period": "2022..2021"}, None, "previous", 1),
    ({"period": "2019"}, None, "previous", 1),
    ({"period": "<svg onload=alert(1)>", "compare": "x" * 500}, None, "previous", 2),
    ({"year": "2022"}, "2022", "previous", 0),                      # ?year= is read as ?period=
    ({"year": 2021, "compare": "last_year"}, "2021", "last_year", 0),
    ({"year": "1999"}, None, "previous", 1),                        # before the data
    ({"year": "2099"}, None, "previous", 1),                        # not yet
    ({"year": "abc"}, None, "previous", 1),
    ({"year": "2022-Q3"}, None, "previous", 1),                     # year= takes a year only
    ({"period": "2022-Q3", "year": "2021"}, "2022-Q3", "previous", 1),  # period= wins, year= noted
    ({"period": "2022", "year": "2022"}, "2022", "previous", 0),
    ({"period": "2026-Q1..2099-Q1"}, None, "previous", 1),           # a range that ends in the future
])
def test_period_query(query, key, compare, notices):
    period, chosen, found = parse_query(query)
    assert period.key == (key or default_period("year"))
    assert chosen == compare and len(found) == notices
    assert all(len(n) < 60 for n in found)


@pytest.mark.parametrize("query, notice", [({"year": "1999"}, "year: '1999'"), ({"period": "2099"}, "period: '2099'"),
                                           ({"year": "x" * 80}, "year: '" + "x" * 20 + "'")])
def test_an_ignored_value_is_named_in_the_notice(query, notice):
    from components.banners import ignored_notice

    _period, _compare, notices = parse_query(query)
    assert notices == [notice]
    assert ignored_notice(notices, "vi").children == f"Bỏ qua giá trị không hợp lệ trong địa chỉ: {notice}"


def _card(value, previous, code="services.on_time_rate", lang="vi"):
    from components.kpi_card import make_kpi_card
    from domain.indicators import BY_CODE

    card = make_kpi_card(BY_CODE[code], value, previous, None, "Tính từ CSDL IOC", lang)
    return card.change["text"], card.change["trend"]


@pytest.mark.parametrize("value, previous, code, lang, text, css", [
    (98.5, 98.5, "services.on_time_rate", "vi", "0 điểm %", "delta-flat"),
    (98.501, 98.5, "services.on_time_rate", "vi", "0 điểm %", "delta-flat"),   # written 0: no green ▲
    (98.496, 98.5, "services.on_time_rate", "en", "0 pp", "delta-flat"),
    (2971, 2971, "wifi.access_points", "vi", "0", "delta-flat"),
    (99.0, 98.5, "services.on_time_rate", "vi", "▲ +0,5 điểm %", "delta-good"),
    (98.0, 98.5, "services.on_time_rate", "en", "▼ \u22120.5 pp", "delta-bad"),
    (30.0, 31.0, "env.pm25_mean", "vi", "▼ \u22121 µg/m³", "delta-good"),          # lower is better
])
def test_a_change_that_rounds_to_zero_is_grey_without_an_arrow(value, previous, code, lang, text, css):
    from domain.indicators import BY_CODE

    assert code in BY_CODE
    assert _card(value, previous, code, lang) == (text, css)


def test_period_options_stop_today():
    options = [o["value"] for o in period_options("month", date(2026, 11, 24))]
    assert options[0] == "2026-11" and options[-1] == "2020-01" and "2026-12" not in options
    assert [o["value"] for o in period_options("quarter", date(2026, 11, 24))][0] == "2026-Q4"
    assert default_period("quarter", date(2026, 11, 24)) == "2026-Q3"
    assert default_period("month", date(2026, 1, 5)) == "2025-12"


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-2", "'-2"),
                                             ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"), ("Hàm Rồng", "Hàm Rồng"),
                                             (-2, -2), (99.5, 99.5), (None, None)])
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected


def test_csv_and_xlsx_exports_are_safe():
    frame = pd.DataFrame({"ward": ["=HYPERLINK(\"x\")", "Phường Hàm Rồng"], "rate": [-1.5, 99.13]})
    csv = to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "Phường Hàm Rồng" in csv and "-1.5" in csv
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    assert sheet["A2"].value == "'=HYPERLINK(\"x\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -1.5 and sheet["B3"].value == 99.13


def _headline_lists():
    from domain.headlines import headline_lists

    return sorted(headline_lists().items())


@pytest.mark.parametrize("name, codes", _headline_lists(), ids=[name for name, _ in _headline_lists()])
def test_headline_lists_name_catalog_indicators(name, codes):
    from domain.indicators import BY_CODE

    assert codes, f"{name} is empty"
    assert len(set(codes)) == len(codes), f"{name} repeats a code"
    assert [code for code in codes if code not in BY_CODE] == []


def test_every_pillar_and_trend_has_its_headlines():
    from domain.headlines import PILLAR_CODES, TREND_CODES
    from domain.i18n import t
    from domain.indicators import PILLARS

    assert set(PILLAR_CODES) == set(PILLARS)
    for name in TREND_CODES:  # the trend charts and slides take their titles and units from these keys
        assert t(f"chart.{name}.title", "vi") and t(f"chart.{name}.unit", "en")
        assert t(f"deck.slide.trend.{name}", "en")
