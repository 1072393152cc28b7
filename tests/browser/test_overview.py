"""The overview in a real browser: calibrated values in both languages, 404,
and a clear banner when the database is missing."""
from __future__ import annotations

import pytest

from domain.city_time import city_today
from tests.browser.conftest import sign_in

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
