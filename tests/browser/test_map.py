"""The map in a real browser: what the clusters show adds up to the database,
filters and URL state change it to the database's counts, wards open their panel."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import sign_in


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
    dash_duo.find_element(f"#map-status input[value='online']").click()
    down = db_count(statuses=["offline", "maintenance"])
    assert 0 < down < total
    assert wait_for_count(dash_duo, down) == down
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
    assert "ward=14755" in dash_duo.driver.current_url
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
    paths[len(paths) // 2].click()
    link = dash_duo.wait_for_element("#map-side a.button", timeout=15)
    assert link.get_attribute("href").split("/ward/")[1].isdigit()
    assert dash_duo.find_element("#map-side h2").text.startswith(("Phường", "Xã"))
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
    assert "ward=14755" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []
