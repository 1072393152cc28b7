"""Operations (`/operations`): the city as it happens — open incidents and their SLA,
the newest events, citizen reports against their deadline, camera and access-point
health, air and water quality against the national standards.

The page refreshes itself every OPS_REFRESH_S seconds. Each refresh runs a few cheap
probes (data_access.operations.live_state); a panel is redrawn only when its own
data changed, and the event list only receives the new events (a Patch). When the
database cannot be read the panels keep their last figures and a banner says since
when; when the newest event is older than OPS_STALE_AFTER_S a banner says so.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import dash
import dash_leaflet as dl
from dash import Input, Output, Patch, State, callback, dcc, html

import settings
from components import ids
from components.banners import feed_banners
from components.ops_panels import (
    EventList,
    access_points_panel,
    cameras_panel,
    environment_panel,
    event_item,
    incident_markers,
    incidents_panel,
    reports_panel,
)
from components.shell import nav_names, request_lang, tab_title
from components.ward_map import zoom_for_area
from data_access import cache
from data_access import operations as ops
from data_access.db import DatabaseUnavailable
from data_access.places import get_city
from domain.city_time import utc_now
from domain.formatting import format_datetime, format_time
from domain.i18n import normalise_lang, t
from domain.incidents import URGENT_SEVERITIES, sla_hours

dash.register_page(__name__, path="/operations", **nav_names("operations"), order=1, nav=True,
                   title=tab_title("title.operations"))

PANELS = ("incidents", "reports", "cameras", "access_points", "environment")
EVENT_LIMIT = 20


def _version_store(panel: str) -> dcc.Store:
    return dcc.Store(id={"type": ids.OPS_VERSION, "panel": panel})


def _panel(panel: str, title_key: str, lang: str, extra: str = "") -> html.Section:
    return html.Section([html.H2(id={"type": ids.OPS_TITLE, "panel": panel}, children=t(title_key, lang),
                                 className="section-title"),
                         html.Div(id={"type": ids.OPS_PANEL, "panel": panel})],
                        className=f"panel ops-panel ops-{panel} {extra}".strip())


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = request_lang(lang)
    refresh_ms = max(2, settings.get_int("OPS_REFRESH_S")) * 1000
    return html.Div([
        html.Div([html.H1(t("ops.heading", lang), id=ids.OPS_HEADING, className="page-title"),
                  html.Div(id=ids.OPS_UPDATED, className="ops-updated", role="status")], className="page-head"),
        html.Div(id=ids.OPS_STALE),
        dcc.Interval(id=ids.OPS_INTERVAL, interval=refresh_ms),
        dcc.Store(id=ids.OPS_LAST_GOOD), dcc.Store(id=ids.OPS_EVENTS_SEEN), dcc.Store(id=ids.OPS_URGENT_SEEN),
        *[_version_store(panel) for panel in PANELS],
        html.Div([
            _panel("incidents", "ops.incidents", lang, "ops-wide"),
            html.Section([html.H2(t("ops.map", lang), id={"type": ids.OPS_TITLE, "panel": "map"},
                                  className="section-title"),
                          dl.Map([dl.LayerGroup(id=ids.OPS_MAP_MARKERS)], id=ids.OPS_MAP, className="ops-map",
                                 center=[19.8066, 105.7877], zoom=12, scrollWheelZoom=False,
                                 attributionControl=False)],
                         className="panel ops-panel ops-map-panel"),
            html.Section([html.H2(t("ops.events", lang), id={"type": ids.OPS_TITLE, "panel": "events"},
                                  className="section-title"),
                          EventList(id=ids.OPS_EVENTS, className="ops-events", items=[])],
                         className="panel ops-panel ops-events-panel"),
            _panel("reports", "ops.reports", lang),
            _panel("cameras", "ops.cameras", lang, "ops-wide"),
            _panel("environment", "ops.environment", lang, "ops-wide"),
            _panel("access_points", "ops.access_points", lang),
        ], className="ops-grid"),
    ], className="operations")


@callback(
    *[Output({"type": ids.OPS_VERSION, "panel": panel}, "data") for panel in PANELS],
    Output(ids.OPS_UPDATED, "children"),
    Output(ids.OPS_STALE, "children"),
    Output(ids.OPS_LAST_GOOD, "data"),
    Input(ids.OPS_INTERVAL, "n_intervals"),
    Input(ids.CITY_SELECT, "value"),
    Input(ids.LANG_SELECT, "value"),
    Input(ids.THEME_SELECT, "value"),
    *[State({"type": ids.OPS_VERSION, "panel": panel}, "data") for panel in PANELS],
    State(ids.OPS_LAST_GOOD, "data"),
)
def refresh(_n, city: str, lang: str, theme: str, *state):
    """Probe the database; hand a new fingerprint only to the panels whose data changed."""
    lang = normalise_lang(lang)
    previous, last_good = state[:-1], state[-1]
    now = utc_now()
    try:
        live = ops.live_state(city)
        if cache.served_stale():
            raise DatabaseUnavailable("served from the cache: the database is down")
    except DatabaseUnavailable:
        last = format_datetime(datetime.fromisoformat(last_good), lang) if last_good else None
        message = t("ops.db_down", lang).format(time=format_time(now), last=last) if last else \
            t("ops.db_down_first", lang).format(time=format_time(now))
        return (*[dash.no_update] * len(PANELS), dash.no_update,
                html.Div(message, className="banner banner-error stale-banner", role="alert"), dash.no_update)
    versions = [f"{city}|{lang}|{theme}|{live.versions[panel]}" for panel in PANELS]
    outputs = [v if v != old else dash.no_update for v, old in zip(versions, previous)]
    stale = feed_banners(live.feeds, now, timedelta(seconds=settings.get_int("OPS_STALE_AFTER_S")), lang)
    return (*outputs, t("ops.updated", lang).format(time=format_time(now)), stale, now.isoformat())


def _context(version: str | None) -> tuple[str, str, str] | None:
    if not version:
        return None
    city, lang, theme, _ = version.split("|", 3)
    return city, lang, theme


@callback(
    Output({"type": ids.OPS_PANEL, "panel": "incidents"}, "children"),
    Output(ids.OPS_MAP_MARKERS, "children"),
    Output(ids.OPS_MAP, "viewport"),
    Output(ids.OPS_URGENT_SEEN, "data"),
    Input({"type": ids.OPS_VERSION, "panel": "incidents"}, "data"),
    State(ids.OPS_URGENT_SEEN, "data"),
)
def render_incidents(version: str | None, urgent_seen: dict | None):
    """Incidents panel and map; the map flies to an urgent incident that is new since the last look."""
    return _draw(version, lambda city, lang, theme: _incidents(city, lang, theme, version, urgent_seen or {}))


def _incidents(city: str, lang: str, theme: str, version: str, urgent_seen: dict) -> tuple:
    now = utc_now()
    incidents = ops.with_sla(ops.open_incidents(city, version=version), now, sla_hours())
    info = get_city(city)
    urgent = incidents[incidents["severity"].isin(URGENT_SEVERITIES)]
    newest_urgent = int(urgent["id"].max()) if len(urgent) else 0
    seen = urgent_seen.get(city)
    if seen is not None and newest_urgent > seen:
        row = urgent.loc[urgent["id"].idxmax()]
        viewport = {"center": [row.lat, row.lon], "zoom": 15, "transition": "flyTo"}
    elif seen is None and info:
        viewport = {"center": [info["centre_lat"], info["centre_lon"]], "zoom": zoom_for_area(info["area_km2"])}
    else:
        viewport = dash.no_update
    seen_now = dict(urgent_seen, **{city: max(newest_urgent, seen or 0)})
    panel = incidents_panel(incidents, sla_hours(), lang, theme, now)
    return panel, incident_markers(incidents, lang), viewport, seen_now


@callback(
    Output(ids.OPS_EVENTS, "items"),
    Output(ids.OPS_EVENTS, "empty"),
    Output(ids.OPS_EVENTS_SEEN, "data"),
    Input({"type": ids.OPS_VERSION, "panel": "incidents"}, "data"),
    Input({"type": ids.OPS_VERSION, "panel": "cameras"}, "data"),
    State(ids.OPS_EVENTS_SEEN, "data"),
)
def render_events(incidents_version: str | None, cameras_version: str | None, seen: dict | None):
    """Newest events; after the first drawing only the new ones are sent, added on top."""
    return _draw(incidents_version, lambda city, lang, _theme: _events(
        city, lang, ops.recent_events(city, EVENT_LIMIT, version=f"{incidents_version}|{cameras_version}"), seen))


def _events(city: str, lang: str, events, seen: dict | None) -> tuple:
    keys = [f"{e.kind}:{e.ref}:{e.at}" for e in events.itertuples()]
    context_key = f"{city}|{lang}"
    if not seen or seen.get("context") != context_key:
        items = [event_item(e, lang) for e in events.itertuples()]
        return items, t("ops.no_events", lang), {"context": context_key, "keys": keys, "count": len(events)}
    known = set(seen["keys"])
    fresh = [e for e, key in zip(events.itertuples(), keys) if key not in known]
    if not fresh:
        raise dash.exceptions.PreventUpdate
    patch = Patch()
    for event in reversed(fresh):
        patch.prepend(event_item(event, lang))
    for index in range(seen["count"] + len(fresh) - 1, EVENT_LIMIT - 1, -1):
        del patch[index]
    return (patch, dash.no_update,
            {"context": context_key, "keys": keys, "count": min(seen["count"] + len(fresh), EVENT_LIMIT)})


def _draw(version: str | None, build):
    """Draw a panel with `build(city, lang, theme)`; keep the last drawing when there is
    nothing yet or the database cannot be read (the refresh banner says so)."""
    context = _context(version)
    if context is None:
        raise dash.exceptions.PreventUpdate
    try:
        return build(*context)
    except DatabaseUnavailable:
        raise dash.exceptions.PreventUpdate from None


@callback(
    Output({"type": ids.OPS_PANEL, "panel": "reports"}, "children"),
    Input({"type": ids.OPS_VERSION, "panel": "reports"}, "data"),
)
def render_reports(version: str | None):
    minute = utc_now().replace(second=0, microsecond=0)
    return _draw(version, lambda city, lang, _theme: reports_panel(
        ops.citizen_report_summary(city, minute, version=version),
        ops.reports_near_deadline(city, minute, version=version), lang))


@callback(
    Output({"type": ids.OPS_PANEL, "panel": "cameras"}, "children"),
    Input({"type": ids.OPS_VERSION, "panel": "cameras"}, "data"),
)
def render_cameras(version: str | None):
    now = utc_now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    return _draw(version, lambda city, lang, theme: cameras_panel(
        ops.camera_status_counts(city, version=version), ops.camera_online_by_ward(city, version=version),
        ops.camera_uptime_by_day(city, hour, version=version), ops.cameras_offline_longest(city, version=version),
        lang, theme, now))


@callback(
    Output({"type": ids.OPS_PANEL, "panel": "access_points"}, "children"),
    Input({"type": ids.OPS_VERSION, "panel": "access_points"}, "data"),
)
def render_access_points(version: str | None):
    return _draw(version, lambda city, lang, _theme: access_points_panel(
        ops.access_point_status(city, version=version), lang))


@callback(
    Output({"type": ids.OPS_PANEL, "panel": "environment"}, "children"),
    Input({"type": ids.OPS_VERSION, "panel": "environment"}, "data"),
)
def render_environment(version: str | None):
    return _draw(version, lambda city, lang, theme: environment_panel(
        *ops.environment_latest(city, version=version), lang, theme))

