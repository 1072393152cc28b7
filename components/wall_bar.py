"""The strip a wall screen shows above any page in wall mode: brand, view name,
playlist position and pause state, clock, data as-of time and a stale banner.

The browser side (assets/display.js) reads the returned state to rotate views,
pause on the space bar, refresh, tick the clock and fit the page to the screen.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import dash
from dash import html

from components.banners import stale_banner
from components.display import is_wall, parse_playlist, query_of, view_paths
from components.formatting import format_datetime
from components.i18n import t
from data_access.db import DatabaseUnavailable
from data_access.kpi import data_as_of
from security import policy
from security.session import current_identity

STALE_AFTER = timedelta(hours=24)  # the KPI databases are loaded daily; older means the load stopped
REFRESH_S = 300  # a single-view wall reloads itself this often


def wall_bar(search: str | None, pathname: str | None, lang: str, city: str) -> tuple:
    """(bar children, state for the browser, tick disabled)."""
    role = current_identity().role
    if not is_wall(search, pathname) or not policy.allowed(role, policy.DASHBOARD):
        return None, {"wall": False}, True
    query = query_of(search)
    playlist = parse_playlist(query.get("views"), query.get("every"))
    keep = {key: query[key] for key in ("views", "every", "city", "lang") if key in query}
    notices = []
    if playlist.unknown and ("views" in query or (pathname or "").rstrip("/") == "/wall"):
        notices.append(f"{t('wall.unknown_view', lang)}: {', '.join(playlist.unknown)} — "
                       f"{t('wall.views', lang)}: {', '.join(sorted(view_paths()))}")
    if playlist.bad_every:
        notices.append(t("wall.bad_every", lang).format(every=playlist.every) + f" ({playlist.bad_every!r})")
    try:
        as_of = data_as_of(city)
        stale = stale_banner(as_of, datetime.now(), STALE_AFTER, lang)
        as_of_text = f"{t('shell.as_of', lang)}: {format_datetime(as_of, lang) if as_of else '—'}"
    except DatabaseUnavailable as exc:
        stale, as_of_text = html.Div(str(exc), className="banner banner-error", role="alert"), ""
    # `?mode=wall` alone shows one page (refreshed); a playlist is `/wall` or an explicit `views=`.
    rotating = (pathname or "").rstrip("/") == "/wall" or ("views" in query and len(playlist.paths) > 1)
    current = _page_name(pathname, lang)
    bar = [
        html.Div([html.Span("IOC", className="brand-mark"), html.Span(current, className="wall-view")],
                 className="wall-brand"),
        html.Div([html.Span(className="wall-position"),
                  html.Span(className="wall-status", role="status")] if rotating else None, className="wall-playlist"),
        html.Div(as_of_text, className="wall-as-of"),
        html.Time(className="wall-clock"),
    ]
    state = {"wall": True, "paths": playlist.paths if rotating else [], "names": playlist.names,
             "every": playlist.every, "refresh": REFRESH_S, "query": keep,
             "text": {"paused": t("wall.paused", lang), "playing": t("wall.playing", lang).format(every=playlist.every),
                      "offline": t("stale.offline", lang)}}
    extra = [html.Div(notice, className="banner banner-warning wall-notice", role="alert") for notice in notices]
    return [html.Div(bar, className="wall-strip"), stale, *extra,
            html.Div(t("stale.offline", lang), className="banner banner-error wall-offline", role="alert")], state, False


def _page_name(pathname: str | None, lang: str) -> str:
    for page in dash.page_registry.values():
        if page["relative_path"] == (pathname or "/"):
            return page.get("name_en" if lang == "en" else "name", page["name"])
    return ""
