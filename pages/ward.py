"""Ward (`/ward/<gso_code>`): one ward's map and assets, its KPIs against the
city's, its open incidents and citizen reports. Unknown code → 404 content."""
from __future__ import annotations

import json
from datetime import datetime

import dash
import dash_leaflet as dl
from dash import Input, Output, callback, dash_table, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.formatting import format_date, format_datetime, format_number, format_value
from components.i18n import name_of, normalise_lang, t
from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import BY_CODE
from data_access.kpi import compute_kpis
from data_access.lineage import predecessors
from data_access.map_layers import metric_values, ward_citizen_reports, ward_metrics, ward_open_incidents
from data_access.places import find_ward
from geo.schematic import geojson_bounds

dash.register_page(__name__, path_template="/ward/<gso_code>", name="Phường, xã", name_en="Ward",
                   title="Phường, xã – IOC")

COMPARED = ("camera.security_total", "wifi.access_points", "camera.key_locations_security_rate",
            "services.dossiers_total", "services.online_submission_rate", "services.on_time_rate",
            "services.digitised_rate", "meetings.electronic_rate")
DENSITIES = ("camera_density", "ap_per_1000_households", "key_location_coverage", "online_dossier_rate")


def layout(gso_code: str | None = None, **_query) -> html.Div:
    return html.Div([dcc.Store(id="ward-code", data=str(gso_code or "")[:20]), html.Div(id=ids.WARD_BODY)])


@callback(Output(ids.WARD_BODY, "children"), Input("ward-code", "data"), Input(ids.LANG_SELECT, "value"))
def render_ward(code: str, lang: str):
    lang = normalise_lang(lang)
    try:
        ward = find_ward(code) if code.isdigit() else None
        if ward is None:
            return _not_found(code, lang)
        return _ward_body(ward, lang)
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))


def _not_found(code: str, lang: str) -> html.Div:
    return html.Div([html.H1("404", className="not-found-code"), html.H2(t("page.not_found", lang)),
                     html.P(f"{t('ward.unknown', lang)}: {code!r}"),
                     dcc.Link(t("not_found.home", lang), href="/map", className="button")], className="not-found")


def _ward_body(ward: dict, lang: str) -> list:
    city = ward["city_slug"]
    year = periods.year(datetime.now().year - 1)
    ward_values = compute_kpis(city, year, ward["gso_code"])
    city_values = compute_kpis(city, year)
    metrics = ward_metrics(city)
    ward_row = metrics[metrics["gso_code"] == ward["gso_code"]]
    table = [html.Tr([html.Th(t("ward.indicator", lang)), html.Th(ward["name"]), html.Th(t("ward.city", lang))])]
    for metric in DENSITIES:
        mine = metric_values(ward_row, metric)[ward["gso_code"]]
        average = _city_metric(metrics, metric)
        unit = "%" if metric.endswith(("rate", "coverage")) else ""
        table.append(html.Tr([html.Td(t(f"map.metric.{metric}", lang)), html.Td(format_value(mine, unit, lang)),
                              html.Td(format_value(average, unit, lang))]))
    for code in COMPARED:
        item = BY_CODE[code]
        table.append(html.Tr([html.Td(name_of(item, lang)),
                              html.Td(format_value(ward_values[code], item.unit, lang)),
                              html.Td(format_value(city_values[code], item.unit, lang))]))
    geometry = json.loads(ward["geometry_geojson"])
    tile_url = settings.get("TILE_URL")
    tiles = [dl.TileLayer(url=tile_url, attribution=settings.get("TILE_ATTRIBUTION"))] if tile_url else []
    shape = dl.GeoJSON(data={"type": "Feature", "geometry": geometry, "properties": {"gso_code": ward["gso_code"]}},
                       style={"color": "#f59e0b", "weight": 3, "fillOpacity": 0.1})
    reports = ward_citizen_reports(ward["gso_code"], datetime.now().replace(minute=0, second=0, microsecond=0))
    incidents = ward_open_incidents(ward["gso_code"])
    incident_rows = [{"category": r.category, "severity": r.severity, "status": r.status, "summary": r.summary,
                      "reported_at": format_datetime(r.reported_at, lang)} for r in incidents.itertuples()]
    return [
        html.Div([html.H1(ward["name"], className="page-title"),
                  dcc.Link("← " + t("page.map", lang), href=f"/map?ward={ward['gso_code']}")], className="page-head"),
        html.Small(t("overview.schematic", lang), className="schematic-note") if ward["is_schematic"] else None,
        _lineage_note(city, ward["gso_code"], lang),
        html.Div([
            html.Div(dl.Map([*tiles, shape], center=[ward["centre_lat"], ward["centre_lon"]], zoom=14,
                            viewport={"bounds": geojson_bounds(geometry), "transition": "fitBounds"},
                            className="ward-map"), className="panel"),
            html.Div([html.H2(f"{t('ward.compare', lang)} {year.key}", className="section-title"),
                      html.Table(table, className="compare-table")], className="panel"),
        ], className="overview-lower"),
        html.Div([
            html.Div([html.H2(t("ward.reports", lang), className="section-title"),
                      html.Dl([part for key in ("received", "answered", "answered_late", "open", "overdue")
                               for part in (html.Dt(t(f"reports.{key}", lang)),
                                            html.Dd(format_number(reports[key], lang)))])],
                     className="panel map-side"),
            html.Div([html.H2(f"{t('ward.open_incidents', lang)} ({format_number(len(incidents), lang)})",
                              className="section-title"),
                      dash_table.DataTable(incident_rows, page_size=10, style_table={"overflowX": "auto"},
                                           style_cell={"fontFamily": "inherit", "textAlign": "left"},
                                           columns=[{"name": t(f"incident.{c}", lang), "id": c} for c in
                                                    ("reported_at", "category", "severity", "status", "summary")])],
                     className="panel"),
        ], className="overview-lower", style={"marginTop": "16px"}),
    ]


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
