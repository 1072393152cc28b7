"""Map (`/map`): security and traffic cameras, access points, key locations,
open incidents and sensors over the ward choropleth; filters run in the browser,
the view is kept in the URL.

The choropleth and the ward panel are of one period, stated in the side panel: the
ward page's rule (`data_access.map_layers.ward_period`, stocks at the end of the
last complete year, flows over it); the point layers show the assets as they are now.

Point layers, their clustering, legend and filters come from the registry
(`domain/map_layers.py`); the browser gets it as JSON (`ids.MAP_CONFIG`, in the
current language) and assets/map.js draws, filters and pops up from that.

The layout holds the city's map (`city_map`: that JSON with the wards' names and every
metric's class breaks, and the wards with every metric's colour) and its side panel;
the server answers again only for another city and once per ward chosen (`show_city_or_ward`).
Everything else re-styles what the browser holds, in clientside callbacks: the
metric and the ward layer through the choropleth's `hideout`, the legend, the
point layers, their filters and counts, the address bar. A language switch keeps the
page mounted (components/shell.py `language_switched_in_place`: mounting it again
re-indexed every point layer) and `translate` sends again every prop the layout wrote
words into (`control_texts`, the city's map config and side panel; not the wards, which
carry numbers and no words); the map's callbacks read the language the page's texts are
in (`ids.MAP_LANG`), not the switch."""
from __future__ import annotations

from datetime import timedelta

import dash
import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate
from flask import has_request_context

import settings
from components import ids
from components.banners import error_banner, ignored_notice
from components.map_key import MapCounts, MapLegend
from components.map_state import WARDS, browser_config, metric_names, parse_map_state, visible_layers
from components.shell import language_switched_in_place, nav_names, request_city, request_lang, tab_title
from components.ward_map import CLASS_COLOURS, NO_DATA_COLOUR, choropleth_by_metric
from data_access.db import DatabaseUnavailable
from data_access.map_layers import metric_values, ward_metrics, ward_period
from data_access.places import find_ward, get_city, list_cities, wards_frame, wards_geojson
from domain import map_layers as registry
from domain import periods
from domain.formatting import format_date, format_number, format_percent
from domain.i18n import dropdown_labels, normalise_lang, t
from domain.text import unaccent
from geo.schematic import geojson_bounds
from security.policy import ANONYMOUS
from security.session import current_identity

dash.register_page(__name__, path="/map", **nav_names("map"), order=1, nav=True,
                   title=tab_title("title.map"))


def _visible_layers() -> tuple[registry.PointLayer, ...]:
    """The registry's point layers the signed-in role may see (none when called outside a request)."""
    return visible_layers(current_identity().role if has_request_context() else ANONYMOUS)


def filter_id(name: str) -> str:
    """The checklist of a registry filter: map-status, map-owner, map-provider, map-ap-kind."""
    return ids.MAP_FILTER_PREFIX + name.replace("_", "-")


def _ward_options(city: str) -> list[dict]:
    wards = wards_frame(city)
    return [{"label": name, "value": code, "search": f"{name} {unaccent(name)} {code}"}
            for code, name in zip(wards["gso_code"], wards["name"])]


def heading_id(name: str) -> str:
    """The heading of a control of the map: map-heading-layers, map-heading-metric, map-heading-status."""
    return ids.MAP_HEADING_PREFIX + name.replace("_", "-")


def _options(values, label_prefix: str, lang: str) -> list[dict]:
    return [{"label": t(f"{label_prefix}{v}", lang) if label_prefix else v, "value": v} for v in values]


def control_texts(lang: str, layers: tuple[registry.PointLayer, ...]) -> dict[tuple[str, str], object]:
    """Every prop of the controls that holds words, by (component id, prop), in `lang`: the layout draws
    them and `translate` sends them again on a language switch, so the two cannot say different things."""
    texts = {
        (ids.MAP_TITLE, "children"): t("map.heading", lang),
        (ids.MAP_WARD, "placeholder"): t("map.ward_search", lang),
        (ids.MAP_WARD, "labels"): dropdown_labels(lang),
        (heading_id("layers"), "children"): t("map.layers", lang),
        (ids.MAP_LAYERS, "options"): _options((WARDS, *(layer.name for layer in layers)), "map.layer.", lang),
        (heading_id("metric"), "children"): t("map.metric", lang),
        (ids.MAP_METRIC, "options"): _options(metric_names(), "map.metric.", lang),
    }
    for item in registry.FILTERS:
        texts[(heading_id(item.name), "children")] = t(item.heading, lang)
        texts[(filter_id(item.name), "options")] = _options(item.values, item.option_prefix, lang)
    return texts


TRANSLATED_CONTROLS = tuple(control_texts("vi", ()))


def _point_layer(layer: registry.PointLayer) -> dl.GeoJSON:
    return dl.GeoJSON(id={"type": ids.MAP_POINT_LAYER, "layer": layer.name}, cluster=layer.clustered,
                      zoomToBoundsOnClick=True, pointToLayer={"variable": "iocMap.pointToLayer"},
                      onEachFeature={"variable": "iocMap.bindPopup"},
                      clusterToLayer={"variable": "iocMap.clusterToLayer"} if layer.clustered else None,
                      superClusterOptions={"radius": 70, "maxZoom": 17})


def layout(**query) -> html.Div:
    if language_switched_in_place():
        return dash.no_update  # the page stays mounted; `translate` sends its words in the language
    lang = request_lang(query.pop("lang", None))
    try:
        city = request_city(query.pop("city", None))
        known = {c["slug"] for c in list_cities()}
        codes = {code for slug in known for code in wards_frame(slug)["gso_code"]}
        state, notices = parse_map_state(query, codes)
        if state.ward:
            city = find_ward(state.ward)["city_slug"]
        config, wards, ward_options = city_map(city, lang)
        side, viewport = ward_panel(state.ward, city, lang)
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))
    tile_url = settings.get("TILE_URL")
    tiles = [dl.TileLayer(url=tile_url, attribution=settings.get("TILE_ATTRIBUTION"))] if tile_url else []
    layers = _visible_layers()
    texts = control_texts(lang, layers)

    def section(name: str, control):
        return html.Div([html.H3(texts[(heading_id(name), "children")], id=heading_id(name)), control])

    controls = html.Div([
        dcc.Dropdown(id=ids.MAP_WARD, value=state.ward, options=ward_options, clearable=True, searchable=True,
                     placeholder=texts[(ids.MAP_WARD, "placeholder")], labels=texts[(ids.MAP_WARD, "labels")]),
        section("layers", dcc.Checklist(id=ids.MAP_LAYERS, value=state.layers,
                                        options=texts[(ids.MAP_LAYERS, "options")])),
        section("metric", dcc.RadioItems(id=ids.MAP_METRIC, value=state.metric,
                                         options=texts[(ids.MAP_METRIC, "options")])),
        *[section(item.name, dcc.Checklist(id=filter_id(item.name), value=getattr(state, item.name),
                                           options=texts[(filter_id(item.name), "options")]))
          for item in registry.FILTERS],
        MapCounts(id=ids.MAP_COUNTS, className="map-counts"),
    ], className="panel map-controls")
    return html.Div([
        html.H1(texts[(ids.MAP_TITLE, "children")], id=ids.MAP_TITLE, className="page-title"),
        html.Div(ignored_notice(notices, lang), id=ids.MAP_NOTICE),
        html.Div([
            controls,
            html.Div(dl.Map([*tiles, dl.GeoJSON(id=ids.MAP_WARDS, data=wards, style={"variable": "iocMap.wardStyle"},
                                                hoverStyle={"variable": "iocMap.wardHover"},
                                                onEachFeature={"variable": "iocMap.wardTooltip"},
                                                hideout=ward_hideout(state.metric, state.layers, state.ward)),
                             *[_point_layer(layer) for layer in layers]],
                            id=ids.MAP, attributionControl=bool(tile_url), className="big-map", trackViewport=False,
                            **_first_view(viewport)), className="panel"),
            html.Div([html.Div(side, id=ids.MAP_SIDE), MapLegend(id=ids.MAP_LEGEND)], className="panel map-side"),
        ], className="map-page"),
        dcc.Store(id=ids.MAP_CONFIG, data=config), dcc.Store(id=ids.MAP_LANG, data=lang),
        dcc.Store(id=ids.MAP_NOTICES, data=notices),
        dcc.Store(id=ids.MAP_CITY), dcc.Store(id=ids.MAP_PREFETCH),
        html.Div(id=ids.MAP_URL_SINK),
    ])


@callback(
    *[Output(component, prop) for component, prop in TRANSLATED_CONTROLS],
    Output(ids.MAP_NOTICE, "children"), Output(ids.MAP_CONFIG, "data"),
    Output(ids.MAP_SIDE, "children"), Output(ids.MAP_LANG, "data"),
    Input(ids.LANG_SELECT, "value"), State(ids.MAP_LANG, "data"), State(ids.MAP_CONFIG, "data"),
    State(ids.MAP_WARD, "value"), State(ids.MAP_NOTICES, "data"), prevent_initial_call=True,
)
def translate(lang: str, drawn: str | None, config: dict | None, ward: str | None, notices):
    """The page in another language, kept mounted: the controls' words, the ignored-values notice, the
    city's map config (its legend, counts, popups and ward tooltips are in the config's language; the
    wards themselves carry no words and are not sent again) and the side panel. Nothing when the page
    is already in that language (an address's `lang=` at opening)."""
    lang = normalise_lang(lang)
    if lang == drawn:
        raise PreventUpdate
    texts = control_texts(lang, _visible_layers())
    notices = [str(n) for n in notices] if isinstance(notices, list) else []
    city = config.get("city") if isinstance(config, dict) else None
    kept = dash.no_update
    try:
        city = city if city and get_city(city) else request_city()
        config, _wards, _ = city_map(city, lang)
        side, _viewport = ward_panel(ward if isinstance(ward, str) else None, city, lang)
    except DatabaseUnavailable as exc:
        config, side = kept, error_banner(str(exc))
    return (*(texts[key] for key in TRANSLATED_CONTROLS), ignored_notice(notices, lang), config, side, lang)


# The view jumps to the chosen ward or city: a flight kept the page moving 0.3 s after the answer,
# past the 200 ms an interaction may take (issue #21); the selected ward's outline shows where it went.
JUMP = {"transition": "fitBounds", "options": {"animate": False}}


def _first_view(viewport: dict | None) -> dict:
    """The map's first view, as Leaflet takes it when the map is made: the bounds of the ward or city
    (given as `viewport` too, a later change of the view would fight it back with an animation)."""
    if not viewport:
        return {"center": [19.8066, 105.7877], "zoom": 12}
    return {"bounds": viewport["bounds"], "boundsOptions": {"animate": False}}


def ward_hideout(metric: str, layers: list[str], ward: str | None) -> dict:
    """What `iocMap.wardStyle` draws the wards by (assets/map.js `wardHideout` computes the same)."""
    return {"metric": metric, "wards": WARDS in (layers or []), "selected": ward}


def city_map(city: str, lang: str) -> tuple[dict, dict, list[dict]]:
    """Everything the browser needs to draw the city's map until the city or the language changes:
    the registry JSON with the city's ward names, every metric's label and class breaks, and the
    wards with every metric's colour and value (nothing is asked again for a metric or a filter);
    and the ward search's options. DatabaseUnavailable when the city cannot be read."""
    collection = wards_geojson(city)
    metrics = ward_metrics(city)
    options = _ward_options(city)
    data, breaks = choropleth_by_metric(collection, {name: metric_values(metrics, name) for name in metric_names()})
    config = browser_config(lang, _visible_layers())
    config.update(city=city, ward_names={o["value"]: o["label"] for o in options}, wards={
        "metrics": {name: {"label": t(f"map.metric.{name}", lang), "breaks": breaks[name]} for name in metric_names()},
        "colours": list(CLASS_COLOURS), "no_data": NO_DATA_COLOUR,
        "schematic": any(feature["properties"]["schematic"] for feature in collection["features"])})
    return config, data, options


# The layout draws the city it was asked for (the address's, else this browser's last choice: the
# city cookie), so opening the page or switching its language waits for no round trip before the
# map. The browser asks for another city only when the shell's is not the one drawn or last asked for.
CITY_GUARD_JS = """function(city, config, asked) {
    const shown = asked || (config && config.city);
    return city && city !== shown ? city : window.dash_clientside.no_update;
}"""
clientside_callback(
    CITY_GUARD_JS,
    Output(ids.MAP_CITY, "data"), Input(ids.CITY_SELECT, "value"), State(ids.MAP_CONFIG, "data"),
    State(ids.MAP_CITY, "data"),
)


@callback(
    Output(ids.MAP_CONFIG, "data"), Output(ids.MAP_WARDS, "data"), Output(ids.MAP_WARD, "options"),
    Output(ids.MAP_SIDE, "children"), Output(ids.MAP, "viewport"),
    Input(ids.MAP_WARD, "value"), Input(ids.MAP_CITY, "data"), State(ids.CITY_SELECT, "value"),
    State(ids.MAP_LANG, "data"), prevent_initial_call=True,
)
def show_city_or_ward(ward: str | None, asked: str | None, selected: str | None, lang: str):
    """What the map asks the server for, in one answer, in the language the page's texts are in:
    another city's map (`city_map`) with its side panel and view, or a chosen ward's figures (new
    data: the one answer a ward click needs) and the view on it. A city switch sent two requests."""
    lang = normalise_lang(lang)
    keep = dash.no_update
    another_city = f"{ids.MAP_CITY}.data" in dash.ctx.triggered_prop_ids
    city = asked or selected
    try:
        city_parts = city_map(city, lang) if another_city else (keep, keep, keep)
        panel, viewport = ward_panel(ward, city, lang)
    except DatabaseUnavailable as exc:
        return *((None, None, []) if another_city else (keep, keep, keep)), error_banner(str(exc)), keep
    return *city_parts, panel, keep if viewport is None else viewport


clientside_callback("window.iocMap.clickedWard", Output(ids.MAP_WARD, "value"), Input(ids.MAP_WARDS, "clickData"),
                    prevent_initial_call=True)

# The layout draws the first hideout; these inputs change it in the browser.
clientside_callback("window.iocMap.wardHideout", Output(ids.MAP_WARDS, "hideout"), Input(ids.MAP_METRIC, "value"),
                    Input(ids.MAP_LAYERS, "value"), Input(ids.MAP_WARD, "value"), prevent_initial_call=True)

clientside_callback("window.iocMap.drawLegend", Output(ids.MAP_LEGEND, "legend"), Input(ids.MAP_CONFIG, "data"),
                    Input(ids.MAP_METRIC, "value"))


def ward_panel(ward: str | None, city: str, lang: str) -> tuple[list | None, dict | None]:
    """The side panel (the ward's figures, or how to choose one) and the view (the ward, else the
    city). DatabaseUnavailable when the city cannot be read."""
    if get_city(city) is None:
        return None, None
    metrics = ward_metrics(city)
    as_of = _as_of_line(ward_period(), lang)
    row = metrics[metrics["gso_code"] == ward]
    if not ward or row.empty:
        viewport = {"bounds": geojson_bounds(wards_geojson(city)), **JUMP}
        return [html.P(t("map.click_ward", lang), className="muted"), as_of], viewport
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
    panel = [html.H2(ward_row["name"], className="section-title"), as_of,
             html.Dl([part for key, value in figures for part in (html.Dt(t(key, lang)), html.Dd(value))]),
             dcc.Link(t("map.open_ward", lang) + " →", href=f"/ward/{ward}", className="button")]
    return panel, {"bounds": geojson_bounds(ward_feature), **JUMP}


def _as_of_line(period: periods.Period, lang: str) -> html.P:
    """What the choropleth and the panel's figures describe, as the ward page says it."""
    last_day = format_date(period.end - timedelta(days=1), lang)
    return html.P(t("asof.period", lang).format(year=period.key, end=last_day), className="as-of-line")


# The filters' values follow the other inputs, in registry order (the config lists their names).
FILTER_INPUTS = [Input(filter_id(item.name), "value") for item in registry.FILTERS]

POINT_LAYERS = {"type": ids.MAP_POINT_LAYER, "layer": ALL}

clientside_callback(
    "window.iocMap.updateLayers",
    Output(POINT_LAYERS, "data"), Output(POINT_LAYERS, "superClusterOptions"), Output(POINT_LAYERS, "hideout"),
    Output(ids.MAP_COUNTS, "counts"),
    Input(ids.MAP_CONFIG, "data"), Input(ids.MAP_LAYERS, "value"), Input(ids.MAP_WARD, "value"), *FILTER_INPUTS,
    State(POINT_LAYERS, "superClusterOptions"),
)

# Another city's point layers are drawn as soon as the city is asked for, while the server makes its map.
clientside_callback(
    "window.iocMap.layersForCity",
    *[Output(POINT_LAYERS, prop, allow_duplicate=True) for prop in ("data", "superClusterOptions", "hideout")],
    Output(ids.MAP_COUNTS, "counts", allow_duplicate=True),
    Input(ids.MAP_CITY, "data"), State(ids.MAP_CONFIG, "data"), State(ids.MAP_LAYERS, "value"),
    State(ids.MAP_WARD, "value"), *[State(i.component_id, i.component_property) for i in FILTER_INPUTS],
    State(POINT_LAYERS, "superClusterOptions"), prevent_initial_call=True,
)

# The layers' data is asked for as soon as the page is drawn, beside the server's `show_city_or_ward`
# (which updateLayers waits for), and again at once on a city switch.
clientside_callback("window.iocMap.prefetch", Output(ids.MAP_PREFETCH, "data"), Input(ids.CITY_SELECT, "value"),
                    Input(ids.MAP_LAYERS, "value"), State(POINT_LAYERS, "id"))

clientside_callback(
    "window.iocMap.syncUrl",
    Output(ids.MAP_URL_SINK, "className"),
    Input(ids.MAP_CONFIG, "data"), Input(ids.MAP_LAYERS, "value"), Input(ids.MAP_METRIC, "value"),
    Input(ids.MAP_WARD, "value"), *FILTER_INPUTS,
)
