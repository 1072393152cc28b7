"""One view, one answer, in a real browser: the ward page and the map's panel of the same ward
state the same period and show the same camera and access-point counts, those of the API."""
from __future__ import annotations

import time

import pytest

from tests.browser.conftest import sign_in

WARD = "14755"


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _pairs(dash_duo, rows_js: str) -> dict[str, str]:
    """{label: value} read from the page by a script returning [[label, value], ...]."""
    return {label: value for label, value in dash_duo.driver.execute_script(rows_js)}


def _wait_for(read, timeout: float = 15):
    deadline, seen = time.time() + timeout, None
    while time.time() < deadline:
        seen = read()
        if seen:
            return seen
        time.sleep(0.25)
    return seen


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_ward_page_and_map_panel_agree(dash_duo, app, client_as, lang):
    from data_access.map_layers import ward_period
    from domain.formatting import format_number
    from domain.i18n import name_of, t
    from domain.indicators import BY_CODE

    period = ward_period()
    kpis = client_as("staff").get(f"/api/v1/kpi?city=thanh-hoa&year={period.year}&ward={WARD}").get_json()["kpis"]
    cameras, access_points = (format_number(kpis[code], lang) for code in ("camera.security_total",
                                                                           "wifi.access_points"))
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, f"/ward/{WARD}?lang={lang}")
    dash_duo.wait_for_contains_text("#ward-body h1", "Hàm Rồng", timeout=15)
    dash_duo.wait_for_element(".compare-table", timeout=10)
    page_as_of = dash_duo.find_element("#ward-body .as-of-line").text
    assert str(period.year) in page_as_of and page_as_of.startswith(t("asof.period", lang).split("{")[0])
    table = _pairs(dash_duo, """return Array.from(document.querySelectorAll('.compare-table tr'))
        .filter(r => r.cells.length === 3 && r.cells[0].tagName === 'TD')
        .map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()]);""")
    assert table[name_of(BY_CODE["camera.security_total"], lang)] == cameras
    assert table[name_of(BY_CODE["wifi.access_points"], lang)] == access_points

    dash_duo.driver.get(f"{dash_duo.server.url}/map?layers=wards&lang={lang}")
    dash_duo.wait_for_element(".big-map path.leaflet-interactive", timeout=15)
    dash_duo.find_element("#map-ward").click()
    search = dash_duo.wait_for_element("input.dash-dropdown-search", timeout=10)
    search.send_keys("ham rong")
    time.sleep(0.5)
    search.send_keys("\n")
    dash_duo.wait_for_contains_text("#map-side h2", "Hàm Rồng", timeout=15)
    panel = _wait_for(lambda: _pairs(dash_duo, """return Array.from(document.querySelectorAll('#map-side dt'))
        .map(dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]);"""))
    assert panel[t("ward.cameras", lang)] == cameras
    assert panel[t("ward.access_points", lang)] == access_points
    assert dash_duo.find_element("#map-side .as-of-line").text == page_as_of
    assert dash_duo.get_logs() == []
