"""Ward (`/ward/<gso_code>`): one ward's map and assets, its KPIs against the
city's, its open incidents and citizen reports. Unknown code → 404 content.

Every figure is of one period, stated once under the title (the map's ward panel
follows the same rule, `data_access.map_layers.ward_period`): the last complete
year, stocks (cameras, access points, key-location coverage, open incidents and
reports) at its end, flows (dossiers, meetings, reports received) over it. The
KPIs come from the KPI engine, so they equal `/api/v1/kpi` for that year."""
from __future__ import annotations

import json
from datetime import timedelta

import dash
import dash_leaflet as dl
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.chart_style import COLORWAY
from components.charts import style_figure
from components.grid import MOMENT, TEXT_KIND, GridColumn, data_grid
from components.shell import nav_names, tab_title
from data_access.db import DatabaseUnavailable
from data_access.kpi import compute_kpis
from data_access.lineage import predecessors
from data_access.map_layers import (metric_values, ward_citizen_reports, ward_metrics, ward_open_incidents,
                                    ward_period)
from data_access.places import find_ward
from domain import map_layers as map_registry
from domain import periods
from domain.formatting import format_date, format_number, format_value
from domain.i18n import name_of, normalise_lang, t
from domain.indicators import BY_CODE
from geo.schematic import geojson_bounds

dash.register_page(__name__, path_template="/ward/<gso_code>", **nav_names("ward"),
                   title=tab_title("title.ward"))

COMPARED = ("camera.security_total", "wifi.access_points", "camera.key_locations_security_rate",
            "services.dossiers_total", "services.online_submission_rate", "services.on_time_rate",
            "services.digitised_rate", "meetings.electronic_rate")
# Coverage and online rate are KPI rows below (one row per figure), so only densities come from the map metrics.
DENSITIES = ("camera_density", "ap_per_1000_households")
INCIDENT_COLUMNS = {"reported_at": MOMENT, "category": TEXT_KIND, "severity": TEXT_KIND, "summary": TEXT_KIND}


def layout(gso_code: str | None = None, **_query) -> html.Div:
    return html.Div([dcc.Store(id="ward-code", data=str(gso_code or "")[:20]),
                     html.Div(id=ids.WARD_BODY, className="ward-page")])


@callback(Output(ids.WARD_BODY, "children"), Input("ward-code", "data"), Input(ids.LANG_SELECT, "value"),
          Input(ids.THEME_SELECT, "value"))
def render_ward(code: str, lang: str, theme: str = "light"):
    lang = normalise_lang(lang)
    try:
        ward = find_ward(code) if code.isdigit() else None
        if ward is None:
            return _not_found(code, lang)
        return _ward_body(ward, lang, theme)
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))


def _not_found(code: str, lang: str) -> html.Div:
    return html.Div([html.H1("404", className="not-found-code"), html.H2(t("page.not_found", lang)),
                     html.P(f"{t('ward.unknown', lang)}: {code!r}"),
                     dcc.Link(t("not_found.home", lang), href="/map", className="button")], className="not-found")


def _ward_body(ward: dict, lang: str, theme: str = "light") -> list:
    city = ward["city_slug"]
    period = ward_period()
    ward_values = compute_kpis(city, period, ward["gso_code"])
    city_values = compute_kpis(city, period)
    metrics = ward_metrics(city, period.year)
    ward_row = metrics[metrics["gso_code"] == ward["gso_code"]]
    table = [html.Tr([html.Th(t("ward.indicator", lang)), html.Th(ward["name"]), html.Th(t("ward.city", lang))])]
    for metric in DENSITIES:
        mine = metric_values(ward_row, metric)[ward["gso_code"]]
        average = _city_metric(metrics, metric)
        unit = map_registry.metric(metric).unit
        table.append(html.Tr([html.Td(t(f"map.metric.{metric}", lang)), html.Td(format_value(mine, unit, lang)),
                              html.Td(format_value(average, unit, lang))]))
    for code in COMPARED:
        item = BY_CODE[code]
        table.append(html.Tr([html.Td(name_of(item, lang)),
                              html.Td(format_value(ward_values[code], item.unit, lang)),
                              html.Td(format_value(city_values[code], item.unit, lang))],
                             className="rate-row" if item.unit == "%" else None))  # rows the dot chart shows
    geometry = json.loads(ward["geometry_geojson"])
    tile_url = settings.get("TILE_URL")
    tiles = [dl.TileLayer(url=tile_url, attribution=settings.get("TILE_ATTRIBUTION"))] if tile_url else []
    shape = dl.GeoJSON(data={"type": "Feature", "geometry": geometry, "properties": {"gso_code": ward["gso_code"]}},
                       style={"color": "#f59e0b", "weight": 3, "fillOpacity": 0.1})
    reports = ward_citizen_reports(ward["gso_code"], period)
    open_count, incidents = ward_open_incidents(ward["gso_code"], period)
    incident_rows = [{"category": t(f"ops.category.{r.category}", lang),
                      "severity": t(f"ops.severity.{r.severity}", lang),
                      "summary": r.summary, "reported_at": r.reported_at}
                     for r in incidents.itertuples()]
    rates = [(name_of(BY_CODE[code], lang), ward_values[code], city_values[code]) for code in COMPARED
             if BY_CODE[code].unit == "%"]
    return [
        html.Div([html.H1(ward["name"], className="page-title"),
                  dcc.Link("← " + t("page.map", lang), href=f"/map?ward={ward['gso_code']}")], className="page-head"),
        _as_of_line(period, lang),
        html.Small(t("overview.schematic", lang), className="schematic-note") if ward["is_schematic"] else None,
        _lineage_note(city, ward["gso_code"], lang),
        html.Div([
            html.Div(dl.Map([*tiles, shape], center=[ward["centre_lat"], ward["centre_lon"]], zoom=14,
                            viewport={"bounds": geojson_bounds(geometry), "transition": "fitBounds"},
                            className="ward-map"), className="panel"),
            html.Div([html.H2(f"{t('ward.compare', lang)} {period.key}", className="section-title"),
                      _dot_chart(rates, ward["name"], period, lang, theme),
                      html.Table(table, className="compare-table")], className="panel"),
        ], className="overview-lower"),
        html.Div([
            html.Div([html.H2(t("ward.reports", lang), className="section-title"),
                      html.Dl([part for key in ("received", "answered", "answered_late", "open", "overdue")
                               for part in (html.Dt(t(f"reports.{key}", lang)),
                                            html.Dd(format_number(reports[key], lang)))])],
                     className="panel map-side"),
            html.Div([html.H2(f"{t('ward.open_incidents', lang)} ({format_number(open_count, lang)})",
                              className="section-title"),
                      data_grid(ids.WARD_INCIDENTS_GRID, incident_rows,
                                [GridColumn(c, t(f"incident.{c}", lang), kind, wrap=c == "summary")
                                 for c, kind in INCIDENT_COLUMNS.items()], lang, page_size=10)],
                     className="panel"),
        ], className="overview-lower", style={"marginTop": "16px"}),
    ]


def _dot_chart(rates: list[tuple[str, float | None, float | None]], ward_name: str, period: periods.Period,
               lang: str, theme: str) -> dcc.Graph:
    """The ward's rates against the city's: one row per indicator, a dot each on a 0–100% axis,
    joined by a line, so the gap reads at a glance (the table below keeps every figure)."""
    names = [name for name, _mine, _city in rates]
    figure = go.Figure()
    for name, mine, city in rates:
        if mine is not None and city is not None:
            figure.add_trace(go.Scatter(x=[mine, city], y=[name, name], mode="lines", showlegend=False,
                                        line={"color": "#94a3b8", "width": 4}, hoverinfo="skip"))
    for label, values, colour, symbol in ((ward_name, [mine for _n, mine, _c in rates], COLORWAY[1], "circle"),
                                          (t("ward.city", lang), [city for _n, _m, city in rates], COLORWAY[0],
                                           "diamond")):
        figure.add_trace(go.Scatter(x=values, y=names, mode="markers", name=label,
                                    marker={"size": 16, "color": colour, "symbol": symbol,
                                            "line": {"color": "#ffffff", "width": 1}}))
    last_day = format_date(period.end - timedelta(days=1), lang)
    style_figure(figure, t("ward.rates", lang), "%", t("source.raw", lang), last_day, lang, theme)
    figure.update_xaxes(range=[0, 101], ticksuffix="%", dtick=20)
    # Each indicator's name over its row, not beside it: the dots keep the chart's width, on a phone too.
    figure.update_yaxes(autorange="reversed", showticklabels=False)
    for name in names:
        figure.add_annotation(x=0, xref="paper", xanchor="left", y=name, yshift=14, yanchor="bottom", text=name,
                              showarrow=False)
    height = 170 + 52 * len(rates)
    figure.update_layout(height=height, margin={"l": 10, "r": 20, "t": 126})  # the first name under the title
    return dcc.Graph(figure=figure, config={"displaylogo": False, "responsive": True}, className="ward-dots",
                     style={"height": f"{height}px"})


def _as_of_line(period: periods.Period, lang: str) -> html.P:
    """The one statement of what the figures of a view describe: 'Số liệu năm 2025, tính đến 31/12/2025'."""
    last_day = format_date(period.end - timedelta(days=1), lang)
    return html.P(t("asof.period", lang).format(year=period.key, end=last_day), className="as-of-line")


def _city_metric(metrics, metric: str) -> float | None:
    """The city-wide value of a ward metric (totals, not an average of ward ratios)."""
    totals = metrics.sum(numeric_only=True).to_frame().T
    totals["gso_code"] = "city"
    return metric_values(totals, metric)["city"]


def _lineage_note(city: str, code: str, lang: str) -> html.Small | None:
    """Which retired wards' records this ward's figures include, and the rule (data_access.lineage)."""
    former = predecessors(city, code)
    if not former:
        return None
    listed = ", ".join(f"{p['old_code']} ({t('lineage.' + p['change_type'], lang)} {format_date(p['effective_on'], lang)})"
                       for p in former)
    return html.Small(f"{t('lineage.includes', lang)}: {listed}. {t('lineage.rule', lang)}", className="lineage-note")
