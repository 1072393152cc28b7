"""Wall playlists and intervals read from the address, the stale banner, and the wall
bar's refusal to say anything to a visitor who is not signed in."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

REGISTRY = {
    "pages.overview": {"module": "pages.overview", "relative_path": "/", "path": "/"},
    "pages.map": {"module": "pages.map", "relative_path": "/map", "path": "/map"},
    "pages.operations": {"module": "pages.operations", "relative_path": "/operations", "path": "/operations"},
    "pages.ward": {"module": "pages.ward", "relative_path": "/ward/none", "path": "/ward/none",
                   "path_template": "/ward/<gso_code>"},
    "pages.admin": {"module": "pages.admin", "relative_path": "/admin", "path": "/admin", "access": "admin"},
    "pages.wall": {"module": "pages.wall", "relative_path": "/wall", "path": "/wall"},
    "pages.public": {"module": "pages.public", "relative_path": "/public", "path": "/public", "access": "public"},
}


@pytest.mark.parametrize("views, every, names, unknown, seconds, bad", [
    ("overview,map,operations", "30", ["overview", "map", "operations"], [], 30, None),
    ("map,overview", "5", ["map", "overview"], [], 5, None),
    (" overview , nope ,map", None, ["overview", "map"], ["nope"], 30, None),
    ("ward,admin,wall,public", "10", [], ["ward", "admin", "wall", "public"], 10, None),
    ("overview", "abc", ["overview"], [], 30, "abc"),
    ("overview", "4", ["overview"], [], 30, "4"),
    ("overview", "3601", ["overview"], [], 30, "3601"),
    ("overview", "-30", ["overview"], [], 30, "-30"),
    (None, None, ["overview", "map", "operations"], [], 30, None),
])
def test_playlist_is_validated_against_the_registry(views, every, names, unknown, seconds, bad):
    from components.display import parse_playlist

    playlist = parse_playlist(views, every, REGISTRY)
    assert playlist.names == names and playlist.unknown == unknown
    assert playlist.paths == [REGISTRY[f"pages.{n}"]["relative_path"] for n in names]
    assert (playlist.every, playlist.bad_every) == (seconds, bad)


def test_the_real_registry_offers_the_dashboard_pages():
    import app  # noqa: F401 - registers the pages
    from components.display import view_paths

    views = view_paths()
    assert {"overview", "map", "services", "digital", "targets"} <= set(views)
    assert not {"wall", "public", "present", "ward", "admin"} & set(views)


WALL_ADDRESSES = [
    ("?mode=wall", "/", True), ("?year=2022&mode=wall", "/services", True), ("", "/wall", True), ("", "/wall/", True),
    ("?mode=walls", "/", False), ("", "/", False), (None, None, False), ("?mode=public&x=wall", "/walls", False),
]


@pytest.mark.parametrize("search, pathname, wall", WALL_ADDRESSES)
def test_wall_mode_is_read_from_the_address(search, pathname, wall):
    from components.display import is_wall

    assert is_wall(search, pathname) == wall


@pytest.mark.parametrize("age, limit, spoken", [
    (timedelta(hours=1), timedelta(hours=24), None), (timedelta(hours=23), timedelta(hours=24), None),
    (timedelta(hours=25), timedelta(hours=24), "(25 giờ trước)"), (timedelta(days=9), timedelta(hours=24), "(9 ngày trước)"),
    (timedelta(minutes=20), timedelta(minutes=15), "(20 phút trước)"),
])
def test_stale_banner_says_how_old(age, limit, spoken):
    from components.banners import stale_banner

    now = datetime(2026, 11, 25, 10, 0)
    banner = stale_banner(now - age, now, limit, "vi")
    assert (banner is not None) == (spoken is not None)
    if spoken:
        assert banner.children.startswith("⚠ Dữ liệu cũ") and banner.children.endswith(spoken)
        assert banner.role == "alert"


def test_stale_banner_without_data():
    from components.banners import stale_banner

    assert "Chưa có dữ liệu" in stale_banner(None, datetime.now(), timedelta(hours=24), "vi").children


def test_wall_bar_says_nothing_to_anonymous_visitors(client_as):
    from app import server
    from components.wall_bar import wall_bar

    with server.test_request_context("/"):
        from flask import g

        from security.session import load_identity

        g.identity = load_identity()
        bar, state, disabled = wall_bar("?mode=wall&views=overview", "/", "vi", "thanh-hoa")
    assert bar is None and state == {"wall": False} and disabled is True


def test_the_wall_bar_is_asked_in_wall_mode_and_on_leaving_it_never_again_outside_it():
    """A city or language switch outside wall mode asked the server for an empty bar (issue #21). The
    browser's gate (components/shell.WALL_GATE_JS) reads the address as is_wall does."""
    from components.shell import WALL_GATE_JS
    from tests.clientside import NO_UPDATE, run_script

    for search, pathname, wall in WALL_ADDRESSES:
        asked = {"search": search, "pathname": pathname, "lang": "vi", "city": "thanh-hoa", "tick": 3}
        outside = run_script(WALL_GATE_JS, search, pathname, "vi", "thanh-hoa", 3, {"wall": False})
        assert outside == (asked if wall else NO_UPDATE), (search, pathname)
        # the page's first look, and leaving a wall: the server says what the bar is
        assert run_script(WALL_GATE_JS, search, pathname, "vi", "thanh-hoa", 3, None) == asked
        assert run_script(WALL_GATE_JS, search, pathname, "vi", "thanh-hoa", 3, {"wall": True}) == asked


def test_the_wall_bar_reads_what_it_is_asked_with_and_nothing_else(client_as):
    from flask import g

    from app import server
    from components.shell import render_wall_bar
    from security.session import Identity
    from tests.conftest import TEST_USERS

    with server.test_request_context("/"):
        g.identity = Identity(TEST_USERS["leader"], "leader")
        bar, state, tick_off = render_wall_bar({"search": "?mode=wall", "pathname": "/", "lang": "en",
                                                "city": "thanh-hoa", "tick": 0})
        assert bar and state["wall"] and state["text"]["paused"].startswith("Paused") and tick_off is False
        for junk in (None, [], "?mode=wall", {"search": 7, "pathname": ["/wall"], "lang": {}, "city": 1}):
            assert render_wall_bar(junk) == (None, {"wall": False}, True)
