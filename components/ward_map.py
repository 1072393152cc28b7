"""A small Leaflet map of the wards, coloured by a metric with a legend.

Colours are chosen on the server (quantile classes) and drawn by the
`iocMap.wardStyle` function in assets/map.js, so the browser only styles; the
/map page gets every metric's colours at once and picks one through `hideout`.
"""
from __future__ import annotations

import dash_leaflet as dl
import numpy as np
from dash import html

import settings
from domain.formatting import format_number

CLASS_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA_COLOUR = "#cccccc"


def class_breaks(values: list[float], classes: int = len(CLASS_COLOURS)) -> list[float]:
    """Quantile class breaks (upper bounds) for the values that are present."""
    present = np.array([v for v in values if v is not None], dtype=float)
    if present.size == 0:
        return []
    return [float(b) for b in np.quantile(present, np.linspace(0, 1, classes + 1)[1:])]


def colour_for(value: float | None, breaks: list[float]) -> str:
    if value is None or not breaks:
        return NO_DATA_COLOUR
    for colour, upper in zip(CLASS_COLOURS, breaks):
        if value <= upper:
            return colour
    return CLASS_COLOURS[-1]


def choropleth_geojson(collection: dict, metric: dict[str, float | None], lang: str) -> dict:
    """The ward features with `fill` colour and a tooltip of the metric."""
    breaks = class_breaks(list(metric.values()))
    features = []
    for feature in collection["features"]:
        code = feature["properties"]["gso_code"]
        value = metric.get(code)
        properties = dict(feature["properties"], value=value, fill=colour_for(value, breaks),
                          tooltip=f"{feature['properties']['name']}: {format_number(value, lang, 1)}")
        features.append(dict(feature, properties=properties))
    return {"type": "FeatureCollection", "features": features, "breaks": breaks}


def choropleth_by_metric(collection: dict,
                         values: dict[str, dict[str, float | None]]) -> tuple[dict, dict[str, list[float]]]:
    """The ward features with a `fills` and a `values` entry for every metric, and each metric's
    class breaks: sent once per city, so the browser switches metric without asking the server. No
    words: the browser writes a ward's tooltip (its name and value) in the page's language
    (assets/map.js `wardTooltip`), so a language switch does not send the wards again."""
    breaks = {name: class_breaks(list(by_ward.values())) for name, by_ward in values.items()}
    features = []
    for feature in collection["features"]:
        code = feature["properties"]["gso_code"]
        fills = {metric: colour_for(by_ward.get(code), breaks[metric]) for metric, by_ward in values.items()}
        shown = {metric: by_ward.get(code) for metric, by_ward in values.items()}
        features.append(dict(feature, properties=dict(feature["properties"], fills=fills, values=shown)))
    return {"type": "FeatureCollection", "features": features}, breaks


def zoom_for_area(area_km2: float) -> int:
    """A zoom that shows the whole city in the overview map (~500 px square)."""
    if area_km2 < 80:
        return 13
    return 12 if area_km2 < 250 else 11


def make_ward_map(map_id: str, layer_id: str) -> dl.Map:
    tile_url = settings.get("TILE_URL")
    children = [dl.TileLayer(url=tile_url, attribution=settings.get("TILE_ATTRIBUTION"))] if tile_url else []
    children.append(dl.GeoJSON(id=layer_id, style={"variable": "iocMap.wardStyle"},
                               hoverStyle={"variable": "iocMap.wardHover"}))
    return dl.Map(children, id=map_id, center=[19.8066, 105.7877], zoom=11, className="ward-map",
                  attributionControl=bool(tile_url), scrollWheelZoom=False)


def legend(breaks: list[float], unit: str, lang: str) -> html.Div:
    items, lower = [], 0.0
    for colour, upper in zip(CLASS_COLOURS, breaks):
        items.append(html.Div([html.Span(className="swatch", style={"background": colour}),
                               f"{format_number(lower, lang, 1)}–{format_number(upper, lang, 1)}"]))
        lower = upper
    return html.Div([html.Div(unit, className="legend-unit"), *items], className="map-legend")
