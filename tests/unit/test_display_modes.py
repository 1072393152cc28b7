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


@pytest.mark.parametrize("search, pathname, wall", [
    ("?mode=wall", "/", True), ("?year=2022&mode=wall", "/services", True), ("", "/wall", True),
    ("?mode=walls", "/", False), ("", "/", False), (None, None, False),
])
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


def test_outside_wall_mode_the_bar_sends_nothing_it_already_shows(client_as):
    """A city or language switch outside wall mode applied three outputs for nothing (issue #21);
    leaving wall mode still clears the bar."""
    from dash.exceptions import PreventUpdate
    from flask import g

    from app import server
    from components.shell import render_wall_bar
    from security.session import load_identity

    with server.test_request_context("/"):
        g.identity = load_identity()
        assert render_wall_bar("", "/map", "vi", "thanh-hoa", None, None) == (None, {"wall": False}, True)
        with pytest.raises(PreventUpdate):
            render_wall_bar("", "/map", "en", "thanh-hoa", None, {"wall": False})
        left = render_wall_bar("", "/map", "vi", "thanh-hoa", None, {"wall": True, "paths": []})
    assert left == (None, {"wall": False}, True)
