"""One period across pages, in a real browser: `?year=` read as the period, a period chosen on
the overview carried by the navigation to /services and back, a page opened without a period
taking the tab's, invalid values ignored with a notice, and every period, date and number on
the KPI pages written for people in both languages (screenshots at 1920×1080)."""
from __future__ import annotations

import os
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from domain.city_time import city_today
from tests.browser.conftest import count_posts, posted, sign_in
from tests.browser.test_kpi_pages import _db_value

CARD = ".kpi-card[data-code='{}'] .kpi-value"
DELTA = ".kpi-card[data-code='{}'] .kpi-delta"
# What must never reach a leader's screen: a period key, or plotly's SI thousands.
PERIOD_KEY = re.compile(r"\b20\d\d-(Q[1-4]|\d\d)\b")
SI_TICK = re.compile(r"^[−-]?\d+(\.\d+)?[kMG]$")


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _open(dash_duo, app, path: str) -> None:
    """Start the app and sign in on `path`."""
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, path)


def _query(dash_duo) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}


def _wait(condition, timeout: float = 10, message: str = "") -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, message
        time.sleep(0.1)


def _nav_href(dash_duo, text: str) -> str:
    """Where the navigation link named `text` goes (read in one go: the shell redraws the links)."""
    return dash_duo.driver.execute_script(
        "const link = Array.from(document.querySelectorAll('.nav .nav-link'))"
        ".find(a => a.textContent === arguments[0]); return link ? link.getAttribute('href') : '';", text)


def _click_nav_once_it_carries(dash_duo, text: str, query: str) -> None:
    """Click a navigation link after it has picked up the tab's period."""
    _wait(lambda: query in _nav_href(dash_duo, text), message=f"the {text!r} link never carried {query}")
    dash_duo.find_element(f".nav .nav-link[href='{_nav_href(dash_duo, text)}']").click()


def test_services_reads_year_as_the_period(dash_duo, app):
    _open(dash_duo, app, "/services?year=2022&lang=vi")
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"), "5.849", timeout=20)
    dash_duo.wait_for_contains_text(DELTA.format("services.level3_dossiers"), "so với 2021", timeout=10)
    dash_duo.wait_for_text_to_equal("#services-period", "2022", timeout=10)
    _wait(lambda: _query(dash_duo).get("period") == "2022" and "year" not in _query(dash_duo),
          message="the address should say period=2022 instead of year=2022")
    assert dash_duo.find_elements(".notice") == []
    assert dash_duo.get_logs() == []


def test_a_year_chosen_on_the_overview_travels_and_stays(dash_duo, app):
    _open(dash_duo, app, "/?lang=vi")
    dash_duo.wait_for_text_to_equal("#overview-year", str(city_today().year - 1), timeout=20)
    dash_duo.select_dcc_dropdown("#overview-year", value="2022")
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), "18.000", timeout=20)
    _click_nav_once_it_carries(dash_duo, "Dịch vụ công", "period=2022")
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"), "5.849", timeout=20)
    dash_duo.wait_for_text_to_equal("#services-period", "2022", timeout=10)
    _click_nav_once_it_carries(dash_duo, "Tổng quan", "period=2022")
    dash_duo.wait_for_text_to_equal("#overview-year", "2022", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), "18.000", timeout=20)
    dash_duo.driver.back()  # to /services
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"), "5.849", timeout=20)
    dash_duo.driver.back()  # to the overview where 2022 was chosen
    dash_duo.wait_for_text_to_equal("#overview-year", "2022", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), "18.000", timeout=20)
    _wait(lambda: _query(dash_duo).get("period") == "2022", message="the overview's address lost period=2022")
    assert dash_duo.get_logs() == []


def test_a_quarter_travels_with_its_comparison_and_a_bare_address_takes_it(dash_duo, app):
    _open(dash_duo, app, "/services?period=2022-Q3&compare=last_year&lang=vi")
    dash_duo.wait_for_contains_text(DELTA.format("services.level3_dossiers"), "so với Quý 3/2021", timeout=20)
    _click_nav_once_it_carries(dash_duo, "Chuyển đổi số", "period=2022-Q3&compare=last_year")
    dash_duo.wait_for_text_to_equal(CARD.format("docs.sent"), _db_value("docs.sent", "2022-Q3"), timeout=20)
    dash_duo.wait_for_text_to_equal("#digital-period", "Quý 3/2022", timeout=10)
    # The overview shows the quarter's year and leaves the tab's quarter alone.
    _click_nav_once_it_carries(dash_duo, "Tổng quan", "period=2022-Q3")
    dash_duo.wait_for_text_to_equal("#overview-year", "2022", timeout=20)
    # An address typed without a period (same tab, so the same session) opens on the tab's period.
    dash_duo.driver.get(f"{dash_duo.server.url}/services")
    dash_duo.wait_for_text_to_equal("#services-period", "Quý 3/2022", timeout=20)
    dash_duo.wait_for_contains_text(DELTA.format("services.level3_dossiers"), "so với Quý 3/2021", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"),
                                    _db_value("services.level3_dossiers", "2022-Q3"), timeout=20)
    _wait(lambda: _query(dash_duo) == {"period": "2022-Q3", "compare": "last_year"},
          message="the address should show the period the page took from the tab")
    # The overview opened bare takes the year of the tab's quarter.
    dash_duo.driver.get(f"{dash_duo.server.url}/")
    dash_duo.wait_for_text_to_equal("#overview-year", "2022", timeout=20)
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), "18.000", timeout=20)
    # The deck takes a quarter too.
    _click_nav_once_it_carries(dash_duo, "Trình chiếu", "period=2022-Q3")
    dash_duo.wait_for_text_to_equal("#present-period", "Quý 3/2022", timeout=20)
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("path, controls", [("/services?period=2022", "services-period"),
                                            ("/digital?period=2022-Q3", "digital-period"),
                                            ("/?year=2022", "overview-year")])
def test_a_page_opening_on_its_address_period_asks_the_server_nothing_for_its_controls(dash_duo, app, path,
                                                                                        controls):
    """The controls are drawn with the address's period; restoring the tab's is done in the browser,
    so the page's figures are asked for at once, not after a round trip for the controls."""
    dash_duo.start_server(app, navigate=False)
    count_posts(dash_duo, from_page_load=True)
    sign_in(dash_duo, path)
    dash_duo.wait_for_element(".kpi-card .kpi-value", timeout=20)
    time.sleep(1)
    asked = posted(dash_duo)
    assert any("cards" in output or "body" in output for output in asked), asked
    assert not [output for output in asked if f"{controls}.value" in output or f"{controls}-kind" in output], asked
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("path, selector", [("/services", "#services-period"), ("/digital", "#digital-period"),
                                            ("/", "#overview-year")])
def test_a_bad_year_is_ignored_with_a_notice(dash_duo, app, path, selector):
    _open(dash_duo, app, f"{path}?year=1999&lang=vi")
    dash_duo.wait_for_contains_text(".notice", "Bỏ qua giá trị không hợp lệ trong địa chỉ: year: '1999'", timeout=20)
    dash_duo.wait_for_text_to_equal(selector, str(city_today().year - 1), timeout=10)
    assert dash_duo.find_elements(".banner-error") == []
    assert dash_duo.get_logs() == []


def test_a_future_period_is_ignored_with_a_notice(dash_duo, app):
    future = f"{city_today().year + 1}-Q1"
    _open(dash_duo, app, f"/digital?period={future}&lang=vi")
    dash_duo.wait_for_contains_text(".notice", f"period: '{future}'", timeout=20)
    assert dash_duo.get_logs() == []


def _axis_ticks(dash_duo) -> list[str]:
    """The tick labels of every chart, read in one go (plotly redraws them at will)."""
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot .xtick text, .js-plotly-plot .ytick text'))"
        ".map(tick => tick.textContent)")


def _viewport(dash_duo, width: int, height: int) -> None:
    """The page's own area at width × height (the window is larger by its frame)."""
    dash_duo.driver.set_window_size(width, height)
    frame = dash_duo.driver.execute_script("return [window.outerWidth - window.innerWidth,"
                                           " window.outerHeight - window.innerHeight]")
    dash_duo.driver.set_window_size(width + frame[0], height + frame[1])


def _looked_at(dash_duo, folder: str, name: str) -> None:
    """A screenshot of the page as it is, and what it must not show: a period key, an SI tick."""
    time.sleep(0.5)  # let the charts finish drawing their ticks
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    dash_duo.driver.save_screenshot(os.path.join(folder, f"{name}.png"))
    charts = dash_duo.find_elements(".js-plotly-plot")
    if charts:
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", charts[-1])
        dash_duo.driver.save_screenshot(os.path.join(folder, f"{name}-charts.png"))
    text = dash_duo.find_element("body").text
    assert not PERIOD_KEY.search(text), f"{name}: {PERIOD_KEY.search(text).group()!r} is shown"
    ticks = _axis_ticks(dash_duo)
    assert [tick for tick in ticks if SI_TICK.match(tick)] == [], f"{name}: SI ticks"


# What each language writes: a quarter, a month on an axis, a month range, numbers.
WRITTEN = {
    "vi": {"quarter": "Quý 3/2022", "month_tick": "T7", "month": "Tháng 11/2022",
           "months": "Tháng 11/2022\u2013Tháng 12/2022", "period": "Kỳ", "level3": "5.849", "cameras": "18.000",
           "tick": "10.000", "services": "Dịch vụ công"},
    "en": {"quarter": "Q3 2022", "month_tick": "Jul", "month": "Nov 2022", "months": "Nov 2022 \u2013 Dec 2022",
           "period": "Period", "level3": "5,849", "cameras": "18,000", "tick": "10,000", "services": "Public services"},
}


def _titles(dash_duo) -> str:
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.gtitle')).map(title => title.textContent).join(' | ')")


@pytest.mark.parametrize("lang", sorted(WRITTEN))
def test_kpi_pages_write_periods_dates_and_numbers_for_people(dash_duo, app, tmp_path, lang):
    """/, /services, /digital and /present at 1920×1080 (screenshots kept in $SCREENSHOTS when set):
    periods, months and thousands written for people, no period key and no '5k' on the page or its axes."""
    folder, words = os.environ.get("SCREENSHOTS") or str(tmp_path), WRITTEN[lang]
    dash_duo.start_server(app, navigate=False)
    _viewport(dash_duo, 1920, 1080)
    sign_in(dash_duo, f"/?year=2022&lang={lang}")
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), words["cameras"], timeout=20)
    _wait(lambda: words["tick"] in _axis_ticks(dash_duo), timeout=20, message="no grouped thousands on the axes")
    _looked_at(dash_duo, folder, f"overview-{lang}")
    _click_nav_once_it_carries(dash_duo, words["services"], "period=2022")
    dash_duo.wait_for_text_to_equal(CARD.format("services.level3_dossiers"), words["level3"], timeout=20)
    _wait(lambda: words["month_tick"] in _axis_ticks(dash_duo), timeout=20, message="no month on the month axis")
    _looked_at(dash_duo, folder, f"services-{lang}")
    dash_duo.driver.get(f"{dash_duo.server.url}/services?period=2022-Q3&lang={lang}")
    dash_duo.wait_for_text_to_equal("#services-period", words["quarter"], timeout=20)
    _wait(lambda: words["quarter"] in _titles(dash_duo), timeout=20, message="no chart title names the quarter")
    _looked_at(dash_duo, folder, f"services-quarter-{lang}")
    dash_duo.driver.get(f"{dash_duo.server.url}/digital?period=2022&lang={lang}")
    dash_duo.wait_for_text_to_equal(CARD.format("infra.fibre_km"), "273 km", timeout=20)
    _looked_at(dash_duo, folder, f"digital-{lang}")
    dash_duo.driver.get(f"{dash_duo.server.url}/digital?period=2022-11..2022-12&lang={lang}")
    dash_duo.wait_for_text_to_equal("#digital-period", words["month"], timeout=20)
    dash_duo.wait_for_contains_text("#digital-units-title", words["months"], timeout=20)
    _looked_at(dash_duo, folder, f"digital-months-{lang}")
    dash_duo.driver.get(f"{dash_duo.server.url}/present?period=2022-Q3&lang={lang}")
    dash_duo.wait_for_contains_text(".slide.active .slide-meta", f"{words['period']}: {words['quarter']}", timeout=30)
    _looked_at(dash_duo, folder, f"present-{lang}")
    assert dash_duo.get_logs() == []
