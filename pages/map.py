"""Map (`/map`): security and traffic cameras, access points, key locations,
open incidents and sensors over the ward choropleth; filters run in the browser,
the view is kept in the URL."""
from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import Input, Output, callback, clientside_callback, dcc, html

import settings
from components import ids
from components.banners import error_banner, ignored_notice
from components.formatting import format_number, format_percent, unaccent
from components.i18n import normalise_lang, t
from components.map_state import (AP_KINDS, CAMERA_STATUSES, LAYERS, METRICS, OWNERS, PROVIDERS,
                                  parse_map_state)
from components.ward_map import NO_DATA_COLOUR, choropleth_geojson, legend
from data_access.db import DatabaseUnavailable
from data_access.map_layers import POINT_LAYERS, metric_values, ward_metrics
from data_access.places import find_ward, get_city, list_cities, wards_frame, wards_geojson
from geo.schematic import geojson_bounds

dash.register_page(__name__, path="/map", name="Bản đồ", name_en="Map", order=1, nav=True, title="Bản đồ – IOC")

CLUSTERED = {"security", "traffic", "wifi"}
# The colours assets/map.js draws points with (status, access-point kind, key-location coverage).
POINT_LEGEND = (("status.online", "#16a34a"), ("status.offline", "#dc2626"), ("status.maintenance", "#f59e0b"),
                ("ap.public_internet_point", "#0891b2"), ("ap.free_wifi", "#db2777"),
                ("map.key_covered", "#16a34a"), ("map.key_uncovered", "#dc2626"),
                ("map.layer.incidents", "#dc2626"), ("map.layer.sensors", "#059669"))


def _ward_options(city: str) -> list[dict]:
    wards = wards_frame(city)
    return [{"label": name, "value": code, "search": f"{name} {unaccent(name)} {code}"}
            for code, name in zip(wards["gso_code"], wards["name"])]


def _checklist(component_id: str, values: tuple[str, ...], chosen: list[str], label_key: str, lang: str):
    return dcc.Checklist(id=component_id, value=chosen,
                         options=[{"label": t(f"{label_key}.{v}", lang) if label_key else v, "value": v}
                                  for v in values])


def layout(**query) -> html.Div:
    lang = normalise_lang(settings.get("DEFAULT_LANG"))
    city = settings.get("DEFAULT_CITY")
    try:
        known = {c["slug"] for c in list_cities()}
        codes = {code for slug in known for code in wards_frame(slug)["gso_code"]}
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))
    state, notices = parse_map_state(query, codes)
    ward_city = find_ward(state.ward)["city_slug"] if state.ward else city
    ward_options = _ward_options(ward_city if ward_city in known else next(iter(sorted(known)), city))
    tile_url = settings.get("TILE_URL")
    tiles = [dl.TileLayer(url=tile_url, attribution=settings.get("TILE_ATTRIBUTION"))] if tile_url else []
    point_layers = [
        dl.GeoJSON(id={"type": ids.MAP_POINT_LAYER, "layer": layer}, cluster=layer in CLUSTERED,
                   zoomToBoundsOnClick=True, pointToLayer={"variable": "iocMap.pointToLayer"},
                   onEachFeature={"variable": "iocMap.bindPopup"},
                   clusterToLayer={"variable": "iocMap.clusterToLayer"} if layer in CLUSTERED else None,
                   superClusterOptions={"radius": 70, "maxZoom": 17})
        for layer in POINT_LAYERS
    ]
    controls = html.Div([
        dcc.Dropdown(id=ids.MAP_WARD, value=state.ward, options=ward_options, placeholder=t("map.ward_search", lang),
                     clearable=True, searchable=True),
        html.Div([html.H3(t("map.layers", lang)),
                  _checklist(ids.MAP_LAYERS, LAYERS, state.layers, "map.layer", lang)]),
        html.Div([html.H3(t("map.metric", lang)),
                  dcc.RadioItems(id=ids.MAP_METRIC, value=state.metric,
                                 options=[{"label": t(f"map.metric.{m}", lang), "value": m} for m in METRICS])]),
        html.Div([html.H3(t("map.camera_status", lang)),
                  _checklist(ids.MAP_STATUS, CAMERA_STATUSES, state.status, "status", lang)]),
        html.Div([html.H3(t("map.owner", lang)), _checklist(ids.MAP_OWNER, OWNERS, state.owner, "owner", lang)]),
        html.Div([html.H3(t("map.provider", lang)), _checklist(ids.MAP_PROVIDER, PROVIDERS, state.provider, "", lang)]),
        html.Div([html.H3(t("map.ap_kind", lang)), _checklist(ids.MAP_AP_KIND, AP_KINDS, state.ap_kind, "ap", lang)]),
        html.Div(id=ids.MAP_COUNTS, className="map-counts"),
    ], className="panel map-controls")
    return html.Div([
        html.H1(t("map.heading", lang), id=ids.MAP_TITLE, className="page-title"),
        ignored_notice(notices, lang),
        html.Div([
            controls,
            html.Div(dl.Map([*tiles, dl.GeoJSON(id=ids.MAP_WARDS, style={"variable": "iocMap.wardStyle"},
                                                hoverStyle={"variable": "iocMap.wardHover"},
                                                hideout={"selected": state.ward}),
                             *point_layers],
                            id=ids.MAP, center=[19.8066, 105.7877], zoom=12,
                            attributionControl=bool(tile_url), className="big-map"), className="panel"),
            html.Div([html.Div(id=ids.MAP_SIDE), html.Div(id=ids.MAP_LEGEND)], className="panel map-side"),
        ], className="map-page"),
        dcc.Store(id=ids.MAP_WARD_NAMES), dcc.Store(id=ids.MAP_COUNTS_STORE), html.Div(id=ids.MAP_URL_SINK),
    ])


@callback(
    Output(ids.MAP_WARDS, "data"), Output(ids.MAP_LEGEND, "children"), Output(ids.MAP_WARD, "options"),
    Output(ids.MAP_WARD_NAMES, "data"),
    Input(ids.CITY_SELECT, "value"), Input(ids.MAP_METRIC, "value"), Input(ids.MAP_LAYERS, "value"),
    Input(ids.LANG_SELECT, "value"),
)
def render_wards(city: str, metric: str, layers: list[str], lang: str):
    lang = normalise_lang(lang)
    if metric not in METRICS:
        metric = METRICS[0]
    try:
        collection = wards_geojson(city)
        values = metric_values(ward_metrics(city), metric)
        options = _ward_options(city)
    except DatabaseUnavailable as exc:
        return None, error_banner(str(exc)), [], {}
    data = choropleth_geojson(collection, values, lang)
    names = {o["value"]: o["label"] for o in options}
    if "wards" not in (layers or []):
        for feature in data["features"]:
            feature["properties"]["fill"] = "transparent"
    unit = t(f"map.metric.{metric}", lang)
    schematic = any(feature["properties"]["schematic"] for feature in collection["features"])
    legend_block = [html.Small(t("overview.schematic", lang), className="schematic-note") if schematic else None,
                    legend(data["breaks"], unit, lang),
                    html.Div([html.Span(className="swatch", style={"background": NO_DATA_COLOUR}),
                              t("map.no_data", lang)], className="legend-row"),
                    html.Div([html.Div([html.Span(className="dot", style={"background": colour}), t(key, lang)],
                                       className="legend-row") for key, colour in POINT_LEGEND],
                             className="point-legend")]
    return data, legend_block, options, names


@callback(Output(ids.MAP_WARD, "value"), Input(ids.MAP_WARDS, "clickData"), prevent_initial_call=True)
def select_clicked_ward(feature: dict | None):
    if not feature:
        return dash.no_update
    return feature.get("properties", {}).get("gso_code", dash.no_update)


@callback(
    Output(ids.MAP_SIDE, "children"), Output(ids.MAP, "viewport"), Output(ids.MAP_WARDS, "hideout"),
    Input(ids.MAP_WARD, "value"), Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
)
def render_ward_panel(ward: str | None, city: str, lang: str):
    lang = normalise_lang(lang)
    try:
        info = get_city(city)
        metrics = ward_metrics(city)
    except DatabaseUnavailable as exc:
        return error_banner(str(exc)), dash.no_update, dash.no_update
    if info is None:
        return None, dash.no_update, {"selected": None}
    row = metrics[metrics["gso_code"] == ward]
    if not ward or row.empty:
        viewport = {"bounds": geojson_bounds(wards_geojson(city)), "transition": "flyToBounds"}
        return html.P(t("map.click_ward", lang), className="muted"), viewport, {"selected": None}
    ward_row = row.iloc[0]
    ward_feature = next(f for f in wards_geojson(city)["features"] if f["properties"]["gso_code"] == ward)
    figures = [
        ("ward.population", format_number(ward_row["population"], lang)),
        ("ward.households", format_number(ward_row["households"], lang)),
        ("ward.area", f"{format_number(ward_row['area_km2'], lang, 2)} km²"),
        ("ward.cameras", format_number(ward_row["cameras"], lang)),
        ("ward.access_points", format_number(ward_row["access_points"], lang)),
        ("ward.key_coverage", format_percent(metric_values(row, "key_location_coverage")[ward], lang)),
        ("ward.online_rate", format_percent(metric_values(row, "online_dossier_rate")[ward], lang)),
        ("ward.open_incidents", format_number(ward_row["open_incidents"], lang)),
    ]
    panel = [html.H2(ward_row["name"], className="section-title"),
             html.Dl([part for key, value in figures for part in (html.Dt(t(key, lang)), html.Dd(value))]),
             dcc.Link(t("map.open_ward", lang) + " →", href=f"/ward/{ward}", className="button")]
    return panel, {"bounds": geojson_bounds(ward_feature), "transition": "flyToBounds"}, {"selected": ward}


clientside_callback(
    "window.iocMap.updateLayers",
    *[Output({"type": ids.MAP_POINT_LAYER, "layer": layer}, "data") for layer in POINT_LAYERS],
    Output(ids.MAP_COUNTS_STORE, "data"),
    Input(ids.CITY_SELECT, "value"), Input(ids.MAP_LAYERS, "value"), Input(ids.MAP_STATUS, "value"),
    Input(ids.MAP_OWNER, "value"), Input(ids.MAP_PROVIDER, "value"), Input(ids.MAP_AP_KIND, "value"),
    Input(ids.MAP_WARD, "value"), Input(ids.MAP_WARD_NAMES, "data"),
)

clientside_callback(
    "window.iocMap.syncUrl",
    Output(ids.MAP_URL_SINK, "className"),
    Input(ids.MAP_LAYERS, "value"), Input(ids.MAP_METRIC, "value"), Input(ids.MAP_STATUS, "value"),
    Input(ids.MAP_OWNER, "value"), Input(ids.MAP_PROVIDER, "value"), Input(ids.MAP_AP_KIND, "value"),
    Input(ids.MAP_WARD, "value"),
)


@callback(Output(ids.MAP_COUNTS, "children"), Input(ids.MAP_COUNTS_STORE, "data"), Input(ids.LANG_SELECT, "value"))
def render_counts(counts: dict | None, lang: str):
    lang = normalise_lang(lang)
    if not counts:
        return None
    return [html.Div(t("map.shown", lang) + ":")] + [
        html.Div(f"{t(f'map.layer.{layer}', lang)}: {format_number(n, lang)}", id=f"map-count-{layer}")
        for layer, n in counts.items() if n]
