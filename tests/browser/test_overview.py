"""The overview in a real browser: calibrated values in both languages, 404,
and a clear banner when the database is missing."""
from __future__ import annotations

import time

import pytest

from components import ids
from domain.city_time import city_today
from tests.browser.conftest import count_posts, posted, sign_in

CARD = ".kpi-card[data-code='{}'] .kpi-value"

VALUES = {
    "vi": {"services.level3_on_time_rate": "99,98%", "services.level4_on_time_rate": "99,95%",
           "camera.security_total": "18.000", "wifi.access_points": "2.971",
           "internet.household_rate": "99,13%", "infra.fibre_km": "273 km"},
    "en": {"services.level3_on_time_rate": "99.98%", "services.level4_on_time_rate": "99.95%",
           "camera.security_total": "18,000", "wifi.access_points": "2,971",
           "internet.household_rate": "99.13%", "infra.fibre_km": "273 km"},
}


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _assert_values(dash_duo, lang):
    for code, text in VALUES[lang].items():
        dash_duo.wait_for_text_to_equal(CARD.format(code), text, timeout=20)


def test_overview_cards_in_both_languages(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/?year=2022&lang=vi")
    _assert_values(dash_duo, "vi")
    dash_duo.wait_for_contains_text(".pillar-governance .section-title", "Chính quyền số", timeout=10)
    dash_duo.find_element("#shell-lang-select input[value='en']").click()
    _assert_values(dash_duo, "en")
    dash_duo.wait_for_contains_text(".pillar-governance .section-title", "Smart governance", timeout=10)
    assert len(dash_duo.find_elements(".ward-map path.leaflet-interactive")) == 49
    assert len(dash_duo.find_elements(".js-plotly-plot")) == 3
    assert dash_duo.get_logs() == []


def _mark_when_drawn(dash_duo, selector: str, count: int, timeout: float = 20) -> None:
    """Mark the `count` elements of `selector` once they stay the same elements for a second (the
    charts' script draws them in steps after the page's answers have come)."""
    mark = ("const found = document.querySelectorAll(arguments[0]);"
            "const kept = Array.from(found).every(e => e.__kept); found.forEach(e => { e.__kept = true; });"
            "return found.length === arguments[1] && kept;")
    deadline = time.time() + timeout
    dash_duo.driver.execute_script(mark, selector, count)
    while time.time() < deadline:
        time.sleep(1)
        if dash_duo.driver.execute_script(mark, selector, count):
            return
    raise AssertionError(f"{selector} never settled")


def test_a_year_change_asks_for_the_cards_only(dash_duo, app):
    """The trends span every year and the map is the city's: a year change redraws the cards alone
    (one callback answer), and the charts and the map stay as drawn."""
    from data_access.kpi import compute_kpis
    from domain import periods
    from domain.formatting import format_value
    from domain.indicators import BY_CODE

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/?year=2022&lang=vi")
    _assert_values(dash_duo, "vi")
    dash_duo.wait_for_element(".ward-map path.leaflet-interactive", timeout=20)
    _mark_when_drawn(dash_duo, ".js-plotly-plot, .ward-map", count=4)
    count_posts(dash_duo)
    dash_duo.find_element("#overview-year").click()
    next(o for o in dash_duo.find_elements(".dash-dropdown-content [role=option]") if o.text.strip() == "2023").click()
    code = "services.digitised_rate"
    wanted = compute_kpis("thanh-hoa", periods.year(2023))[code]
    dash_duo.wait_for_text_to_equal(CARD.format(code), format_value(wanted, BY_CODE[code].unit, "vi"), timeout=20)
    assert wanted != compute_kpis("thanh-hoa", periods.year(2022))[code]
    # the navigation links carry the chosen year in the browser (components/shell.CARRY_PERIOD_JS)
    assert posted(dash_duo) == [f"{ids.OVERVIEW_CARDS}.children"]
    hrefs = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.nav .nav-link')).map(a => a.getAttribute('href'))")
    assert "/services?period=2023&compare=previous" in hrefs, hrefs
    assert dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot, .ward-map')).map(e => !!e.__kept);") == \
        [True] * 4
    assert dash_duo.get_logs() == []


def test_bad_year_in_url_says_so(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/?year=abc&lang=vi")
    dash_duo.wait_for_contains_text(".notice", "Bỏ qua giá trị không hợp lệ trong địa chỉ: year: 'abc'", timeout=10)
    dash_duo.wait_for_text_to_equal("#overview-year", str(city_today().year - 1), timeout=10)
    assert dash_duo.find_element(CARD.format("camera.security_total")).text != ""
    assert dash_duo.get_logs() == []


def test_unknown_url_is_a_404_page(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/khong-co-trang-nay")
    dash_duo.wait_for_text_to_equal(".not-found-code", "404", timeout=10)
    dash_duo.wait_for_contains_text(".not-found", "Không tìm thấy trang", timeout=10)
    assert dash_duo.get_logs() == []


def test_missing_database_says_so_at_login(dash_duo, offline_tiles, tmp_path):
    from app import app as dash_app
    from tests.conftest import use_databases

    use_databases(f"sqlite:///{tmp_path / 'gone-ioc.db'}", f"sqlite:///{tmp_path / 'gone-kpi.db'}")
    dash_duo.start_server(dash_app, navigate=False)
    sign_in(dash_duo, "/?lang=vi")
    dash_duo.wait_for_contains_text(".banner-error", "Không đọc được cơ sở dữ liệu", timeout=15)
    dash_duo.wait_for_contains_text(".banner-error", "manage.py demo", timeout=5)
    assert not (tmp_path / "gone-ioc.db").exists()
    logs = dash_duo.get_logs()
    assert [entry["message"] for entry in logs if "503" not in entry["message"]] == []


def test_sign_out_then_back_shows_no_data(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/?year=2022&lang=vi")
    _assert_values(dash_duo, "vi")
    dash_duo.wait_for_element("#shell-logout", timeout=10).click()
    dash_duo.wait_for_element("#username", timeout=10)
    dash_duo.driver.back()
    dash_duo.wait_for_element("#username", timeout=10)
    assert dash_duo.find_elements(".kpi-value") == []
    assert "18.000" not in dash_duo.driver.page_source
