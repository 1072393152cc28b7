"""The map page draws a city's map in its layout: the city it is asked for (the address's, else the
one this browser chose last, kept in a cookie by the city selector), and the browser asks the
server for another city only when the shell's is not the one drawn (issue #21)."""
from __future__ import annotations

import pytest

from components import ids
from components.shell import CITY_COOKIE, request_city
from tests.clientside import NO_UPDATE, run_script
from tests.layouts import find

CITIES = [{"slug": "thanh-hoa"}, {"slug": "chi-linh"}]


@pytest.mark.parametrize("asked, cookie, expected", [
    ("chi-linh", None, "chi-linh"),
    (["chi-linh", "thanh-hoa"], None, "chi-linh"),
    (None, "chi-linh", "chi-linh"),
    ("chi-linh", "thanh-hoa", "chi-linh"),
    ("atlantis", "chi-linh", "chi-linh"),
    ("atlantis", "<script>", "thanh-hoa"),
    (None, None, "thanh-hoa"),
])
def test_a_layout_is_drawn_for_the_asked_else_the_remembered_else_the_default_city(monkeypatch, asked, cookie,
                                                                                   expected):
    from app import server
    from components import shell

    monkeypatch.setattr(shell, "list_cities", lambda: CITIES)
    monkeypatch.setenv("DEFAULT_CITY", "thanh-hoa")
    headers = {"Cookie": f"{CITY_COOKIE}={cookie}"} if cookie else {}
    with server.test_request_context("/map", headers=headers):
        assert request_city(asked) == expected


@pytest.mark.parametrize("city, config, asked, expected", [
    ("thanh-hoa", {"city": "thanh-hoa"}, None, NO_UPDATE),   # the drawn city: nothing to ask
    ("chi-linh", {"city": "thanh-hoa"}, None, "chi-linh"),    # another: ask once
    ("chi-linh", {"city": "thanh-hoa"}, "chi-linh", NO_UPDATE),  # asked already, its answer on the way
    ("thanh-hoa", {"city": "thanh-hoa"}, "chi-linh", "thanh-hoa"),  # back before that answer came
    ("thanh-hoa", None, None, "thanh-hoa"),                   # nothing drawn (the database was down)
    (None, {"city": "thanh-hoa"}, None, NO_UPDATE),
])
def test_the_browser_asks_for_a_city_only_when_it_is_not_the_one_drawn_or_asked(city, config, asked, expected):
    from pages.map import CITY_GUARD_JS

    assert run_script(CITY_GUARD_JS, city, config, asked) == expected


def _props(layout, wanted: str) -> dict:
    return find(layout, wanted).to_plotly_json()["props"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_layout_holds_the_citys_map_and_its_panel(client_as, lang):
    """What the city callback would answer, and the side panel of no ward with the city's view."""
    from app import server
    from pages import map as map_page

    client_as("staff")
    with server.test_request_context(f"/map?lang={lang}"):
        drawn = map_page.layout(lang=lang, city="thanh-hoa")
        config, wards, options = map_page.city_map("thanh-hoa", lang)
        panel, viewport = map_page.ward_panel(None, "thanh-hoa", lang)
    assert _props(drawn, ids.MAP_CONFIG)["data"]["city"] == "thanh-hoa"
    assert _props(drawn, ids.MAP_WARDS)["data"] == wards and len(wards["features"]) == len(options) > 0
    assert _props(drawn, ids.MAP_WARD)["options"] == options
    view = _props(drawn, ids.MAP)
    assert view["bounds"] == viewport["bounds"] and "viewport" not in view and "zoom" not in view
    assert _props(drawn, ids.MAP_SIDE)["children"][0].children == panel[0].children
    assert _props(drawn, ids.MAP_CITY).get("data") is None  # nothing asked for yet


def test_an_addresss_ward_is_drawn_in_its_city_with_the_view_on_it(client_as):
    from app import server
    from data_access.places import wards_frame
    from pages import map as map_page

    client_as("staff")
    ward = str(wards_frame("thanh-hoa")["gso_code"].iloc[3])
    with server.test_request_context(f"/map?ward={ward}"):
        drawn = map_page.layout(ward=ward, city="atlantis")
        panel, viewport = map_page.ward_panel(ward, "thanh-hoa", "vi")
    assert _props(drawn, ids.MAP)["bounds"] == viewport["bounds"]
    assert _props(drawn, ids.MAP_WARD)["value"] == ward
    assert _props(drawn, ids.MAP_SIDE)["children"][0].children == panel[0].children  # the ward's name
    assert _props(drawn, ids.MAP_CONFIG)["data"]["city"] == "thanh-hoa"


def test_a_city_or_a_ward_is_one_answer_and_a_ward_sends_no_city_map(client_as, monkeypatch):
    """`show_city_or_ward`: another city is its map, its panel and its view in one answer (two requests
    before); a ward chosen is its panel and view alone; a database that cannot be read is the panel's
    error, the map left as it is for a ward."""
    import dash

    from app import server
    from data_access.db import DatabaseUnavailable
    from data_access.places import wards_frame
    from pages import map as map_page
    from tests.callbacks import triggered_by

    client_as("staff")
    ward = str(wards_frame("thanh-hoa")["gso_code"].iloc[3])
    with server.test_request_context("/map"):
        with triggered_by(f"{ids.MAP_CITY}.data"):
            config, wards, options, side, view = map_page.show_city_or_ward(None, "thanh-hoa", "chi-linh", "en")
        expected = map_page.city_map("thanh-hoa", "en")
        panel, viewport = map_page.ward_panel(None, "thanh-hoa", "en")
        assert (config, wards, options) == expected and side[0].children == panel[0].children
        assert view == viewport
        with triggered_by(f"{ids.MAP_WARD}.value"):
            answer = map_page.show_city_or_ward(ward, None, "thanh-hoa", "vi")
        assert answer[:3] == (dash.no_update,) * 3
        assert answer[3][0].children == map_page.ward_panel(ward, "thanh-hoa", "vi")[0][0].children

        def unreadable(*_args):
            raise DatabaseUnavailable("down")

        monkeypatch.setattr(map_page, "ward_metrics", unreadable)
        with triggered_by(f"{ids.MAP_WARD}.value"):
            answer = map_page.show_city_or_ward(ward, None, "thanh-hoa", "vi")
        assert answer[:3] == (dash.no_update,) * 3 and answer[3].children == "down" and answer[4] is dash.no_update
        with triggered_by(f"{ids.MAP_CITY}.data"):
            answer = map_page.show_city_or_ward(None, "thanh-hoa", "thanh-hoa", "vi")
        assert answer[:3] == (None, None, []) and answer[3].children == "down"
