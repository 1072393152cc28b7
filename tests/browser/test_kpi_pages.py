"""KPI pages in a real browser: the period and comparison controls change the figures
to the database's values, the ward table exports what it shows, targets show status."""
from __future__ import annotations

import csv
import glob
import os
import time

import pytest

from domain.formatting import format_period
from tests.browser.conftest import sign_in

CARD = ".kpi-card[data-code='{}'] .kpi-value"


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def wait_for_download(dash_duo, pattern: str, timeout: float = 15) -> list[str]:
    """Files matching `pattern` in the browser's download folder, once one has arrived."""
    deadline, files = time.time() + timeout, []
    while time.time() < deadline and not files:
        files = glob.glob(os.path.join(dash_duo.download_path, pattern))
        time.sleep(0.2)
    assert files, f"nothing matching {pattern} was downloaded"
    return files


def _url_period(dash_duo, timeout: float = 10) -> str:
    """The period key in the address bar, once the page has written a quarter there."""
    from urllib.parse import parse_qs, urlparse

    deadline = time.time() + timeout
    while True:
        period = parse_qs(urlparse(dash_duo.driver.current_url).query).get("period", [""])[0]
        if "-Q" in period or time.time() > deadline:
            return period
        time.sleep(0.1)


def _db_value(code: str, period: str):
    from data_access.kpi import compute_kpis
    from domain import periods
    from domain.formatting import format_value
    from domain.indicators import BY_CODE

    return format_value(compute_kpis.uncached("thanh-hoa", periods.parse(period))[code], BY_CODE[code].unit, "vi")


def test_services_period_controls_and_export(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2022&lang=vi")
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"), "5.849", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_on_time_rate"), "99,98%", timeout=10)
    dash_duo.wait_for_contains_text(".kpi-card[data-code='services.level3_dossiers'] .kpi-delta", "2021", timeout=10)
    dash_duo.select_dcc_dropdown("#services-period", value="2021")
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"), _db_value("services.level3_dossiers", "2021"),
                                    timeout=20)
    dash_duo.find_element("#services-period-kind input[value='quarter']").click()
    dash_duo.wait_for_contains_text(".kpi-card[data-code='services.level3_dossiers'] .kpi-delta", "Quý", timeout=20)
    shown_period = _url_period(dash_duo)
    assert shown_period[4:6] == "-Q", "the address keeps the key"
    assert dash_duo.find_element("#services-period").text.strip().splitlines()[0] == format_period(shown_period, "vi")
    dash_duo.wait_for_text_to_equal(CARD.format("services.on_time_rate"),
                                    _db_value("services.on_time_rate", shown_period), timeout=20)
    assert f"period={shown_period}" in dash_duo.driver.current_url
    dash_duo.find_element("#services-compare input[value='last_year']").click()
    dash_duo.wait_for_contains_text(".kpi-card[data-code='services.level3_dossiers'] .kpi-delta",
                                    str(int(shown_period[:4]) - 1), timeout=20)
    rows = dash_duo.find_elements("#services-ward-table .ag-center-cols-container .ag-row")
    assert len(rows) > 10
    dash_duo.find_element("button[id*='\"format\":\"csv\"']").click()
    files = wait_for_download(dash_duo, "*.csv")
    with open(files[0], encoding="utf-8-sig") as handle:
        exported = list(csv.reader(handle))
    from data_access.kpi import services_by_ward
    from domain import periods

    expected = services_by_ward("thanh-hoa", periods.parse(shown_period))
    assert len(exported) == len(expected) + 1
    assert sum(int(row[2]) for row in exported[1:]) == expected["dossiers"].sum()
    from security.accounts import recent_audit

    assert recent_audit(1)[0]["action"] == "export", "exports are audited"
    dash_duo.find_element("button[id*='\"graph\":\"services-monthly\"']").click()
    svgs = wait_for_download(dash_duo, "*.svg")
    assert open(svgs[0], encoding="utf-8").read().startswith("<svg")
    assert dash_duo.get_logs() == []


def test_a_ward_dot_opens_the_wards_page(dash_duo, app):
    """A click on the ward chart's first dot (plotly's event, which dcc.Graph turns into clickData
    from the figure's own points) opens that ward's page."""
    from components import ids

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2022&lang=vi")
    chart = f"#{ids.SERVICES_WARD_CHART} .js-plotly-plot"
    dash_duo.wait_for_element(f"#{ids.SERVICES_WARD_CHART} .scatterlayer .point", timeout=20)
    code = dash_duo.driver.execute_script("return document.querySelector(arguments[0]).data[0].customdata[0];", chart)
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).emit('plotly_click',"
                                   " {points: [{curveNumber: 0, pointNumber: 0}]});", chart)
    dash_duo.wait_for_element(f"#{ids.WARD_BODY}", timeout=20)
    assert dash_duo.driver.execute_script("return window.location.pathname") == f"/ward/{code}"
    assert dash_duo.get_logs() == []


def test_services_for_a_range(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2021..2022&compare=previous")
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"),
                                    _db_value("services.level3_dossiers", "2021..2022"), timeout=20)
    dash_duo.wait_for_contains_text(".kpi-card[data-code='services.level3_dossiers'] .kpi-delta", "2019–2020",
                                    timeout=10)
    assert "period=2021..2022" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_targets_page(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/targets?lang=vi")
    dash_duo.wait_for_element(".targets-table", timeout=20)
    dash_duo.wait_for_contains_text(".status[data-code='citizens.egov_app_rate']", "Chưa có dữ liệu", timeout=10)
    statuses = dash_duo.find_elements(".targets-table .status")
    assert len(statuses) == 12
    assert dash_duo.find_element(".rule").text.startswith("Quy tắc")
    assert dash_duo.get_logs() == []


def test_digital_page(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/digital?period=2022")
    dash_duo.wait_for_text_to_equal(CARD.format("docs.sent"), "107.397", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("infra.fibre_km"), "273 km", timeout=10)
    dash_duo.wait_for_text_to_equal(CARD.format("internet.household_rate"), "99,13%", timeout=10)
    dash_duo.wait_for_element("#digital-unit-table .ag-center-cols-container .ag-row", timeout=10)
    assert len(dash_duo.find_elements("#digital-unit-table .ag-center-cols-container .ag-row")) >= 10
    dash_duo.find_element("button[id*='\"type\":\"digital-export\"'][id*='xlsx']").click()
    files = wait_for_download(dash_duo, "*.xlsx")
    import openpyxl

    sheet = openpyxl.load_workbook(files[0]).active
    assert sum(row[1] for row in sheet.iter_rows(min_row=2, values_only=True)) == 107_397
    assert dash_duo.get_logs() == []


def test_a_comparison_redraws_the_cards_and_another_quarter_of_the_year_keeps_the_monthly_chart(dash_duo, app):
    """Only what changes is drawn again: the charts and the ward table keep their drawing through a
    comparison (plotly's data is the same object), the monthly chart through another quarter of
    its year; another year draws it again."""
    from components import ids

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2022-Q2&compare=previous&lang=vi")
    charts = {"ward": f"#{ids.SERVICES_WARD_CHART} .js-plotly-plot",
              "monthly": f"#{ids.SERVICES_MONTHLY} .js-plotly-plot"}
    delta = ".kpi-card[data-code='services.level3_dossiers'] .kpi-delta"
    dash_duo.wait_for_element(f"#{ids.SERVICES_WARD_CHART} .scatterlayer .point", timeout=20)
    dash_duo.wait_for_contains_text(delta, "Quý 1/2022", timeout=20)

    def keep() -> None:
        dash_duo.driver.execute_script(
            "window.__drawn = {ward: document.querySelector(arguments[0]).data,"
            " monthly: document.querySelector(arguments[1]).data,"
            " rows: document.querySelector('#services-ward-table .ag-center-cols-container').innerHTML};",
            charts["ward"], charts["monthly"])

    def same() -> dict:
        return dash_duo.driver.execute_script(
            "return {ward: document.querySelector(arguments[0]).data === window.__drawn.ward,"
            " monthly: document.querySelector(arguments[1]).data === window.__drawn.monthly,"
            " rows: document.querySelector('#services-ward-table .ag-center-cols-container').innerHTML"
            " === window.__drawn.rows};", charts["ward"], charts["monthly"])

    keep()
    dash_duo.find_element(f"#{ids.period_ids('services')['compare']} input[value='last_year']").click()
    dash_duo.wait_for_contains_text(delta, "Quý 2/2021", timeout=20)
    time.sleep(0.5)
    assert same() == {"ward": True, "monthly": True, "rows": True}

    dash_duo.select_dcc_dropdown(f"#{ids.period_ids('services')['period']}", value="Quý 3/2022")
    dash_duo.wait_for_contains_text(f"#{ids.SERVICES_WARD_CHART} .gtitle", "Quý 3/2022", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("services.on_time_rate"), _db_value("services.on_time_rate", "2022-Q3"),
                                    timeout=20)
    assert same() == {"ward": False, "monthly": True, "rows": False}
    keep()
    dash_duo.select_dcc_dropdown(f"#{ids.period_ids('services')['period']}", value="Quý 4/2021")
    dash_duo.wait_for_contains_text(f"#{ids.SERVICES_MONTHLY} .gtitle", "2021", timeout=20)
    assert same()["monthly"] is False
    assert dash_duo.get_logs() == []
