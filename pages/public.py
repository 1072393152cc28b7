"""Public kiosk (`/public`): for a lobby screen or anyone online, no login, nothing to
touch. Rotating panels in large type, aggregates only: public-service KPIs, target
progress, cameras counted per ward, free-wifi locations, air quality per ward.

Everything shown comes from `data_access.public`, which selects whitelisted columns
only; the two callbacks below are public and take nothing but city, language (and
a tick), so a crafted request cannot widen what they return.

With PUBLIC_AIR_ALERTS on, a strip above the panels warns of open air-quality
alerts (station, ward, PM value against its QCVN limit), read again every
minute by its own callback: the panels stay cached, a warning does not wait.

Every slide is of one period, the last complete year, stated once in the head:
stocks (cameras, wifi stations) at its end, flows and means (services, air
quality) over it, target progress on the years up to it.
"""
from __future__ import annotations

from datetime import timedelta

import dash
import dash_leaflet as dl
import plotly.graph_objects as go
from dash import Input, Output, callback, clientside_callback, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.chart_style import apply_style
from components.clock import city_clock
from components.display import parse_every
from components.kpi_card import status_label
from components.shell import nav_names, tab_title
from components.ward_map import zoom_for_area
from data_access.db import DatabaseUnavailable
from data_access.places import get_city
from data_access.public import (
    PUBLIC_KPI_CODES,
    air_alerts,
    air_quality,
    cameras_per_ward,
    free_wifi_locations,
    public_kpis,
    public_targets,
    ward_outlines,
)
from domain import periods
from domain.city_time import city_today
from domain.formatting import format_date, format_datetime, format_number, format_value
from domain.i18n import name_of, normalise_lang, t
from domain.indicators import BY_CODE
from security.policy import PUBLIC, access
from serving.response_cache import cache_response

dash.register_page(__name__, path="/public", **nav_names("public"), order=90, nav=False,
                   access=PUBLIC, title=tab_title("title.public"))

ROTATE_DEFAULT = 15
ALERTS_REFRESH_MS = 60_000
ALERTS_SHOWN = 3  # a lobby screen names the worst few; the rest are counted
AIR_LIMITS = {"pm25": 25, "pm10": 50}  # QCVN 05:2023/BTNMT, annual means, µg/m³


def layout(every: str | None = None, **_query) -> html.Div:
    seconds, _bad = parse_every(every, ROTATE_DEFAULT)
    return html.Div([
        html.Div(id=ids.PUBLIC_ALERTS, className="kiosk-alerts", role="status"),
        dcc.Interval(id=ids.PUBLIC_ALERTS_TICK, interval=ALERTS_REFRESH_MS,
                     disabled=not settings.get_flag("PUBLIC_AIR_ALERTS")),
        html.Div(id=ids.PUBLIC_BODY, className="kiosk-body"),
        dcc.Store(id=ids.PUBLIC_PANELS, data=0),
        dcc.Interval(id=ids.PUBLIC_ROTATE, interval=seconds * 1000),
        html.Div(id=ids.PUBLIC_SINK, hidden=True),
    ], className="kiosk")


@callback(Output(ids.PUBLIC_BODY, "children"), Output(ids.PUBLIC_PANELS, "data"),
          Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"))
@access(PUBLIC)
@cache_response(ttl=60)
def render_public(city: str, lang: str):
    """The kiosk's panels for a city; takes only city and language, shows only public aggregates."""
    lang = normalise_lang(lang)
    city = city if isinstance(city, str) else settings.get("DEFAULT_CITY")
    try:
        info = get_city(city)
        if info is None:
            return error_banner(f"{t('shell.unknown_city', lang)} {city[:40]!r}"), 0
        period = periods.year(city_today().year - 1)
        panels = [_services_panel(city, period, lang), _targets_panel(city, period, lang),
                  _cameras_panel(city, period, lang), _wifi_panel(city, period, lang), _air_panel(city, period, lang)]
    except DatabaseUnavailable as exc:
        return error_banner(str(exc)), 0
    as_of = t("asof.period", lang).format(year=period.key, end=format_date(period.end - timedelta(days=1), lang))
    head = html.Div([html.Div([html.Span("IOC", className="brand-mark"),
                               html.Span(info["name_en" if lang == "en" else "name_vi"], className="kiosk-city")]),
                     html.Div([html.Span(t("public.title", lang), className="kiosk-title"),
                               html.Span(as_of, className="as-of-line")]),
                     city_clock("kiosk-clock wall-clock")], className="kiosk-head")
    dots = html.Div([html.Span(className="kiosk-dot") for _ in panels], className="kiosk-dots")
    foot = html.Div(t("public.aggregates", lang), className="kiosk-foot")
    return [head, html.Div(panels, className="kiosk-panels"), dots, foot], len(panels)


@callback(Output(ids.PUBLIC_ALERTS, "children"), Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
          Input(ids.PUBLIC_ALERTS_TICK, "n_intervals"))
@access(PUBLIC)
def render_public_alerts(city: str, lang: str, _tick):
    """The city's open air-quality warnings, or nothing (PUBLIC_AIR_ALERTS off, none open, no such
    city, database down: a lobby screen shows no error for a warning it cannot read)."""
    if not settings.get_flag("PUBLIC_AIR_ALERTS") or not isinstance(city, str):
        return None
    lang = normalise_lang(lang)
    try:
        if get_city(city) is None:
            return None
        alerts = air_alerts(city)
    except DatabaseUnavailable:
        return None
    return public_alerts_strip(alerts, lang)


def public_alerts_strip(alerts: list[dict], lang: str) -> list | None:
    """The warnings as the kiosk shows them: heading, then station (ward), value against its limit, since when."""
    if not alerts:
        return None
    def place(alert: dict) -> str:  # a station often bears its ward's name already
        ward = alert["ward"]
        return alert["station"] + (f" ({ward})" if ward and ward not in alert["station"] else "")

    items = [html.Li([html.Strong(place(alert)), " ",
                      html.Span(t("public.alert_line", lang).format(
                          parameter=alert["parameter"].upper().replace("PM25", "PM2.5"),
                          value=format_number(alert["value"], lang, 1), standard=alert["standard"],
                          limit=format_number(alert["limit"], lang))), " ",
                      html.Span(t("public.alert_since", lang).format(at=format_datetime(alert["since"], lang)),
                                className="kiosk-alert-since")],
                     className="kiosk-alert") for alert in alerts[:ALERTS_SHOWN]]
    if len(alerts) > ALERTS_SHOWN:
        items.append(html.Li(t("public.alert_more", lang).format(n=len(alerts) - ALERTS_SHOWN),
                             className="kiosk-alert-more"))
    return [html.H2(f"⚠ {t('public.alerts', lang)}", className="kiosk-alerts-title"),
            html.Ul(items, className="kiosk-alert-list")]


def _panel(title: str, body, index: int) -> html.Section:
    return html.Section([html.H2(title, className="kiosk-panel-title"), body],
                        className="kiosk-panel active" if index == 0 else "kiosk-panel", **{"data-panel": index})


def _figure(figure: go.Figure, lang: str) -> dcc.Graph:
    """A kiosk chart in the wall style, filling its panel."""
    apply_style(figure, "wall", lang)
    figure.update_layout(margin={"l": 10, "r": 30, "t": 10, "b": 40}, showlegend=False)
    return dcc.Graph(figure=figure, config={"staticPlot": True}, className="kiosk-graph", responsive=True)


def _services_panel(city: str, period: periods.Period, lang: str) -> html.Section:
    values = public_kpis(city, period)
    cards = [html.Div([html.Div(format_value(values[code], BY_CODE[code].unit, lang), className="kiosk-value"),
                       html.Div(name_of(BY_CODE[code], lang), className="kiosk-label")],
                      className="kiosk-card", **{"data-code": code}) for code in PUBLIC_KPI_CODES]
    return _panel(t("public.services", lang).format(year=period.year), html.Div(cards, className="kiosk-cards"), 0)


def _targets_panel(city: str, period: periods.Period, lang: str) -> html.Section:
    rows = []
    for row in public_targets(city, period)[:12]:
        item = BY_CODE[row["code"]]
        current = format_value(row["current"], item.unit, lang) if row["current"] is not None \
            else t("card.no_data", lang)
        if row["latest_year"] not in (None, period.year):
            current += f" ({row['latest_year']})"  # the latest value is of an earlier year
        target = f"{row['comparator'].replace('>=', '≥')} {format_value(row['value'], item.unit, lang)} ({row['year']})"
        rows.append(html.Div([
            html.Div(name_of(item, lang), className="kiosk-target-name"),
            html.Div(html.Div(className="progress-fill", style={"width": f"{row['progress'] or 0:.0f}%"}),
                     className="progress kiosk-progress"),
            html.Div(f"{current} / {target}", className="kiosk-target-figures"),
            html.Div(status_label(row["status"], lang), className=f"status status-{row['status']}"),
        ], className="kiosk-target", **{"data-code": row["code"]}))
    return _panel(t("public.targets", lang), html.Div(rows, className="kiosk-targets"), 1)


def _cameras_panel(city: str, period: periods.Period, lang: str) -> html.Section:
    wards = cameras_per_ward(city, period)
    top = wards.sort_values("security", ascending=False).head(15).iloc[::-1]
    figure = go.Figure(go.Bar(x=top["security"], y=top["ward"], orientation="h", marker_color="#4ea3ff",
                              text=[format_number(v, lang) for v in top["security"]], textposition="outside"))
    note = t("public.cameras_note", lang).format(security=format_number(int(wards["security"].sum()), lang),
                                                 traffic=format_number(int(wards["traffic"].sum()), lang))
    return _panel(t("public.cameras", lang), html.Div([
        html.P(note, className="kiosk-note"), html.H3(t("public.top_wards", lang), className="kiosk-sub"),
        _figure(figure, lang)], className="kiosk-column"), 2)


def _wifi_panel(city: str, period: periods.Period, lang: str) -> html.Section:
    points = free_wifi_locations(city, period)
    markers = [dl.CircleMarker(center=[lat, lon], radius=9, color="#ffffff", weight=2, fillColor="#db2777",
                               fillOpacity=0.95) for lon, lat in zip(points["lon"], points["lat"])]
    tile_url = settings.get("TILE_URL")
    tiles = [dl.TileLayer(url=tile_url, attribution=settings.get("TILE_ATTRIBUTION"))] if tile_url else []
    per_ward = points.groupby("ward").size().sort_values(ascending=False)
    listing = html.Ul([html.Li([html.Span(ward), html.Strong(format_number(int(n), lang))])
                       for ward, n in per_ward.head(14).items()], className="kiosk-list")
    summary = t("public.wifi_count", lang).format(n=format_number(len(points), lang),
                                                 wards=format_number(len(per_ward), lang))
    wards = ward_outlines(city)
    outline = dl.GeoJSON(data=wards, style={"color": "#6b7a90", "weight": 1, "fill": False})
    info = get_city(city)
    world = dl.Map([*tiles, outline, *markers], center=[info["centre_lat"], info["centre_lon"]],
                   zoom=zoom_for_area(info["area_km2"]) + 0.5, zoomSnap=0.25, zoomControl=False,
                   dragging=False, scrollWheelZoom=False, doubleClickZoom=False, touchZoom=False,
                   boxZoom=False, keyboard=False, attributionControl=bool(tile_url), className="kiosk-map")
    return _panel(t("public.wifi", lang), html.Div([world, html.Div([html.P(summary, className="kiosk-note"), listing])],
                                                   className="kiosk-split"), 3)


def _air_panel(city: str, period: periods.Period, lang: str) -> html.Section:
    wards, whole = air_quality(city, period)
    if not whole["stations"]:
        return _panel(t("public.air", lang), html.P(t("public.no_air", lang), className="kiosk-note"), 4)

    def verdict(value, parameter):
        over = value is not None and value > AIR_LIMITS[parameter]
        return html.Span(f"{'✖' if over else '✔'} {t('public.air_over' if over else 'public.air_ok', lang)}",
                         className="status status-off_track" if over else "status status-on_track")

    city_line = t("public.air_city", lang).format(n=format_number(whole["stations"], lang))
    big = html.Div([html.Div([html.Div([format_number(whole[p], lang, 1), html.Small(" µg/m³")],
                                       className="kiosk-value"),
                              html.Div(p.upper().replace("PM25", "PM2.5"), className="kiosk-label"),
                              verdict(whole[p], p)], className="kiosk-card") for p in ("pm25", "pm10")],
                   className="kiosk-cards two")
    header = html.Tr([html.Th(t("public.ward", lang)), html.Th(t("public.stations", lang)), html.Th("PM2.5"),
                      html.Th("PM10")])
    body = [html.Tr([html.Td(row.ward), html.Td(format_number(row.stations, lang), className="num"),
                     html.Td([format_number(row.pm25, lang, 1), " ", verdict(row.pm25, "pm25")], className="num"),
                     html.Td([format_number(row.pm10, lang, 1), " ", verdict(row.pm10, "pm10")], className="num")])
            for row in wards.itertuples(index=False)]
    limits = t("public.air_limit", lang).format(pm25=AIR_LIMITS["pm25"], pm10=AIR_LIMITS["pm10"])
    return _panel(t("public.air", lang), html.Div([
        html.Div([html.P(city_line, className="kiosk-note"), big, html.P(limits, className="kiosk-note small")]),
        html.Table([header, *body], className="compare-table kiosk-table")], className="kiosk-split"), 4)


clientside_callback(
    """function(n, count) {
        const panels = document.querySelectorAll('.kiosk-panel');
        const dots = document.querySelectorAll('.kiosk-dot');
        if (!panels.length) { return window.dash_clientside.no_update; }
        const active = (n || 0) % panels.length;
        panels.forEach(function (p, i) { p.classList.toggle('active', i === active); });
        dots.forEach(function (d, i) { d.classList.toggle('active', i === active); });
        return String(active);
    }""",
    Output(ids.PUBLIC_SINK, "title"),
    Input(ids.PUBLIC_ROTATE, "n_intervals"), Input(ids.PUBLIC_PANELS, "data"),
)
