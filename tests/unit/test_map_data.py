"""Map data: URL state parsing (hostile values too), compact packing, ward metrics,
class breaks, diacritics-insensitive search, and the layer endpoint."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from components.map_state import MapState, parse_map_state, state_query
from components.ward_map import NO_DATA_COLOUR, choropleth_by_metric, choropleth_geojson, class_breaks, colour_for
from geo.packing import pack_points, unpack_points

WARDS = {"14755", "14758"}


@pytest.mark.parametrize("query, expected, notices", [
    ({}, MapState(), 0),
    ({"layers": "security,wifi"}, MapState(layers=["security", "wifi"]), 0),
    ({"layers": "security,<script>,wifi,security"}, MapState(layers=["security", "wifi"]), 1),
    ({"metric": "coverage';DROP TABLE ward;--"}, MapState(), 1),
    ({"metric": "key_location_coverage", "ward": "14755"},
     MapState(metric="key_location_coverage", ward="14755"), 0),
    ({"ward": "99999"}, MapState(), 1),
    ({"ward": "1" * 10_000}, MapState(), 1),
    ({"status": "offline"}, MapState(status=["offline"]), 0),
    ({"status": ""}, MapState(status=[]), 0),
    ({"provider": "VNPT,Mobifone"}, MapState(provider=["VNPT"]), 1),
    ({"layers": ["wifi", "security"]}, MapState(layers=["wifi"]), 0),
    ({"owner": "nobody"}, MapState(), 1),
])
def test_parse_map_state(query, expected, notices):
    state, found = parse_map_state(query, WARDS)
    assert state == expected
    assert len(found) == notices
    assert all(len(n) < 200 for n in found)


def test_state_round_trips_through_the_url():
    from urllib.parse import parse_qs

    state = MapState(layers=["security"], metric="open_incidents", status=["offline"], ward="14758")
    query = {k: v[0] for k, v in parse_qs(state_query(state)).items()}
    assert parse_map_state(query, WARDS) == (state, [])
    assert state_query(MapState()) == ""


def test_packing_round_trip():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"lon": rng.uniform(105, 106, 500), "lat": rng.uniform(19, 20, 500),
                          "status": rng.choice(["online", "offline"], 500),
                          "id": [f"380-S{i:06d}" for i in range(1, 501)],
                          "name": [f"Điểm {i}" for i in range(500)],
                          "seen": pd.date_range("2026-01-01", periods=500, freq="17min")})
    frame.loc[3, "seen"] = pd.NaT
    packed = pack_points(frame, ("status",), ("id", "name"), ("seen",))
    assert "prefix" in packed["text"]["id"] and "values" in packed["text"]["name"]
    back = unpack_points(json.loads(json.dumps(packed)))
    assert np.allclose(back["lon"], frame["lon"], atol=1e-5) and np.allclose(back["lat"], frame["lat"], atol=1e-5)
    assert list(back["status"]) == list(frame["status"]) and list(back["id"]) == list(frame["id"])
    assert list(back["name"]) == list(frame["name"])
    assert back["seen"].isna().tolist() == frame["seen"].isna().tolist()
    # times travel as instants: a naive time is read as UTC and comes back aware
    assert (back["seen"].dropna() == frame["seen"].dropna().dt.floor("min").dt.tz_localize("UTC")).all()


@pytest.mark.parametrize("texts, numbered", [
    (["38-C0000001", "38-C0000002", "38-C0000010"], True),   # one prefix, one width: numbers
    (["12", "07", "99"], True),                               # digits only: an empty prefix
    (["38-C01", "38-C001"], False),                           # widths differ: zero padding would be lost
    (["38-C01", "39-C02"], False),                            # prefixes differ
    (["38-C01", None], False),                                # a missing id
    (["Chợ 1", "Chợ 2", "Chợ"], False),                       # one without a number
    (["", ""], False),                                        # nothing to number
    (["A٣", "A٤"], False),                                    # non-ASCII digits stay text
])
def test_text_packing_keeps_every_id(texts, numbered):
    frame = pd.DataFrame({"lon": [105.0] * len(texts), "lat": [19.0] * len(texts), "id": texts})
    packed = pack_points(frame, texts=("id",))
    assert ("prefix" in packed["text"]["id"]) is numbered
    assert list(unpack_points(json.loads(json.dumps(packed)))["id"]) == ["" if t is None else t for t in texts]


@pytest.mark.parametrize("values, classes, expected", [
    ([1, 2, 3, 4, 5], 5, [1.8, 2.6, 3.4, 4.2, 5.0]),
    ([None, None], 5, []),
    ([7, None, 7], 5, [7.0] * 5),
])
def test_class_breaks(values, classes, expected):
    assert class_breaks(values, classes) == pytest.approx(expected)


def test_no_data_is_not_zero():
    breaks = class_breaks([0, 10, 20])
    assert colour_for(None, breaks) == NO_DATA_COLOUR
    assert colour_for(0, breaks) != NO_DATA_COLOUR


SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [0, 0]]]}
COLLECTION = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": code, "geometry": SQUARE, "properties": {"gso_code": code, "name": name}}
    for code, name in (("1", "Phường Một"), ("2", "Xã Hai"), ("3", "Phường Ba"))]}
BY_METRIC = {"density": {"1": 0.5, "2": 1234.56, "3": None}, "rate": {"1": 10.0, "2": 20.0, "3": 30.0}}


def test_every_metric_travels_with_the_wards_as_one_metric_would():
    """The map sends each ward's colour and value of every metric at once; each colour is the one
    the one-metric choropleth gives, and a ward without data stays grey, not the lowest class."""
    data, breaks = choropleth_by_metric(COLLECTION, BY_METRIC)
    assert breaks == {name: class_breaks(list(values.values())) for name, values in BY_METRIC.items()}
    for name, values in BY_METRIC.items():
        single = choropleth_geojson(COLLECTION, values, "vi")
        assert [f["properties"]["fills"][name] for f in data["features"]] == \
            [f["properties"]["fill"] for f in single["features"]]
        assert [f["properties"]["values"][name] for f in data["features"]] == \
            [values[f["properties"]["gso_code"]] for f in COLLECTION["features"]]
    assert data["features"][2]["properties"]["fills"]["density"] == NO_DATA_COLOUR
    assert data["features"][0]["geometry"] == SQUARE and COLLECTION["features"][0]["properties"] == \
        {"gso_code": "1", "name": "Phường Một"}, "the wards' own collection is left as it was"


@pytest.mark.parametrize("bound_in, read_in", [("vi", "vi"), ("vi", "en"), ("en", "vi")])
def test_a_ward_tooltip_is_written_in_the_browser_as_the_server_writes_numbers(bound_in, read_in):
    """assets/map.js writes a ward's tooltip (name: value) when it opens, in the number format of the
    page's config of that moment: the server's format_number in that language, also for a tooltip
    bound before a language switch (which sends a config, not the wards)."""
    from pathlib import Path

    from components.map_state import browser_config
    from domain.formatting import format_number
    from tests.clientside import run_script

    data, _ = choropleth_by_metric(COLLECTION, BY_METRIC)
    script = (Path(__file__).resolve().parents[2] / "assets" / "map.js").read_text(encoding="utf-8")
    program = ("(function (features, bound, read) { " + script + ";"
               " window.iocMap.config = {layers: {}, number: bound};"
               " const contents = features.map(function (feature) { let content = null;"
               "  window.iocMap.wardTooltip(feature, {bindTooltip: function (c) { content = c; }},"
               "                            {hideout: {metric: 'density'}});"
               "  return content; });"
               " window.iocMap.config = {layers: {}, number: read};"
               " return contents.map(function (c) { return typeof c === 'function' ? c() : c; }); })")
    written = run_script(program, data["features"], browser_config(bound_in, ())["number"],
                         browser_config(read_in, ())["number"])
    density = BY_METRIC["density"]
    assert written == [f"{f['properties']['name']}: {format_number(density[f['properties']['gso_code']], read_in, 1)}"
                       for f in COLLECTION["features"]]


@pytest.mark.parametrize("query, name", [("ham rong", "Phường Hàm Rồng"), ("dong tho", "Phường Đông Thọ"),
                                         ("HÀM RỒNG", "Phường Hàm Rồng")])
def test_search_without_diacritics(query, name):
    from domain.text import unaccent

    assert unaccent(query) in unaccent(name)


def test_ward_metrics_from_the_database(demo_db):
    from data_access.map_layers import metric_values, ward_metrics

    wards = ward_metrics.uncached("thanh-hoa", 2022)
    assert len(wards) == 49
    density = metric_values(wards, "camera_density")
    assert sum(wards["cameras"]) == 18_000, "cameras in place at the end of 2022, as /api/v1/kpi counts them"
    assert all(v is None or v >= 0 for v in density.values())
    coverage = metric_values(wards, "key_location_coverage")
    no_locations = wards.loc[wards["key_locations"].isna(), "gso_code"]
    assert all(coverage[code] is None for code in no_locations), "a ward without key locations has no data, not 0%"
    online = metric_values(wards, "online_dossier_rate")
    assert all(0 <= v <= 100 for v in online.values() if v is not None)
    with pytest.raises(ValueError):
        metric_values(wards, "nonsense")


@pytest.mark.parametrize("layer", ["security", "traffic", "wifi", "key_locations", "incidents", "sensors"])
def test_layer_endpoint_matches_the_database_and_revalidates(client_as, layer):
    from data_access import map_layers

    client = client_as("staff")
    response = client.get(f"/api/v1/map/thanh-hoa/{layer}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    points = unpack_points(json.loads(gzip.decompress(response.data)))
    expected = {"security": lambda: map_layers.camera_points.uncached("thanh-hoa", "security"),
                "traffic": lambda: map_layers.camera_points.uncached("thanh-hoa", "traffic"),
                "wifi": lambda: map_layers.access_point_points.uncached("thanh-hoa"),
                "key_locations": lambda: map_layers.key_location_points.uncached("thanh-hoa"),
                "incidents": lambda: map_layers.open_incident_points.uncached("thanh-hoa"),
                "sensors": lambda: map_layers.sensor_points.uncached("thanh-hoa")}[layer]()
    assert len(points) == len(expected)
    if layer == "incidents":
        assert b"summary" not in gzip.decompress(response.data), "incident details never go to the map"
    again = client.get(f"/api/v1/map/thanh-hoa/{layer}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("path, status", [("/api/v1/map/thanh-hoa/secret", 404), ("/api/v1/map/atlantis/wifi", 404)])
def test_layer_endpoint_bad_input(client_as, path, status):
    response = client_as("staff").get(path)
    assert response.status_code == status
    assert "error" in response.get_json()


def test_layer_endpoint_needs_login(client_as):
    assert client_as(None).get("/api/v1/map/thanh-hoa/security").status_code == 401


def test_a_city_without_wards_yet_opens_the_map_and_services_pages(private_demo):
    """A city registered before its boundaries (no wards yet): the wards' table is empty with its
    columns, and /map and /services draw their layouts (KeyError 'name' / 'gso_code' before)."""
    from sqlalchemy.orm import Session

    from app import server
    from data_access import cache
    from data_access.db import get_engine
    from data_access.models import City
    from data_access.places import wards_frame
    from domain.city_time import utc_now
    from pages import map as map_page
    from pages import services

    with Session(get_engine("ioc", writable=True)) as session, session.begin():
        session.add(City(slug="new-city", gso_code="99999", name_vi="Thành phố Mới", name_en="New City",
                         province_name="Tỉnh Mới", centre_lon=105.8, centre_lat=19.8, area_km2=10.0,
                         outline_geojson='{"type": "Polygon", "coordinates": []}', updated_at=utc_now()))
    cache.clear()
    frame = wards_frame("new-city")
    assert frame.empty and {"gso_code", "name"} <= set(frame.columns)
    with server.test_request_context("/services"):
        assert services.layout(city="new-city") is not None
    with server.test_request_context("/map"):
        assert map_page.layout(city="thanh-hoa") is not None
    cache.clear()
