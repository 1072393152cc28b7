"""Display modes in a real browser: the public kiosk without login, wall mode with no
scrolling at 1920×1080 and 3840×2160, the wall playlist advancing and pausing on the
space bar, and the presentation deck moving with the arrow keys."""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import shown, sign_in, text_of

WALL_PAGES = ("/?year=2022", "/map", "/services?period=2022", "/digital?period=2022", "/targets", "/operations")
READY = {"/": ".kpi-card .kpi-value", "/map": ".leaflet-container", "/services": ".kpi-card",
         "/digital": ".kpi-card", "/targets": ".targets-table", "/operations": "#_pages_content > div"}


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _resize(dash_duo, width: int, height: int) -> None:
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def _pathname(dash_duo) -> str:
    return dash_duo.driver.execute_script("return window.location.pathname")


def _wait(condition, timeout: float, message: str):
    end = time.time() + timeout
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(message)


def test_public_kiosk_renders_without_login_and_rotates(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.get(f"{dash_duo.server.url}/public?every=5")
    dash_duo.wait_for_element(".kiosk-panel.active[data-panel='0'] .kiosk-card", timeout=20)
    assert _pathname(dash_duo) == "/public"
    assert not dash_duo.find_element(".app-header").is_displayed()
    assert text_of(dash_duo, ".kiosk-card[data-code='camera.security_total'] .kiosk-value") not in ("", None)
    dash_duo.wait_for_element(".kiosk-panel.active[data-panel='1']", timeout=15)
    dash_duo.wait_for_element(".kiosk-panel.active[data-panel='2']", timeout=15)
    assert len(dash_duo.find_elements(".kiosk-panel.active")) == 1
    assert dash_duo.find_elements("#username") == []  # no login form anywhere
    assert dash_duo.get_logs() == []


def test_leaving_the_kiosk_brings_the_header_back(dash_duo, app):
    """The kiosk look hangs on <html data-kiosk> (assets/display.js), which must follow the page shown:
    staff who open the kiosk from the app and go back get their header again."""
    def go(path: str) -> None:
        dash_duo.driver.execute_script(f"window.history.pushState({{}}, '', '{path}');"
                                       "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));")

    def kiosk_marked() -> bool:
        return dash_duo.driver.execute_script("return document.documentElement.hasAttribute('data-kiosk')")

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/")
    dash_duo.wait_for_element(".kpi-card .kpi-value", timeout=20)
    assert dash_duo.find_element(".app-header").is_displayed() and not kiosk_marked()
    go("/public")
    dash_duo.wait_for_element(".kiosk-card", timeout=20)
    _wait(lambda: shown(dash_duo, ".app-header") is False, 10, "the header shows on the kiosk")
    assert kiosk_marked()
    go("/")
    dash_duo.wait_for_element(".kpi-card .kpi-value", timeout=20)
    _wait(lambda: shown(dash_duo, ".app-header") is True, 10, "the header stayed hidden")
    assert not kiosk_marked()


def test_a_wall_page_with_its_own_staleness_banner_shows_only_that_one(dash_duo, app):
    """The demo's feeds end days ago: /operations says so itself, so the wall bar's banner steps back."""
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/operations?mode=wall")
    dash_duo.wait_for_element("#_pages_content .stale-banner", timeout=20)
    dash_duo.wait_for_element(".wall-bar .stale-banner", timeout=20)
    _wait(lambda: dash_duo.driver.execute_script("return document.documentElement.hasAttribute('data-page-stale')"),
          10, "no data-page-stale on a page with a staleness banner")
    _wait(lambda: shown(dash_duo, "#_pages_content .stale-banner") is True
          and shown(dash_duo, ".wall-bar .stale-banner") is False, 10,
          "the wall bar's banner shows beside the page's own, or the page's is hidden")


@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)], ids=["1080p", "2160p"])
def test_wall_mode_never_scrolls(dash_duo, app, width, height):
    import dash

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/?year=2022", role="leader")
    dash_duo.wait_for_element(".kpi-card", timeout=20)
    _resize(dash_duo, width, height)
    registered = {page["relative_path"] for page in dash.page_registry.values()}
    checked = []
    for target in WALL_PAGES:
        path = target.split("?")[0]
        if path not in registered:
            continue
        joiner = "&" if "?" in target else "?"
        dash_duo.driver.get(f"{dash_duo.server.url}{target}{joiner}mode=wall")
        dash_duo.wait_for_element("html[data-mode='wall'] .wall-clock", timeout=20)
        dash_duo.wait_for_element(READY[path], timeout=20)
        _wait(lambda: dash_duo.driver.execute_script(
            "return document.getElementById('_pages_content').dataset.zoom"), 10, f"{path} never fitted")
        measure = ("const d = document.documentElement;"
                   "const c = document.getElementById('_pages_content').getBoundingClientRect();"
                   "const m = document.querySelector('main.page').getBoundingClientRect();"
                   "return [d.scrollHeight, innerHeight, d.scrollWidth, innerWidth, c.bottom - m.bottom, c.right - m.right]")

        def fitted():
            sizes = dash_duo.driver.execute_script(measure)
            # no page scroll, and the page fitted into the screen rather than cut off
            return sizes[0] <= sizes[1] and sizes[2] <= sizes[3] and sizes[4] <= 1 and sizes[5] <= 1

        time.sleep(1.0)  # charts and maps finish drawing; the fit runs again after them
        try:
            _wait(fitted, 10, "")
        except AssertionError:
            raise AssertionError((path, width, dash_duo.driver.execute_script(measure))) from None
        assert not dash_duo.find_element(".app-header").is_displayed()
        assert dash_duo.find_element("html").get_attribute("data-theme") == "dark"
        clock = text_of(dash_duo, ".wall-clock")
        assert len(clock) == 8 and clock[2] == ":" and clock[5] == ":", clock
        checked.append(path)
    assert len(checked) >= 5
    assert dash_duo.get_logs() == []


def test_status_badges_read_without_colour(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/?year=2022&mode=wall", role="leader")
    dash_duo.wait_for_element(".kpi-status", timeout=20)
    for badge in dash_duo.find_elements(".kpi-status"):
        icon = badge.text.strip()[:1]
        assert icon in "✔⚠✖" and len(badge.text.strip()) > 3, badge.text
    assert dash_duo.get_logs() == []


def test_wall_playlist_advances_and_pauses_on_space(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/wall?views=overview,targets&every=5", role="leader")
    _wait(lambda: _pathname(dash_duo) == "/", 20, "the playlist never opened its first view")
    dash_duo.wait_for_text_to_equal(".wall-position", "1/2", timeout=10)
    _wait(lambda: _pathname(dash_duo) == "/targets", 15, "the playlist never advanced to /targets")
    dash_duo.wait_for_element(".targets-table", timeout=15)
    dash_duo.wait_for_text_to_equal(".wall-position", "2/2", timeout=10)
    dash_duo.find_element("body").send_keys(Keys.SPACE)
    dash_duo.wait_for_element("html[data-paused]", timeout=5)
    assert "⏸" in text_of(dash_duo, ".wall-status")
    time.sleep(7)
    assert _pathname(dash_duo) == "/targets"
    dash_duo.find_element("body").send_keys(Keys.SPACE)
    _wait(lambda: _pathname(dash_duo) == "/", 15, "the playlist did not resume after the second space")
    assert dash_duo.get_logs() == []


def test_wall_playlist_reports_unknown_views_and_bad_interval(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/wall?views=overview,khong-co&every=2x", role="leader")
    dash_duo.wait_for_contains_text(".wall-notice", "khong-co", timeout=15)
    notices = " ".join(element.text for element in dash_duo.find_elements(".wall-notice"))
    assert "'2x'" in notices and "30" in notices
    assert dash_duo.get_logs() == []


def test_presentation_moves_with_arrow_keys(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/present?period=2022&slides=kpi.governance,trend.dossiers,targets.table", role="staff")
    dash_duo.wait_for_element(".slide.active[data-index='0'] .slide-table", timeout=20)
    assert "99,98%" in dash_duo.find_element(".slide.active").text
    active = ".slide.active[data-index='{}']"
    body = dash_duo.find_element("body")
    body.send_keys(Keys.ARROW_RIGHT)
    dash_duo.wait_for_element(active.format(1), timeout=5)
    dash_duo.wait_for_element(active.format(1) + " .js-plotly-plot", timeout=10)
    body.send_keys(Keys.ARROW_RIGHT)
    dash_duo.wait_for_element(active.format(2), timeout=5)
    body.send_keys(Keys.ARROW_RIGHT)  # past the end stays on the last slide
    dash_duo.wait_for_element(active.format(2), timeout=5)
    body.send_keys(Keys.ARROW_LEFT)
    dash_duo.wait_for_element(active.format(1), timeout=5)
    body.send_keys(Keys.HOME)
    dash_duo.wait_for_element(active.format(0), timeout=5)
    assert len(dash_duo.find_elements(".slide.active")) == 1
    dash_duo.find_element(".deck-order li:nth-child(2) button").click()  # move the chart up: it becomes slide 1
    dash_duo.wait_for_element(".slide.active[data-index='0'][data-key='trend.dossiers']", timeout=15)
    dash_duo.wait_for_element(".slide[data-index='1'][data-key='kpi.governance']", timeout=5)
    assert dash_duo.get_logs() == []
