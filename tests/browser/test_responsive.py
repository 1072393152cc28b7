"""Every page on a phone (390×844, mobile emulation): nothing wider than the screen, in Vietnamese
and English, signed in as admin; the navigation folds into a menu; KPI cards one per row;
tables (data grids) scroll in their own box with the first column pinned; maps take the full width; the
language switch draws the page again in the other language.

The page's width is compared with the device's 390 px, never with `innerWidth`: a mobile
browser zooms out to fit a page that is too wide, and innerWidth grows with it (KNOWN-TRAPS)."""
from __future__ import annotations

import time

import pytest

from benchmarks.screenshots import PHONE_PAGES
from tests.browser.conftest import sign_in

PHONE = 390, 844
READY = {name: (address, ready) for name, address, ready in PHONE_PAGES}


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _phone(dash_duo) -> None:
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})


def _open(dash_duo, address: str, ready: str, lang: str) -> None:
    joiner = "&" if "?" in address else "?"
    dash_duo.driver.get(f"{dash_duo.server.url}{address}{joiner}lang={lang}")
    end = time.time() + 25
    while time.time() < end:
        if dash_duo.driver.execute_script(
                "return !!document.querySelector(arguments[0]) && !document.querySelector('[data-dash-is-loading]')",
                ready):
            time.sleep(1.0)  # charts and maps size themselves
            return
        time.sleep(0.3)
    raise AssertionError(f"{address}: {ready} never appeared")


def _width(dash_duo) -> dict:
    return dash_duo.driver.execute_script(
        "const d = document.documentElement;"
        "const wide = Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391"
        " && !e.closest('.leaflet-container, .ag-root-wrapper, .compare-table, .ops-table, .kiosk-table'))"
        ".slice(0, 3).map(e => (e.className.baseVal ?? e.className) + ' '"
        " + Math.round(e.getBoundingClientRect().right));"
        "return {page: d.scrollWidth, body: document.body.scrollWidth, viewport: innerWidth, wide: wide};")


def test_the_viewport_meta_is_set_once(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    _phone(dash_duo)
    sign_in(dash_duo, "/", role="admin")
    dash_duo.wait_for_element(".kpi-card", timeout=20)
    metas = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('meta[name=viewport]')).map(m => m.content)")
    assert metas == ["width=device-width, initial-scale=1"]
    assert dash_duo.driver.execute_script("return innerWidth") == PHONE[0]
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_page_is_wider_than_a_phone(dash_duo, app, lang):
    dash_duo.start_server(app, navigate=False)
    _phone(dash_duo)
    address, ready = READY["login"]
    _open(dash_duo, address, ready, lang)
    too_wide = {"/login": _width(dash_duo)} if _width(dash_duo)["page"] > PHONE[0] else {}
    sign_in(dash_duo, "/targets", role="admin")
    dash_duo.wait_for_element(".targets-table", timeout=20)
    views = [(address, ready) for name, (address, ready) in READY.items() if name != "login"]
    views.append(("/operations?mode=wall", ".ops-stats"))  # a wall address opened on a phone
    for address, ready in views:
        _open(dash_duo, address, ready, lang)
        found = _width(dash_duo)
        if found["page"] > PHONE[0] or found["body"] > PHONE[0]:
            too_wide[address] = found
    assert too_wide == {}
    assert dash_duo.get_logs() == []


def test_a_phone_gets_a_menu_cards_in_one_column_and_tables_in_their_own_box(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    _phone(dash_duo)
    sign_in(dash_duo, "/?year=2022&lang=vi", role="admin")
    dash_duo.wait_for_element(".kpi-card .kpi-value", timeout=20)
    # The navigation is folded into the menu button, opens on a tap and closes on the next page.
    assert not dash_duo.find_element("#shell-nav").is_displayed()
    menu = dash_duo.find_element("#shell-menu-toggle")
    assert menu.is_displayed() and menu.get_attribute("aria-expanded") == "false"
    menu.click()
    dash_duo.wait_for_element("#shell-nav .nav-link", timeout=5)
    assert dash_duo.find_element("#shell-nav").is_displayed() and menu.get_attribute("aria-expanded") == "true"
    # KPI cards one per row: every card starts at the same x and takes the panel's width.
    lefts = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.kpi-card'))"
        ".map(c => Math.round(c.getBoundingClientRect().left))")
    assert len(lefts) > 10 and len(set(lefts)) == 1
    dash_duo.driver.execute_script(
        "window.__same_document = true;"
        "Array.from(document.querySelectorAll('#shell-nav .nav-link')).find(a => a.getAttribute('href')"
        ".startsWith('/services')).click()")
    dash_duo.wait_for_element("#services-ward-table", timeout=20)
    assert not dash_duo.find_element("#shell-nav").is_displayed()
    # the link opened the page in the app (components/nav_links.py), the document was not loaded again
    assert dash_duo.driver.execute_script("return window.__same_document === true")
    # the ward dots' rates, too many for the phone side by side, take turns above and below (charts.js)
    dash_duo.wait_for_element("#services-ward-chart .textpoint text", timeout=20)
    overlaps = dash_duo.driver.execute_script("""
        const boxes = Array.from(document.querySelectorAll('#services-ward-chart .textpoint text'))
            .map(t => t.getBoundingClientRect()).filter(b => b.width > 0);
        const hits = [];
        boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
            if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
                Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1) { hits.push([a.left, b.left]); }
        }));
        return [boxes.length, hits];""")
    assert overlaps[0] >= 6 and overlaps[1] == [], overlaps
    # The ward grid scrolls sideways inside itself, its first column pinned; the page does not.
    dash_duo.wait_for_element("#services-ward-table .ag-pinned-left-cols-container .ag-cell", timeout=20)
    box = dash_duo.driver.execute_script(
        "const grid = document.querySelector('#services-ward-table .ag-root-wrapper');"
        "const scroll = grid.querySelector('.ag-body-horizontal-scroll-viewport');"
        "const pinned = grid.querySelector('.ag-pinned-left-cols-container .ag-cell');"
        "return {inner: scroll.scrollWidth, outer: scroll.clientWidth, overflow: getComputedStyle(scroll).overflowX,"
        " grid: grid.getBoundingClientRect().right, pinned: pinned.getAttribute('col-id'),"
        " page: document.documentElement.scrollWidth}")
    assert box["inner"] > box["outer"] and box["overflow"] in ("auto", "scroll")
    assert box["pinned"] == "ward" and box["grid"] <= PHONE[0] and box["page"] <= PHONE[0]
    # A map takes the whole width of the screen, less the page's margins.
    _open(dash_duo, "/map", ".leaflet-container", "vi")
    width = dash_duo.driver.execute_script("return document.querySelector('.big-map').getBoundingClientRect().width")
    assert width >= PHONE[0] - 50
    assert dash_duo.get_logs() == []


def test_the_language_switch_draws_the_page_again(dash_duo, app):
    """One mechanism for every page: the switch remembers the choice and the router draws the
    page again, so texts that no callback redraws (headings, filters, labels) change too."""
    from domain.i18n import t

    dash_duo.start_server(app, navigate=False)
    _phone(dash_duo)
    sign_in(dash_duo, "/digital?period=2022", role="admin")
    dash_duo.wait_for_text_to_equal(".page-title", t("digital.heading", "vi"), timeout=20)
    dash_duo.find_element("#shell-lang-select label:nth-child(2)").click()
    dash_duo.wait_for_text_to_equal(".page-title", t("digital.heading", "en"), timeout=20)
    assert dash_duo.driver.get_cookie("ioc_lang")["value"] == "en"
    # The next page, opened without `lang=`, is drawn in the remembered language from the start.
    dash_duo.driver.get(f"{dash_duo.server.url}/map")
    dash_duo.wait_for_text_to_equal(".page-title", t("map.heading", "en"), timeout=20)
    assert t("map.layers", "en") in dash_duo.find_element(".map-controls").get_attribute("textContent")
    assert dash_duo.get_logs() == []


def test_a_language_switch_is_one_router_request_beside_the_shell_s_and_keeps_the_address(dash_duo, app):
    """The router takes the language as an input (components/shell.ROUTING_INPUTS): the switch asks
    for the page once, with the shell's own requests, and the address's `lang=` follows without a
    navigation (through the address it waited for the address callback, and drew the wall bar twice)."""
    from domain.i18n import t

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/digital?period=2022&lang=vi", role="admin")
    dash_duo.wait_for_text_to_equal(".page-title", t("digital.heading", "vi"), timeout=20)
    time.sleep(1)
    dash_duo.driver.execute_script("""
        window.__asked = [];
        const fetched = window.fetch;
        window.fetch = function (url, options) {
            try { window.__asked.push(JSON.parse(options.body).output); } catch (e) {}
            return fetched.apply(this, arguments);
        };""")
    dash_duo.find_element("#shell-lang-select input[value='en']").click()
    dash_duo.wait_for_text_to_equal(".page-title", t("digital.heading", "en"), timeout=20)
    time.sleep(1)
    asked = dash_duo.driver.execute_script("return window.__asked;")
    assert sum("_pages_content.children" in output for output in asked) == 1, asked
    assert not any("wall-bar.children" in output for output in asked), asked  # not a wall (WALL_GATE_JS)
    address = dash_duo.driver.execute_script("return window.location.pathname + window.location.search;")
    assert address.startswith("/digital?") and "lang=en" in address and "period=2022" in address
    assert dash_duo.driver.get_cookie("ioc_lang")["value"] == "en"
    dash_duo.driver.refresh()  # the address now opens the page in the language shown
    dash_duo.wait_for_text_to_equal(".page-title", t("digital.heading", "en"), timeout=20)
    assert dash_duo.get_logs() == []


def test_a_chart_follows_its_box_when_the_screen_narrows(dash_duo, app):
    """assets/charts.js leaves a chart that already fits its box alone (dcc.Graph's late fitting laid
    out each chart again on every page load); a chart whose box changed is still fitted to it."""
    width = ("const gd = document.querySelector('#services-ward-chart .js-plotly-plot');"
             "return gd && gd._fullLayout ? Math.round(gd._fullLayout.width) : null;")
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2022")
    dash_duo.wait_for_element("#services-ward-chart .js-plotly-plot .scatterlayer .point", timeout=20)
    assert dash_duo.driver.execute_script("return window.Plotly.Plots.__iocGuarded === true")
    wide = dash_duo.driver.execute_script(width)
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 900, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    end = time.time() + 10
    while time.time() < end and (dash_duo.driver.execute_script(width) or wide) >= wide:
        time.sleep(0.2)
    narrow = dash_duo.driver.execute_script(width)
    box = dash_duo.driver.execute_script(
        "return document.querySelector('#services-ward-chart .js-plotly-plot').getBoundingClientRect().width")
    assert narrow < wide and abs(narrow - box) <= 2
    assert dash_duo.get_logs() == []


def test_a_chart_given_another_period_is_laid_out_at_the_first_try_with_its_labels_inside(dash_duo, app):
    """assets/charts.js starts a chart drawn again in its style from the margins its last drawing
    found: back on a period, the chart starts from margins its labels fit (plotly's automargin
    otherwise finds the template's too small and draws the chart a second time, ~20 ms a chart), and
    its tick labels and title still sit inside the chart."""
    charts = ("#services-ward-chart", "#services-monthly")
    state = """const out = {};
        arguments[0].forEach(function (selector) {
            const gd = document.querySelector(selector + ' .js-plotly-plot');
            const box = gd.getBoundingClientRect(), size = gd._fullLayout._size, asked = gd._fullLayout.margin;
            const texts = Array.from(gd.querySelectorAll('.xtick text, .ytick text, .y2tick text, .gtitle'));
            out[selector] = {title: (gd.layout.title || {}).text || '',
                             unfitted: ['l', 'r', 'b'].filter(function (side) { return asked[side] !== size[side]; }),
                             outside: texts.filter(function (text) {
                                 const r = text.getBoundingClientRect();
                                 return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1
                                                        || r.top < box.top - 1 || r.bottom > box.bottom + 1);
                             }).map(function (text) { return text.textContent; })};
        });
        return out;"""
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2022&lang=vi")
    dash_duo.wait_for_element("#services-ward-chart .js-plotly-plot .scatterlayer .point", timeout=20)
    first = dash_duo.driver.execute_script(state, list(charts))
    assert all("2022" in first[selector]["title"] and first[selector]["unfitted"] for selector in charts), first
    for period in ("2023", "2022"):  # there and back: each side as wide as either period needs
        dash_duo.select_dcc_dropdown("#services-period", value=period)
        end = time.time() + 20
        while time.time() < end:
            again = dash_duo.driver.execute_script(state, list(charts))
            if all(period in again[selector]["title"] for selector in charts):
                break
            time.sleep(0.2)
        time.sleep(0.5)
    again = dash_duo.driver.execute_script(state, list(charts))
    assert all("2022" in again[selector]["title"] for selector in charts), again
    assert all(again[selector]["unfitted"] == [] and again[selector]["outside"] == [] for selector in charts), again
    assert dash_duo.get_logs() == []


def test_on_a_phone_every_chart_title_fits_its_chart(dash_duo, app):
    """assets/charts.js sets a title wider than its chart smaller (plotly cut it at the chart's edge):
    /operations' charts on a phone, in the longer of the two languages' titles."""
    outside = """return Array.from(document.querySelectorAll('.js-plotly-plot')).map(function (gd) {
            const box = gd.getBoundingClientRect();
            return Array.from(gd.querySelectorAll('.gtitle')).filter(function (title) {
                const r = title.getBoundingClientRect();
                return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
            }).map(function (title) { return title.textContent; });
        }).filter(function (titles) { return titles.length; });"""
    dash_duo.start_server(app, navigate=False)
    _phone(dash_duo)
    sign_in(dash_duo, "/operations?lang=vi")
    dash_duo.wait_for_element(".ops-env-charts .js-plotly-plot .gtitle", timeout=30)
    time.sleep(1)
    assert len(dash_duo.find_elements(".js-plotly-plot .gtitle")) >= 4
    assert dash_duo.driver.execute_script(outside) == []
    assert dash_duo.get_logs() == []
