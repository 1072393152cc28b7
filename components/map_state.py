"""The map's state: what the URL keeps (`/map?layers=security,wifi&metric=...`),
and what the browser is told about the layer registry (`domain/map_layers.py`).

Layers, filters and metrics are read from the registry when used, so a layer
declared there is at once a valid `layers=` value, a JSON entry for
`assets/map.js` and a legend row. Parsing never fails: unknown or hostile values
are dropped and reported as a notice, so a mangled link still opens a working map.
"""
from __future__ import annotations

from dataclasses import asdict, field, make_dataclass
from datetime import date
from functools import partial
from urllib.parse import urlencode

from domain import map_layers as registry
from domain.city_time import utc_offset_minutes
from domain.formatting import MISSING, RANGE_DASH, format_date, format_number
from domain.i18n import TEXT, t
from security import policy

WARDS = "wards"  # the choropleth: a layer of the map, not a point layer of the registry
MAX_VALUE_LENGTH = 200


def layer_names() -> tuple[str, ...]:
    """Every layer a URL may name: the ward choropleth, then the registry's point layers."""
    return (WARDS, *(layer.name for layer in registry.POINT_LAYERS))


def default_layers() -> list[str]:
    return [WARDS, *(layer.name for layer in registry.POINT_LAYERS if layer.shown_by_default)]


def metric_names() -> tuple[str, ...]:
    return tuple(item.name for item in registry.METRICS)


def list_fields() -> dict[str, tuple[str, ...]]:
    """URL parameters holding a comma-separated list, with their allowed values."""
    return {"layers": layer_names(), **{item.name: item.values for item in registry.FILTERS}}


# One list field per registry filter (status, owner, provider, ap_kind), all values chosen by default.
MapState = make_dataclass("MapState", [
    ("layers", list[str], field(default_factory=default_layers)),
    ("metric", str, field(default=registry.METRICS[0].name)),
    *[(item.name, list[str], field(default_factory=partial(list, item.values))) for item in registry.FILTERS],
    ("ward", str | None, field(default=None)),
])
MapState.__module__ = __name__


def _one(query: dict, name: str) -> str | None:
    value = query.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    return str(value)[:MAX_VALUE_LENGTH]


def parse_map_state(query: dict, ward_codes: set[str]) -> tuple[MapState, list[str]]:
    """State from URL query values; the notices name what was ignored."""
    state, notices = MapState(), []
    for name, allowed in list_fields().items():
        raw = _one(query, name)
        if raw is None:
            continue
        items = [item.strip() for item in raw.split(",") if item.strip()]
        kept = [item for item in dict.fromkeys(items) if item in allowed]
        dropped = [item for item in items if item not in allowed]
        if dropped:
            notices.append(f"{name}: {', '.join(d[:30] for d in dropped[:5])}")
        if kept or not items:
            setattr(state, name, kept)
    metric = _one(query, "metric")
    if metric is not None:
        if metric in metric_names():
            state.metric = metric
        else:
            notices.append(f"metric: {metric[:30]}")
    ward = _one(query, "ward")
    if ward is not None:
        if ward in ward_codes:
            state.ward = ward
        else:
            notices.append(f"ward: {ward[:30]}")
    return state, notices


def state_query(state: MapState) -> str:
    """The query string that restores `state` (defaults left out)."""
    default = asdict(MapState())
    values = {}
    for name, value in asdict(state).items():
        if value == default[name] or value is None:
            continue
        values[name] = ",".join(value) if isinstance(value, list) else value
    return urlencode(values, safe=",")


def visible_layers(role: str) -> tuple[registry.PointLayer, ...]:
    """The registry's point layers this role may see (each layer's `access` level, security/policy.py)."""
    return tuple(layer for layer in registry.POINT_LAYERS if policy.allowed(role, layer.access))


def enum_labels(prefix: str, lang: str) -> dict[str, str]:
    """{value: label} of every catalog key under `prefix` ("status." → {"online": "Online", ...})."""
    return {key[len(prefix):]: t(key, lang) for key in TEXT if key.startswith(prefix)}


def _popup_field(item: registry.PopupField, lang: str) -> dict:
    entry = {"column": item.column, "label": t(item.label, lang), "show": item.show}
    if item.show == registry.ENUM:
        entry["values"] = enum_labels(item.prefix, lang)
    return entry


def _layer_config(layer: registry.PointLayer, lang: str) -> dict:
    colour_by = layer.colour_by
    return {
        "label": t(f"map.layer.{layer.name}", lang),
        "clustered": layer.clustered,
        "colour": layer.colour,
        "radius": layer.radius,
        "colour_by": colour_by and {"column": colour_by.column,
                                    "colours": {s.value: s.colour for s in colour_by.swatches},
                                    "labels": {s.value: t(s.label, lang) for s in colour_by.swatches}},
        "alert": layer.alert_column and {"column": layer.alert_column, "values": list(layer.alert_values)},
        "ward_column": layer.ward_column,
        "filters": dict(layer.filters),
        "popup": [_popup_field(item, lang) for item in layer.popup],
    }


def number_format(lang: str) -> dict:
    """How `domain.formatting.format_number` writes numbers in `lang` (vi `1.234,5`, en `1,234.5`),
    its sign for a missing value and its range dash, so the browser writes them the same way."""
    sample = format_number(1234.5, lang, 1)
    return {"group": sample[1], "decimal": sample[-2], "missing": MISSING, "range": RANGE_DASH}


def browser_config(lang: str, layers: tuple[registry.PointLayer, ...] | None = None) -> dict:
    """The registry as assets/map.js reads it, in one language (JSON-ready): per layer its
    label, colours, clustering, popup fields and which filter applies to which column; the
    filters in the order the page passes their values; the points' legend rows, the texts of
    the legend and the counts, and the number format they are written in."""
    layers = registry.POINT_LAYERS if layers is None else layers
    return {
        "lang": lang,
        "filters": [item.name for item in registry.FILTERS],
        "text": {"yes": t("popup.yes", lang), "no": t("popup.no", lang), "down": t("map.cluster_down", lang),
                 "months": [format_date(date(2000, month, 1), "en").split()[1] for month in range(1, 13)],
                 "shown": t("map.shown", lang), "no_data": t("map.no_data", lang),
                 "schematic": t("overview.schematic", lang)},
        "number": number_format(lang),
        "utc_offset": utc_offset_minutes(),
        "layers": {layer.name: _layer_config(layer, lang) for layer in layers},
        "legend": [{"label": t(key, lang), "colour": colour} for key, colour in legend_entries(layers)],
    }


def legend_entries(layers: tuple[registry.PointLayer, ...]) -> list[tuple[str, str]]:
    """(label key, colour) of what the points are drawn in: each colour-by value, else the
    layer's own colour; a row shared by several layers (camera status) once."""
    entries = []
    for layer in layers:
        swatches = layer.colour_by.swatches if layer.colour_by else ()
        for entry in [(s.label, s.colour) for s in swatches] or [(f"map.layer.{layer.name}", layer.colour)]:
            if entry not in entries:
                entries.append(entry)
    return entries
