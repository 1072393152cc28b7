"""The map in a real browser: what the clusters show adds up to the database,
filters and URL state change it to the database's counts, wards open their panel,
popups speak the chosen language; the layer switches, the metric and the filters
re-style the map, its legend and its counts without one request to the server."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from data_access.map_layers import ward_period
from domain.formatting import format_number
from domain.i18n import t
from tests.browser.conftest import address_once, count_posts, posted, sign_in


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def db_count(**where) -> int:
    from data_access import models as m
    from data_access.db import connect

    c = m.Camera
    query = select(func.count()).select_from(c).where(c.city_slug == "thanh-hoa", c.kind == "security")
    if "statuses" in where:
        query = query.where(c.status.in_(where["statuses"]))
    if "ward" in where:
        query = query.where(c.ward_code == where["ward"])
    with connect("ioc") as connection:
        return connection.execute(query).scalar_one()


def drawn_count(dash_duo) -> int:
    """Points the map draws: the counts on cluster markers plus single markers."""
    return dash_duo.driver.execute_script("""
        let total = document.querySelectorAll('.big-map .point-marker').length;
        document.querySelectorAll('.big-map .marker-cluster').forEach(function (m) {
            total += parseInt((m.getAttribute('title') || '0').split(' ')[0], 10);
        });
        return total;""")


def wards_extent(dash_duo) -> float:
    """Pixels from the westmost to the eastmost ward as drawn: it grows as the map zooms in."""
    return dash_duo.driver.execute_script("""
        const rects = Array.from(document.querySelectorAll('.big-map path.leaflet-interactive'))
            .map(function (p) { return p.getBoundingClientRect(); });
        return Math.max.apply(null, rects.map(r => r.right)) - Math.min.apply(null, rects.map(r => r.left));""")


def wait_for_count(dash_duo, expected: int, timeout: float = 20) -> int:
    deadline, seen = time.time() + timeout, -1
    while time.time() < deadline:
        seen = drawn_count(dash_duo)
        if seen == expected:
            return seen
        time.sleep(0.25)
    return seen


def test_clusters_add_up_and_filters_match_the_database(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=security")
    total = db_count()
    assert total > 18_000
    assert wait_for_count(dash_duo, total) == total
    assert len(dash_duo.find_elements(".big-map .marker-cluster")) > 10
    dash_duo.find_element("#map-status input[value='online']").click()
    down = db_count(statuses=["offline", "maintenance"])
    assert 0 < down < total
    assert wait_for_count(dash_duo, down) == down
    assert dash_duo.get_logs() == []


def test_cluster_rings_show_the_share_of_cameras_down(dash_duo, app):
    """Each cluster's title says its count and its share offline or in maintenance (summed by the
    index as it is built): over all clusters, count × share adds up to the database's cameras down."""
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=security")
    total, down = db_count(), db_count(statuses=["offline", "maintenance"])
    assert wait_for_count(dash_duo, total) == total
    titles = dash_duo.driver.execute_script("""
        return Array.from(document.querySelectorAll('.big-map .marker-cluster'), m => m.getAttribute('title'));""")
    shares = [(int(title.split(" ")[0]), int(title.split(" · ")[1].split("%")[0])) for title in titles]
    singles = len(dash_duo.find_elements(".big-map .point-marker"))
    estimate = sum(count * percent / 100 for count, percent in shares)
    assert any(percent > 0 for _, percent in shares)
    # each share is rounded to a whole percent; single markers (not in a cluster) may be down too
    assert abs(estimate - down) <= 0.005 * total + singles + 1, (estimate, down)
    assert dash_duo.get_logs() == []


def test_url_state_is_restored(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=security,wards&status=offline&metric=open_incidents&ward=14755&bogus=1")
    expected = db_count(statuses=["offline"], ward="14755")
    assert wait_for_count(dash_duo, expected) == expected
    dash_duo.wait_for_contains_text("#map-side h2", "Hàm Rồng", timeout=15)
    assert dash_duo.find_element("#map-metric input[value='open_incidents']").is_selected()
    assert not dash_duo.find_element("#map-layers input[value='wifi']").is_selected()
    assert dash_duo.find_element("#map-status input[value='offline']").is_selected()
    assert not dash_duo.find_element("#map-status input[value='online']").is_selected()
    assert "ward=14755" in address_once(dash_duo, lambda address: "ward=14755" in address)
    assert dash_duo.get_logs() == []


def test_hostile_url_values_give_a_notice_not_an_error(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?metric=%3Cscript%3Ealert(1)%3C/script%3E&layers=security,nope&ward=1%27%20OR%201=1")
    dash_duo.wait_for_contains_text(".notice", "metric", timeout=15)
    assert "<script>" not in dash_duo.find_element(".notice").get_attribute("innerHTML")
    assert dash_duo.find_element("#map-metric input[value='camera_density']").is_selected()
    assert dash_duo.get_logs() == []


def test_clicking_a_ward_opens_its_panel(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=wards")
    dash_duo.wait_for_element(".big-map path.leaflet-interactive", timeout=15)
    time.sleep(1.5)
    paths = dash_duo.find_elements(".big-map path.leaflet-interactive")
    assert len(paths) == 49
    before = wards_extent(dash_duo)
    paths[len(paths) // 2].click()
    link = dash_duo.wait_for_element("#map-side a.button", timeout=15)
    # the view is on the ward at once (no flight still moving the map after the answer)
    time.sleep(0.15)
    at_once = wards_extent(dash_duo)
    time.sleep(0.6)
    assert wards_extent(dash_duo) == at_once > before
    assert link.get_attribute("href").split("/ward/")[1].isdigit()
    assert dash_duo.find_element("#map-side h2").text.startswith(("Phường", "Xã"))
    year = ward_period().year  # the panel says once which period its figures are of
    assert dash_duo.find_element("#map-side .as-of-line").text == f"Số liệu năm {year}, tính đến 31/12/{year}"
    assert dash_duo.get_logs() == []


def test_ward_page_and_unknown_ward(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/ward/14755")
    dash_duo.wait_for_text_to_equal("#ward-body h1", "Phường Hàm Rồng", timeout=15)
    dash_duo.wait_for_element(".compare-table", timeout=10)
    dash_duo.driver.get(f"{dash_duo.server.url}/ward/99999")
    dash_duo.wait_for_text_to_equal(".not-found-code", "404", timeout=15)
    assert dash_duo.get_logs() == []


def test_ward_search_ignores_diacritics(dash_duo, app):
    from selenium.webdriver.common.keys import Keys

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=wards")
    dash_duo.wait_for_element(".big-map path.leaflet-interactive", timeout=15)
    dash_duo.find_element("#map-ward").click()
    search = dash_duo.wait_for_element("input.dash-dropdown-search", timeout=10)
    search.send_keys("ham rong")
    time.sleep(0.5)
    search.send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text("#map-side h2", "Hàm Rồng", timeout=15)
    assert "ward=14755" in address_once(dash_duo, lambda address: "ward=14755" in address)
    assert dash_duo.get_logs() == []


def open_a_popup(dash_duo, timeout: float = 30) -> str:
    """Click clusters until single markers show, click one, return its popup's text."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        markers = dash_duo.find_elements(".big-map .point-marker")
        if markers:
            dash_duo.driver.execute_script("arguments[0].click();", markers[0])
            popup = dash_duo.wait_for_element(".big-map .leaflet-popup-content table.popup", timeout=10)
            return popup.get_attribute("innerText")
        clusters = dash_duo.find_elements(".big-map .marker-cluster")
        if clusters:
            dash_duo.driver.execute_script("arguments[0].click();", clusters[0])
        time.sleep(1)
    raise AssertionError("no single marker to open")


@pytest.mark.parametrize("lang, expected, absent", [
    ("en", ("Security cameras", "Status", "Maintenance", "Owner", "Ward", "Hàm Rồng"), ("Trạng thái", "Bảo trì")),
    ("vi", ("Camera an ninh", "Trạng thái", "Bảo trì", "Chủ sở hữu", "Phường/xã", "Hàm Rồng"), ("Status",)),
])
def test_popups_speak_the_chosen_language(dash_duo, app, lang, expected, absent):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, f"/map?layers=security&status=maintenance&ward=14755&lang={lang}")
    count = db_count(statuses=["maintenance"], ward="14755")
    assert count > 0 and wait_for_count(dash_duo, count) == count
    assert dash_duo.driver.execute_script("return window.iocMap.config.lang") == lang
    shown = f"{t('map.layer.security', lang)}: {format_number(count, lang)}"
    dash_duo.wait_for_text_to_equal("#map-count-security", shown, timeout=10)
    text = open_a_popup(dash_duo)
    assert all(word in text for word in expected), text
    assert not any(word in text for word in absent), text
    assert dash_duo.get_logs() == []


WARD_FILLS = "return Array.from(document.querySelectorAll('.big-map path.leaflet-interactive'))" \
             ".map(p => p.getAttribute('fill'));"


def posts_during(dash_duo, act, settle: float = 1.5) -> int:
    """The callback requests the page sends while `act` runs and for `settle` seconds after (the
    header's alert count, asked on a timer whatever the page does, left out)."""
    from components import ids

    count_posts(dash_duo)
    act()
    time.sleep(settle)
    return len([output for output in posted(dash_duo) if ids.ALERT_BADGE not in output])


def wait_until(dash_duo, check, timeout: float = 10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()


def expected_fills(metric: str) -> list[str]:
    from components.ward_map import class_breaks, colour_for
    from data_access.map_layers import metric_values, ward_metrics

    values = metric_values(ward_metrics("thanh-hoa"), metric)
    breaks = class_breaks(list(values.values()))
    return sorted(colour_for(value, breaks) for value in values.values())


def shown_count(layer: str, city: str = "thanh-hoa", **chosen) -> int:
    """Points of a layer the chosen filter values keep, counted from its query."""
    from data_access.map_layers import layer_points
    from domain import map_layers as registry

    points = layer_points(city, layer)
    for use, column in registry.point_layer(layer).filters:
        if use in chosen:
            points = points[points[column].isin(chosen[use])]
    return len(points)


def click(dash_duo, selector: str):
    return lambda: dash_duo.find_element(selector).click()


def test_styling_and_filtering_ask_the_server_nothing(dash_duo, app):
    """Issue #21: metric, ward layer, point layers and every filter change the choropleth, the
    legend and the counts in the browser alone; the counts are written as vi-VN writes them."""
    from domain import map_layers as registry

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map")
    dash_duo.wait_for_element(".big-map path.leaflet-interactive", timeout=15)
    count_text = lambda layer, n: f"{t(f'map.layer.{layer}', 'vi')}: {format_number(n, 'vi')}"  # noqa: E731
    security, wifi = shown_count("security"), shown_count("wifi")
    dash_duo.wait_for_text_to_equal("#map-count-security", count_text("security", security), timeout=20)
    assert "." in format_number(security, "vi")
    dash_duo.wait_for_text_to_equal("#map-legend .legend-unit", t("map.metric.camera_density", "vi"), timeout=10)
    assert wait_until(dash_duo, lambda: sorted(dash_duo.driver.execute_script(WARD_FILLS))
                      == expected_fills("camera_density"))
    time.sleep(1.5)  # the page's own first callbacks are over

    assert posts_during(dash_duo, click(dash_duo, "#map-metric input[value='open_incidents']")) == 0
    dash_duo.wait_for_text_to_equal("#map-legend .legend-unit", t("map.metric.open_incidents", "vi"), timeout=5)
    assert sorted(dash_duo.driver.execute_script(WARD_FILLS)) == expected_fills("open_incidents")
    address = address_once(dash_duo, lambda address: "metric=open_incidents" in address)
    assert "ward=" not in address and "metric=open_incidents" in address

    assert posts_during(dash_duo, click(dash_duo, "#map-layers input[value='wards']")) == 0
    assert set(dash_duo.driver.execute_script(WARD_FILLS)) == {"transparent"}
    assert posts_during(dash_duo, click(dash_duo, "#map-layers input[value='wards']")) == 0
    assert sorted(dash_duo.driver.execute_script(WARD_FILLS)) == expected_fills("open_incidents")

    assert posts_during(dash_duo, click(dash_duo, "#map-layers input[value='wifi']")) == 0
    assert wait_until(dash_duo, lambda: not dash_duo.find_elements("#map-count-wifi"))
    assert posts_during(dash_duo, click(dash_duo, "#map-layers input[value='wifi']")) == 0
    dash_duo.wait_for_text_to_equal("#map-count-wifi", count_text("wifi", wifi), timeout=10)

    chosen = {item.name: list(item.values) for item in registry.FILTERS}
    for use, value in [("status", "online"), ("owner", "socialised"), ("provider", "VNPT"), ("ap_kind", "free_wifi")]:
        chosen[use].remove(value)
        selector = f"#map-{use.replace('_', '-')} input[value='{value}']"
        assert posts_during(dash_duo, click(dash_duo, selector)) == 0, use
        layer = "security" if use in ("status", "owner") else "wifi"
        expected = shown_count(layer, **chosen)
        assert 0 < expected < (security if layer == "security" else wifi)
        dash_duo.wait_for_text_to_equal(f"#map-count-{layer}", count_text(layer, expected), timeout=10)
        on_the_map = shown_count("security", **chosen) + shown_count("wifi", **chosen)
        assert wait_for_count(dash_duo, on_the_map) == on_the_map
    assert dash_duo.get_logs() == []


def test_english_counts_and_legend(dash_duo, app):
    """The legend and the counts are drawn in the browser from the config, in the page's language."""
    from components.ward_map import class_breaks
    from data_access.map_layers import metric_values, ward_metrics

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=wards,security&lang=en&metric=ap_per_1000_households")
    total = shown_count("security")
    dash_duo.wait_for_text_to_equal("#map-count-security", f"Security cameras: {format_number(total, 'en')}",
                                    timeout=20)
    assert "," in format_number(total, "en")
    dash_duo.wait_for_text_to_equal("#map-legend .legend-unit", t("map.metric.ap_per_1000_households", "en"))
    breaks = class_breaks(list(metric_values(ward_metrics("thanh-hoa"), "ap_per_1000_households").values()))
    rows = [row.text for row in dash_duo.find_elements("#map-legend .map-legend > div:not(.legend-unit)")]
    assert rows[0] == f"{format_number(0, 'en', 1)}–{format_number(breaks[0], 'en', 1)}"
    assert rows[-1] == f"{format_number(breaks[-2], 'en', 1)}–{format_number(breaks[-1], 'en', 1)}"
    legend = dash_duo.find_element("#map-legend").text
    assert "No data" in legend and "Online" in legend and "Không có dữ liệu" not in legend
    assert dash_duo.get_logs() == []


@pytest.fixture(scope="module")
def two_cities(tmp_path_factory, demo_urls):
    """Databases with Thanh Hóa's and Chí Linh's demo data (the session's demo has one city)."""
    from tests.conftest import build_cities, create_test_users, use_databases

    urls = build_cities(tmp_path_factory.mktemp("map-cities"), ("thanh-hoa", "chi-linh"))
    create_test_users()
    yield urls
    use_databases(*demo_urls)


def test_the_page_holds_its_citys_map_and_asks_the_server_only_for_another_city(dash_duo, two_cities,
                                                                                 offline_tiles):
    """Issue #21: opening /map, or drawing it again in the other language, asks the server nothing
    for the map (the layout holds the city's wards, their metrics and the side panel). Another city
    is asked for once, and the next visit draws that city from the start (the city cookie)."""
    from app import app
    from components import ids
    from data_access.places import wards_frame
    from tests.conftest import use_databases

    use_databases(*two_cities)
    wards = {city: len(wards_frame(city)) for city in ("thanh-hoa", "chi-linh")}
    assert wards["thanh-hoa"] != wards["chi-linh"]
    drawn = lambda: len(dash_duo.find_elements(".big-map path.leaflet-interactive"))  # noqa: E731
    asked_for_map = lambda: [o for o in posted(dash_duo) if ids.MAP_CONFIG in o or ids.MAP_SIDE in o]  # noqa: E731

    dash_duo.start_server(app, navigate=False)
    count_posts(dash_duo, from_page_load=True)
    sign_in(dash_duo, "/map")
    assert wait_until(dash_duo, lambda: drawn() == wards["thanh-hoa"], timeout=20)
    dash_duo.wait_for_text_to_equal(f"#{ids.MAP_SIDE} p.muted", t("map.click_ward", "vi"), timeout=10)
    time.sleep(1)
    assert asked_for_map() == []

    dash_duo.find_element(f"#{ids.CITY_SELECT}").click()
    dash_duo.wait_for_element(".dash-dropdown-content [role=option]", timeout=10)
    option = next(o for o in dash_duo.find_elements(".dash-dropdown-content [role=option]")
                  if o.text.strip() == "TP Chí Linh")
    count_posts(dash_duo)
    option.click()
    assert wait_until(dash_duo, lambda: drawn() == wards["chi-linh"], timeout=20)
    time.sleep(1)
    assert len([o for o in asked_for_map() if ids.MAP_CONFIG in o]) == 1

    dash_duo.driver.get(f"{dash_duo.server.url}/map")
    assert wait_until(dash_duo, lambda: drawn() == wards["chi-linh"], timeout=20)
    time.sleep(1)
    assert asked_for_map() == []

    dash_duo.find_element(f"#{ids.LANG_SELECT} input[value='en']").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.MAP_TITLE}", t("map.heading", "en"), timeout=10)
    assert wait_until(dash_duo, lambda: drawn() == wards["chi-linh"], timeout=20)
    dash_duo.wait_for_text_to_equal(f"#{ids.MAP_SIDE} p.muted", t("map.click_ward", "en"), timeout=10)
    time.sleep(1)
    translated = asked_for_map()  # the page translated in place: its words, Chí Linh's map in English
    assert len(translated) == 1 and ids.MAP_LANG in translated[0]
    assert dash_duo.driver.execute_script("return window.iocMap.config.city") == "chi-linh"
    assert dash_duo.get_logs() == []


# Holds back the server's answers that bring a city's map (their output names the map config) until
# `window.__release()`.
HOLD_CITY_MAP = """
    window.__held = [];
    const fetched = window.fetch;
    window.fetch = function (input, init) {
        const url = typeof input === 'string' ? input : input.url;
        const body = (init && init.body) || '';
        if (url.indexOf('_dash-update-component') >= 0 && body.indexOf('%s') >= 0) {
            return new Promise(function (resolve) { window.__held.push(resolve); }).then(function () {
                return fetched(input, init);
            });
        }
        return fetched.apply(this, arguments);
    };
    window.__release = function () { window.__held.splice(0).forEach(function (go) { go(); }); };"""


def test_another_citys_points_are_drawn_while_the_server_makes_its_map(dash_duo, two_cities, offline_tiles):
    """Issue #21: on a city switch the browser draws the new city's point layers from their data at once
    (supercluster indexes its cameras meanwhile), without waiting for the server's answer with the city's
    wards and side panel; when that answer comes, the layers are not handed again."""
    from app import app
    from components import ids
    from data_access.places import wards_frame
    from tests.conftest import use_databases

    use_databases(*two_cities)
    cameras = {city: shown_count("security", city) for city in ("thanh-hoa", "chi-linh")}
    assert cameras["thanh-hoa"] != cameras["chi-linh"]
    wards = {city: len(wards_frame(city)) for city in ("thanh-hoa", "chi-linh")}
    drawn_wards = lambda: len(dash_duo.find_elements(".big-map path.leaflet-interactive"))  # noqa: E731
    count_text = lambda city: f"{t('map.layer.security', 'vi')}: {format_number(cameras[city], 'vi')}"  # noqa: E731

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?city=thanh-hoa&lang=vi")
    dash_duo.wait_for_text_to_equal("#map-count-security", count_text("thanh-hoa"), timeout=20)
    assert wait_until(dash_duo, lambda: drawn_wards() == wards["thanh-hoa"], timeout=20)
    dash_duo.driver.execute_script(HOLD_CITY_MAP % ids.MAP_CONFIG)
    dash_duo.find_element(f"#{ids.CITY_SELECT}").click()
    dash_duo.wait_for_element(".dash-dropdown-content [role=option]", timeout=10)
    next(o for o in dash_duo.find_elements(".dash-dropdown-content [role=option]")
         if o.text.strip() == "TP Chí Linh").click()

    dash_duo.wait_for_text_to_equal("#map-count-security", count_text("chi-linh"), timeout=20)
    assert dash_duo.driver.execute_script("return window.__held.length") == 1
    assert drawn_wards() == wards["thanh-hoa"]  # the city's wards are still on their way
    camera_data = f"(function () {{ {CAMERA_LAYER_PROPS} }})().data"
    assert dash_duo.driver.execute_script(f"window.__drawn = {camera_data}; return window.__drawn.features.length;") \
        == cameras["chi-linh"]

    dash_duo.driver.execute_script("window.__release();")
    assert wait_until(dash_duo, lambda: drawn_wards() == wards["chi-linh"], timeout=20)
    time.sleep(1)
    assert dash_duo.driver.execute_script(f"return {camera_data} === window.__drawn;")  # not handed again
    assert dash_duo.find_element("#map-count-security").text == count_text("chi-linh")
    assert dash_duo.get_logs() == []


# The store's props of the camera layer (dash-leaflet's GeoJSON): its `data` is what supercluster indexes.
CAMERA_LAYER_PROPS = """
    const state = window.store.getState();
    const entry = (state.paths.objs['layer,type'] || []).find(e => e.values.indexOf('security') >= 0);
    let node = state.layout;
    entry.path.forEach(function (key) { node = node[key]; });
    return node.props;"""


def test_a_language_switch_translates_the_map_in_place(dash_duo, app):
    """Issue #21: a language switch keeps the map mounted (the same Leaflet map, the camera layer's data
    not handed again, so supercluster does not index 20,000 cameras anew) and the page then reads in
    the new language: controls, counts, legend, side panel, the cluster markers' titles."""
    from components import ids

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/map?layers=wards,security&ward=14755")
    total = db_count(ward="14755")
    dash_duo.wait_for_text_to_equal("#map-count-security",
                                    f"{t('map.layer.security', 'vi')}: {format_number(total, 'vi')}", timeout=20)
    assert wait_for_count(dash_duo, total) == total
    ward_data = ("const state = window.store.getState(); let node = state.layout;"
                 f"state.paths.strs[{ids.MAP_WARDS!r}].forEach(function (key) {{ node = node[key]; }});"
                 "return node.props.data;")
    dash_duo.driver.execute_script("window.__kept = document.querySelector('.big-map');"
                                   f"window.__data = (function () {{ {CAMERA_LAYER_PROPS} }})().data;"
                                   f"window.__wards = (function () {{ {ward_data} }})();")
    requests = posts_during(dash_duo, click(dash_duo, f"#{ids.LANG_SELECT} input[value='en']"))

    dash_duo.wait_for_text_to_equal("#map-count-security",
                                    f"{t('map.layer.security', 'en')}: {format_number(total, 'en')}", timeout=10)
    dash_duo.wait_for_text_to_equal(f"#{ids.MAP_TITLE}", t("map.heading", "en"))
    heading = dash_duo.find_element(f"#{ids.MAP_HEADING_PREFIX}layers").get_attribute("textContent")
    assert heading == t("map.layers", "en")
    assert t("map.layer.security", "en") in dash_duo.find_element(f"#{ids.MAP_LAYERS}").text
    assert t("ward.population", "en") in dash_duo.find_element(f"#{ids.MAP_SIDE}").text
    assert t("map.no_data", "en") in dash_duo.find_element(f"#{ids.MAP_LEGEND}").text
    titles = wait_until(dash_duo, lambda: [m.get_attribute("title") for m in
                                           dash_duo.find_elements(".big-map .marker-cluster")])
    assert titles and all(title.endswith(t("map.cluster_down", "en")) for title in titles), titles
    assert dash_duo.driver.execute_script("return document.querySelector('.big-map') === window.__kept")
    assert dash_duo.driver.execute_script(f"return (function () {{ {CAMERA_LAYER_PROPS} }})().data === window.__data")
    assert dash_duo.driver.execute_script(f"return (function () {{ {ward_data} }})() === window.__wards")
    assert drawn_count(dash_duo) == total
    assert wait_until(dash_duo, lambda: dash_duo.driver.title == t("title.map", "en")), dash_duo.driver.title
    # A ward's tooltip, bound before the switch, reads in the English number format.
    shown = dash_duo.driver.execute_script(
        "const path = document.querySelectorAll('.big-map path.leaflet-interactive')[0];"
        "path.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, view: window}));"
        "const tip = document.querySelector('.big-map .leaflet-tooltip'); return tip && tip.textContent;")
    metric = dash_duo.find_element(f"#{ids.MAP_METRIC} input:checked").get_attribute("value")
    wards = dash_duo.driver.execute_script("return window.__wards.features.map(f => f.properties);")
    expected = {f"{w['name']}: {format_number(w['values'][metric], 'en', 1)}" for w in wards}
    assert shown in expected, (shown, sorted(expected)[:3])
    assert requests <= 3  # the router (keeping the page), the shell's texts, the map's texts
    assert dash_duo.get_logs() == []
