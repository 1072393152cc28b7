"""The map layer registry (domain/map_layers.py) and everything that reads it: each layer has a
query that returns what it sends, colours and labels are valid in both languages, the API, the
URL state, the page's JSON and the metrics follow the registry, and a layer added to it alone
appears everywhere."""
from __future__ import annotations

import dataclasses
import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest

from components import map_state
from domain import i18n
from domain import map_layers as registry

CITY = "thanh-hoa"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LAYERS = [layer.name for layer in registry.POINT_LAYERS]


def _used_columns(layer: registry.PointLayer) -> set[str]:
    """Columns the browser reads: popups, filters, colours, cluster alerts, the ward filter."""
    used = {field.column for field in layer.popup} | {column for _name, column in layer.filters} | {layer.ward_column}
    if layer.colour_by:
        used.add(layer.colour_by.column)
    if layer.alert_column:
        used.add(layer.alert_column)
    return used


def _frame(layer: registry.PointLayer) -> pd.DataFrame:
    from data_access.map_layers import QUERIES

    return QUERIES[layer.source].uncached(CITY, *layer.source_args)


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_has_a_query_returning_what_it_sends(demo_db, name):
    from data_access.map_layers import QUERIES

    layer = registry.point_layer(name)
    assert layer.source in QUERIES, f"{name}: no query {layer.source!r} in data_access/map_layers.py"
    frame = _frame(layer)
    assert len(frame) > 0
    assert {"lon", "lat", *layer.columns} <= set(frame.columns)
    assert _used_columns(layer) <= set(layer.columns), "the browser reads only columns the API sends"
    assert len(set(layer.columns)) == len(layer.columns)


@pytest.mark.parametrize("name", LAYERS)
def test_values_in_the_data_are_translated_and_offered_by_the_filters(demo_db, name):
    layer = registry.point_layer(name)
    frame = _frame(layer)
    for field in layer.popup:
        if field.show == registry.ENUM:
            for value in frame[field.column].dropna().astype(str).unique():
                assert f"{field.prefix}{value}" in i18n.TEXT, f"{name}.{field.column}: {value!r} untranslated"
    filters = {item.name: item for item in registry.FILTERS}
    for use, column in layer.filters:
        stray = set(frame[column].dropna().astype(str)) - set(filters[use].values)
        assert not stray, f"{name}: values no {use} option offers (never shown): {stray}"
    if layer.colour_by:
        values = {swatch.value for swatch in layer.colour_by.swatches}
        assert set(frame[layer.colour_by.column].astype(str)) <= values, f"{name}: values without a colour"


def _colours() -> list[str]:
    colours = [layer.colour for layer in registry.POINT_LAYERS]
    for layer in registry.POINT_LAYERS:
        colours += [swatch.colour for swatch in (layer.colour_by.swatches if layer.colour_by else ())]
    return colours


def test_every_colour_is_a_hex_colour():
    assert len(_colours()) > len(registry.POINT_LAYERS)
    assert [c for c in _colours() if not HEX.match(c)] == []


def _catalog_keys() -> list[str]:
    keys = [f"map.layer.{layer.name}" for layer in registry.POINT_LAYERS]
    keys += [f"map.metric.{item.name}" for item in registry.METRICS]
    for layer in registry.POINT_LAYERS:
        keys += [field.label for field in layer.popup]
        keys += [swatch.label for swatch in (layer.colour_by.swatches if layer.colour_by else ())]
    for item in registry.FILTERS:
        keys.append(item.heading)
        keys += [f"{item.option_prefix}{value}" for value in item.values if item.option_prefix]
    return keys + ["popup.yes", "popup.no", "map.cluster_down"]


@pytest.mark.parametrize("key", sorted(set(_catalog_keys())))
def test_every_label_resolves_in_both_languages(key):
    assert key in i18n.TEXT, f"{key} is not in the catalog"
    vi, en = i18n.t(key, "vi"), i18n.t(key, "en")
    assert vi.strip() and en.strip()
    assert vi != en, f"{key}: English shows the Vietnamese text"


def test_registry_labels_reach_the_catalog_without_copies():
    for layer in registry.POINT_LAYERS:
        assert i18n.TEXT[f"map.layer.{layer.name}"] == layer.label
    for item in registry.METRICS:
        assert i18n.TEXT[f"map.metric.{item.name}"] == item.label


def test_registry_declarations_are_consistent():
    from security.policy import LEVELS

    filters = {item.name for item in registry.FILTERS}
    assert len(LAYERS) == len(set(LAYERS)) and "wards" not in LAYERS
    for layer in registry.POINT_LAYERS:
        assert layer.access in LEVELS
        assert {use for use, _column in layer.filters} <= filters
        assert all(field.show in registry.SHOW for field in layer.popup)
        assert all(field.prefix for field in layer.popup if field.show == registry.ENUM)
    for item in registry.METRICS:
        assert item.kind in (registry.RATIO, registry.RATE, registry.COUNT)
        assert (item.denominator is None) == (item.kind == registry.COUNT)


@pytest.mark.parametrize("name", LAYERS)
def test_api_columns_come_from_the_registry(client_as, name):
    from api import layer_columns

    layer = registry.point_layer(name)
    assert layer_columns(name) == (layer.categories, layer.texts, layer.times)
    packed = json.loads(gzip.decompress(client_as("staff").get(
        f"/api/v1/map/{CITY}/{name}", headers={"Accept-Encoding": "gzip"}).data))
    assert (list(packed["cat"]), list(packed["text"]), list(packed["time"])) == \
        (list(layer.categories), list(layer.texts), list(layer.times))


def _config_from_the_page(client, lang: str) -> dict:
    """What the page's city callback answers for another city (the JSON assets/map.js reads; the
    layout holds the same for the city it is drawn for)."""
    from components import ids

    outputs = [{"id": ids.MAP_CONFIG, "property": "data"}, {"id": ids.MAP_WARDS, "property": "data"},
               {"id": ids.MAP_WARD, "property": "options"}, {"id": ids.MAP_SIDE, "property": "children"},
               {"id": ids.MAP, "property": "viewport"}]
    body = {"output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..", "outputs": outputs,
            "inputs": [{"id": ids.MAP_WARD, "property": "value", "value": None},
                       {"id": ids.MAP_CITY, "property": "data", "value": CITY}],
            "changedPropIds": [f"{ids.MAP_CITY}.data"],
            "state": [{"id": ids.CITY_SELECT, "property": "value", "value": CITY},
                      {"id": ids.MAP_LANG, "property": "data", "value": lang}]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"][ids.MAP_CONFIG]["data"]


CITY_PART = ("city", "ward_names", "wards")  # what the page adds to the registry's JSON for one city


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_json_handed_to_the_page_equals_the_registry(client_as, lang):
    from components.ward_map import CLASS_COLOURS, NO_DATA_COLOUR

    page = _config_from_the_page(client_as("staff"), lang)
    config = {key: value for key, value in page.items() if key not in CITY_PART}
    assert config == json.loads(json.dumps(map_state.browser_config(lang)))
    assert page["city"] == CITY and len(page["ward_names"]) == 49
    assert list(page["wards"]["metrics"]) == [item.name for item in registry.METRICS]
    for item in registry.METRICS:
        entry = page["wards"]["metrics"][item.name]
        assert entry["label"] == item.label[lang == "en"] and len(entry["breaks"]) == len(CLASS_COLOURS)
        assert entry["breaks"] == sorted(entry["breaks"])
    assert (page["wards"]["colours"], page["wards"]["no_data"]) == (list(CLASS_COLOURS), NO_DATA_COLOUR)
    assert config["number"] == ({"group": ".", "decimal": ",", "missing": "—", "range": "–"} if lang == "vi" else
                                {"group": ",", "decimal": ".", "missing": "—", "range": "–"})
    assert config["legend"] == [{"label": i18n.t(key, lang), "colour": colour}
                                for key, colour in map_state.legend_entries(registry.POINT_LAYERS)]
    assert config["text"]["shown"] == i18n.t("map.shown", lang)
    assert list(config["layers"]) == LAYERS
    for layer in registry.POINT_LAYERS:
        entry = config["layers"][layer.name]
        assert entry["label"] == layer.label[lang == "en"]
        assert (entry["clustered"], entry["colour"], entry["radius"], entry["ward_column"]) == \
            (layer.clustered, layer.colour, layer.radius, layer.ward_column)
        assert entry["filters"] == {use: column for use, column in layer.filters}
        if layer.colour_by:
            swatches = layer.colour_by.swatches
            assert entry["colour_by"] == {"column": layer.colour_by.column,
                                          "colours": {s.value: s.colour for s in swatches},
                                          "labels": {s.value: i18n.t(s.label, lang) for s in swatches}}
        else:
            assert entry["colour_by"] is None
        assert entry["alert"] == (layer.alert_column and {"column": layer.alert_column,
                                                          "values": list(layer.alert_values)})
        assert [(f["column"], f["label"], f["show"]) for f in entry["popup"]] == \
            [(f.column, i18n.t(f.label, lang), f.show) for f in layer.popup]
        for field, sent in zip(layer.popup, entry["popup"]):
            if field.show == registry.ENUM:
                values = sent["values"]
                assert values and all(values[v] == i18n.t(field.prefix + v, lang) for v in values)


def test_english_popups_are_english():
    config = map_state.browser_config("en")
    camera = {f["column"]: f for f in config["layers"]["security"]["popup"]}
    assert camera["status"]["label"] == "Status" and camera["status"]["values"]["maintenance"] == "Maintenance"
    assert config["text"] == {"yes": "yes", "no": "no", "down": "offline",
                              "months": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                         "Dec"],
                              "shown": "On the map now", "no_data": "No data",
                              "schematic": i18n.t("overview.schematic", "en")}
    assert config["utc_offset"] == 420
    vi = {f["column"]: f for f in map_state.browser_config("vi")["layers"]["security"]["popup"]}
    assert vi["status"]["label"] == "Trạng thái" and vi["status"]["values"]["maintenance"] == "Bảo trì"


def test_legend_rows_come_from_the_registry_colours():
    rows = map_state.legend_entries(registry.POINT_LAYERS)
    assert len(rows) == len(set(rows))
    assert set(rows) == {(s.label, s.colour) for layer in registry.POINT_LAYERS if layer.colour_by
                         for s in layer.colour_by.swatches} | \
        {(f"map.layer.{layer.name}", layer.colour) for layer in registry.POINT_LAYERS if not layer.colour_by}


def test_map_state_follows_the_registry():
    assert map_state.layer_names() == ("wards", *LAYERS)
    assert map_state.MapState().layers == ["wards", *(l.name for l in registry.POINT_LAYERS if l.shown_by_default)]
    assert set(map_state.list_fields()) == {"layers", *(item.name for item in registry.FILTERS)}
    for item in registry.FILTERS:
        assert getattr(map_state.MapState(), item.name) == list(item.values)


WARD_ROWS = pd.DataFrame({
    "gso_code": ["a", "b", "c"], "area_km2": [2.0, 0.0, np.nan], "households": [2000, 500, np.nan],
    "cameras": [10, 3, 4], "access_points": [4, 1, 0], "key_locations": [4, np.nan, 2],
    "key_covered": [3, np.nan, 0], "received": [200, np.nan, 0], "online": [50, np.nan, 0],
    "open_incidents": [2, 0, 5],
})


@pytest.mark.parametrize("metric, expected", [
    ("camera_density", {"a": 5.0, "b": None, "c": None}),
    ("ap_per_1000_households", {"a": 2.0, "b": 2.0, "c": None}),
    ("key_location_coverage", {"a": 75.0, "b": None, "c": 0.0}),
    ("online_dossier_rate", {"a": 25.0, "b": None, "c": None}),
    ("open_incidents", {"a": 2.0, "b": 0.0, "c": 5.0}),
])
def test_metric_values_as_the_registry_declares(metric, expected):
    from data_access.map_layers import metric_values

    assert metric_values(WARD_ROWS, metric) == pytest.approx(expected)


FAKE = dataclasses.replace(registry.point_layer("sensors"), name="fake_stations", clustered=True,
                           label=("Trạm thử", "Test stations"), colour="#123456", shown_by_default=True)


@pytest.fixture
def fake_layer(monkeypatch):
    """A layer added to the registry and nowhere else (its labels merged as domain/i18n.py does on import)."""
    monkeypatch.setattr(registry, "POINT_LAYERS", (*registry.POINT_LAYERS, FAKE))
    for key, value in registry.catalog_text().items():
        monkeypatch.setitem(i18n.TEXT, key, value)
    return FAKE


def test_a_layer_added_to_the_registry_appears_in_the_api_and_the_map_state(client_as, fake_layer):
    from data_access.map_layers import sensor_points
    from geo.packing import unpack_points

    client = client_as("staff")
    response = client.get(f"/api/v1/map/{CITY}/fake_stations")
    assert response.status_code == 200
    assert len(unpack_points(response.get_json())) == len(sensor_points.uncached(CITY))
    assert "fake_stations" in map_state.layer_names()
    assert "fake_stations" in map_state.MapState().layers
    state, notices = map_state.parse_map_state({"layers": "wards,fake_stations"}, set())
    assert (state.layers, notices) == (["wards", "fake_stations"], [])
    config = _config_from_the_page(client, "en")
    assert config["layers"]["fake_stations"]["label"] == "Test stations"
    assert config["layers"]["fake_stations"]["clustered"] is True
    assert ("map.layer.fake_stations", "#123456") in map_state.legend_entries(registry.POINT_LAYERS)


def _walk(node):
    """Every dict in a JSON tree."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_a_layer_added_to_the_registry_appears_on_the_page(client_as, fake_layer):
    from app import app
    from components import ids

    app._setup_server()
    router = next(o for o, entry in app.callback_map.items() if "_pages_content.children" in o and "callback" in entry)
    entry = app.callback_map[router]
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in router.strip(".").split("...")]
    body = {"output": router, "outputs": outputs, "changedPropIds": [],
            "inputs": [{"id": d["id"], "property": d["property"], "value": "/map" if d["property"] == "pathname"
                        else None} for d in entry["inputs"]],
            "state": [{"id": d["id"], "property": d["property"], "value": None} for d in entry.get("state", [])]}
    page = list(_walk(client_as("staff").post("/_dash-update-component", json=body).get_json()))
    drawn = [node["props"] for node in page if isinstance(node.get("props", {}).get("id"), dict)
             and node["props"]["id"].get("type") == ids.MAP_POINT_LAYER]
    assert [props["id"]["layer"] for props in drawn] == [*LAYERS, "fake_stations"]
    assert drawn[-1]["cluster"] is True
    checklist = next(node["props"] for node in page if node.get("props", {}).get("id") == ids.MAP_LAYERS)
    assert checklist["options"][-1] == {"label": "Trạm thử", "value": "fake_stations"}
    assert "fake_stations" in checklist["value"]


def test_a_layer_above_the_role_is_refused_and_not_offered(client_as, monkeypatch):
    restricted = dataclasses.replace(FAKE, name="admin_stations", access="admin")
    monkeypatch.setattr(registry, "POINT_LAYERS", (*registry.POINT_LAYERS, restricted))
    for key, value in registry.catalog_text().items():
        monkeypatch.setitem(i18n.TEXT, key, value)
    staff, admin = client_as("staff"), client_as("admin")
    assert staff.get(f"/api/v1/map/{CITY}/admin_stations").status_code == 403
    assert admin.get(f"/api/v1/map/{CITY}/admin_stations").status_code == 200
    assert "admin_stations" not in _config_from_the_page(staff, "vi")["layers"]
    assert "admin_stations" in _config_from_the_page(admin, "vi")["layers"]


def test_a_metric_added_to_the_registry_is_computed_and_accepted(monkeypatch):
    from data_access.map_layers import metric_values

    extra = registry.Metric("households_per_km2", ("Hộ/km²", "Households per km²"), registry.RATIO,
                            "households", "area_km2")
    monkeypatch.setattr(registry, "METRICS", (*registry.METRICS, extra))
    assert metric_values(WARD_ROWS, "households_per_km2") == pytest.approx({"a": 1000.0, "b": None, "c": None})
    state, notices = map_state.parse_map_state({"metric": "households_per_km2"}, set())
    assert (state.metric, notices) == ("households_per_km2", [])


def test_unknown_layer_or_metric_is_refused():
    from data_access.map_layers import layer_points, metric_values

    with pytest.raises(ValueError):
        layer_points(CITY, "nonsense")
    with pytest.raises(ValueError):
        metric_values(WARD_ROWS, "nonsense")
