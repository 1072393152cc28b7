"""Read-only JSON API: `/api/v1/kpi` and `/api/v1/indicators`.

Every error is JSON with a message: 400 for a bad parameter, 404 for an
unknown city, 503 when a database cannot be read.
"""
from __future__ import annotations

import gzip
import hashlib
import json

from flask import Blueprint, Flask, Response, jsonify, request

from data_access import map_layers, periods
from data_access.cache import cached
from data_access.db import DatabaseUnavailable
from data_access.indicators import CATALOG
from data_access.kpi import compute_kpis, kpi_sources
from data_access.places import get_city, wards_frame
from geo.packing import pack_points

blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def _error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


@blueprint.errorhandler(DatabaseUnavailable)
def _database_unavailable(exc: DatabaseUnavailable):
    return _error(503, str(exc))


@blueprint.get("/kpi")
def kpi():
    """KPIs of a city for a year (`year=2022`) or period (`period=2022-Q3`), optionally one ward."""
    return _kpi_response()


@blueprint.get("/public/kpi")
def public_kpi():
    """The same aggregates for anyone: KPIs are city- or ward-level counts and rates, nothing personal."""
    return _kpi_response()


def _kpi_response():
    city = request.args.get("city", "").strip()
    if not city:
        return _error(400, "parameter 'city' is required, e.g. city=thanh-hoa")
    year_text, period_text = request.args.get("year"), request.args.get("period")
    if (year_text is None) == (period_text is None):
        return _error(400, "give exactly one of 'year' (2022) or 'period' (2022, 2022-Q3, 2022-07)")
    try:
        period = periods.year(year_text) if year_text is not None else periods.parse(period_text)
    except periods.PeriodError as exc:
        return _error(400, str(exc))
    if get_city(city) is None:
        return _error(404, f"unknown city {city!r}")
    ward = request.args.get("ward") or None
    if ward is not None and ward not in set(wards_frame(city)["gso_code"]):
        return _error(404, f"ward {ward!r} is not in city {city!r}")
    values = compute_kpis(city, period, ward)
    return jsonify({"city": city, "period": period.key, "ward": ward, "kpis": values,
                    "sources": kpi_sources(city, period)})


@blueprint.get("/indicators")
def indicators():
    """The indicator catalog."""
    return jsonify([item.__dict__ for item in CATALOG])


def register_api(server: Flask) -> None:
    server.register_blueprint(blueprint)


LAYER_COLUMNS = {  # (categories, texts, times) sent for each layer: what filters and popups need
    "security": (("status", "owner", "ward_code"), ("id",), ("last_seen",)),
    "traffic": (("status", "owner", "ward_code"), ("id",), ("last_seen",)),
    "wifi": (("kind", "provider", "status", "ward_code"), ("id",), ()),
    "key_locations": (("category", "ward_code", "security", "traffic"), ("name",), ()),
    "incidents": (("category", "severity", "status", "ward_code"), ("id",), ("reported_at",)),
    "sensors": (("kind", "ward_code"), ("id", "name"), ()),
}


@cached()
def packed_layer(city: str, layer: str) -> tuple[bytes, str]:
    """The layer as gzipped columnar JSON, and its ETag."""
    loaders = {
        "security": lambda: map_layers.camera_points(city, "security"),
        "traffic": lambda: map_layers.camera_points(city, "traffic"),
        "wifi": lambda: map_layers.access_point_points(city),
        "key_locations": lambda: map_layers.key_location_points(city),
        "incidents": lambda: map_layers.open_incident_points(city),
        "sensors": lambda: map_layers.sensor_points(city),
    }
    categories, texts, times = LAYER_COLUMNS[layer]
    raw = json.dumps(pack_points(loaders[layer](), categories, texts, times), separators=(",", ":")).encode()
    return gzip.compress(raw, compresslevel=6, mtime=0), hashlib.sha256(raw).hexdigest()[:32]


@blueprint.get("/map/<city>/<layer>")
def map_layer(city: str, layer: str):
    """Points of one map layer, compact and revalidated by ETag (a repeat visit is a 304)."""
    if layer not in LAYER_COLUMNS:
        return _error(404, f"unknown layer {layer!r}; layers: {', '.join(LAYER_COLUMNS)}")
    if get_city(city) is None:
        return _error(404, f"unknown city {city!r}")
    body, etag = packed_layer(city, layer)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif "gzip" in (request.headers.get("Accept-Encoding") or ""):
        response = Response(body, mimetype="application/json", headers={"Content-Encoding": "gzip"})
    else:
        response = Response(gzip.decompress(body), mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    return response
