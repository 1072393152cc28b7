"""Public kiosk (`/public`): for a lobby screen or anyone online, no login, nothing to
touch. Rotating panels in large type, aggregates only: public-service KPIs, target
progress, cameras counted per ward, free-wifi locations, air quality per ward.

Everything shown comes from `data_access.public`, which selects whitelisted columns
only; the callback below is the only public one and takes nothing but city and
language, so a crafted request cannot widen what it returns.
"""
from __future__ import annotations

from datetime import datetime

import dash
import dash_leaflet as dl
import plotly.graph_objects as go
from dash import Input, Output, callback, clientside_callback, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.display import parse_every
from components.formatting import format_datetime, format_number, format_value
from components.i18n import name_of, normalise_lang, t
from components.ward_map import zoom_for_area
from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import BY_CODE
from data_access.places import get_city
from data_access.public import PUBLIC_KPI_CODES, air_quality, cameras_per_ward, free_wifi_locations, public_kpis, \
    public_targets, ward_outlines
from security.policy import PUBLIC, access
from serving.response_cache import cache_response

dash.register_page(__name__, path="/public", name="Công khai", name_en="Public", order=90, nav=False,
                   access=PUBLIC, title="Thông tin công khai – IOC")

ROTATE_DEFAULT = 15
AIR_LIMITS = {"pm25": 50, "pm10": 100}  # QCVN 05:2023/BTNMT, 24-hour means, µg/m³
STATUS_ICONS = {"on_track": "✔", "at_risk": "⚠", "off_track": "✖", "no_data": "–"}


def layout(every: str | None = None, **_query) -> html.Div:
    seconds, _bad = parse_every(every, ROTATE_DEFAULT)
    return html.Div([
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
        now = datetime.now()
        period = periods.year(now.year - 1)
        panels = [_services_panel(city, period, lang), _targets_panel(city, now, lang), _cameras_panel(city, lang),
                  _wifi_panel(city, lang), _air_panel(city, lang)]
    except DatabaseUnavailable as exc:
        return error_banner(str(exc)), 0
    head = html.Div([html.Div([html.Span("IOC", className="brand-mark"),
                               html.Span(info["name_en" if lang == "en" else "name_vi"], className="kiosk-city")]),
                     html.Span(t("public.title", lang), className="kiosk-title"),
                     html.Time(className="kiosk-clock wall-clock")], className="kiosk-head")
    dots = html.Div([html.Span(className="kiosk-dot") for _ in panels], className="kiosk-dots")
    foot = html.Div(t("public.aggregates", lang), className="kiosk-foot")
    return [head, html.Div(panels, className="kiosk-panels"), dots, foot], len(panels)


def _panel(title: str, body, index: int) -> html.Section:
    return html.Section([html.H2(title, className="kiosk-panel-title"), body],
                        className="kiosk-panel active" if index == 0 else "kiosk-panel", **{"data-panel": index})


def _figure(figure: go.Figure, lang: str) -> dcc.Graph:
    figure.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                         separators=",." if lang == "vi" else ".,", font={"size": 22},
                         margin={"l": 10, "r": 30, "t": 10, "b": 40}, showlegend=False)
    return dcc.Graph(figure=figure, config={"staticPlot": True}, className="kiosk-graph", responsive=True)


def _services_panel(city: str, period: periods.Period, lang: str) -> html.Section:
    values = public_kpis(city, period)
    cards = [html.Div([html.Div(format_value(values[code], BY_CODE[code].unit, lang), className="kiosk-value"),
                       html.Div(name_of(BY_CODE[code], lang), className="kiosk-label")],
                      className="kiosk-card", **{"data-code": code}) for code in PUBLIC_KPI_CODES]
    return _panel(t("public.services", lang).format(year=period.year), html.Div(cards, className="kiosk-cards"), 0)


def _targets_panel(city: str, now: datetime, lang: str) -> html.Section:
    rows = []
    for row in public_targets(city, now)[:12]:
        item = BY_CODE[row["code"]]
        current = format_value(row["current"], item.unit, lang) if row["current"] is not None \
            else t("card.no_data", lang)
        target = f"{row['comparator'].replace('>=', '≥')} {format_value(row['value'], item.unit, lang)} ({row['year']})"
        rows.append(html.Div([
            html.Div(name_of(item, lang), className="kiosk-target-name"),
            html.Div(html.Div(className="progress-fill", style={"width": f"{row['progress'] or 0:.0f}%"}),
                     className="progress kiosk-progress"),
            html.Div(f"{current} / {target}", className="kiosk-target-figures"),
            html.Div(f"{STATUS_ICONS[row['status']]} {t('status.' + row['status'], lang)}",
                     className=f"status status-{row['status']}"),
        ], className="kiosk-target", **{"data-code": row["code"]}))
    return _panel(t("public.targets", lang), html.Div(rows, className="kiosk-targets"), 1)


def _cameras_panel(city: str, lang: str) -> html.Section:
    wards = cameras_per_ward(city)
    top = wards.sort_values("security", ascending=False).head(15).iloc[::-1]
    figure = go.Figure(go.Bar(x=top["security"], y=top["ward"], orientation="h", marker_color="#4ea3ff",
                              text=[format_number(v, lang) for v in top["security"]], textposition="outside"))
    note = t("public.cameras_note", lang).format(security=format_number(int(wards["security"].sum()), lang),
                                                 traffic=format_number(int(wards["traffic"].sum()), lang))
    return _panel(t("public.cameras", lang), html.Div([
        html.P(note, className="kiosk-note"), html.H3(t("public.top_wards", lang), className="kiosk-sub"),
        _figure(figure, lang)], className="kiosk-column"), 2)


def _wifi_panel(city: str, lang: str) -> html.Section:
    points = free_wifi_locations(city)
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


def _air_panel(city: str, lang: str) -> html.Section:
    wards, whole = air_quality(city)
    if whole["until"] is None:
        return _panel(t("public.air", lang), html.P(t("public.no_air", lang), className="kiosk-note"), 4)

    def verdict(value, parameter):
        over = value is not None and value > AIR_LIMITS[parameter]
        return html.Span(f"{'✖' if over else '✔'} {t('public.air_over' if over else 'public.air_ok', lang)}",
                         className="status status-off_track" if over else "status status-on_track")

    city_line = t("public.air_city", lang).format(n=whole["stations"], until=format_datetime(whole["until"], lang))
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
