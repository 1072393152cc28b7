"""Read-only JSON API: `/api/v1/kpi`, `/api/v1/indicators` and the map's points `/api/v1/map/<city>/<layer>`;
for anyone, `/api/v1/public/kpi`: exactly what the `/public` kiosk shows, and the contract,
`/api/v1/openapi.json` (`api_openapi.py`). Other systems call it with an API token
(`security.api_tokens`), browsers with their session.

Every error is JSON with a message: 400 for a bad parameter, 404 for an
unknown city, 503 when a database cannot be read; and, from the security layer,
401/403 (with WWW-Authenticate), 404/405 for an unknown path or method under /api/,
413 for a body over MAX_UPLOAD_MB and 429 (with Retry-After) past a rate limit.
Public answers carry an ETag and `Cache-Control: public, max-age` (a repeat is a 304);
every other answer is `no-store` (the security layer's default), except the map layer's own.
"""
from __future__ import annotations

import gzip
import hashlib
import json

from flask import Blueprint, Flask, Response, jsonify, request

import settings
from api_openapi import document as openapi_document
from data_access import map_layers
from data_access.cache import cached
from data_access.db import DatabaseUnavailable
from data_access.kpi import compute_kpis, kpi_sources
from data_access.places import get_city, wards_frame
from data_access.public import air_quality, cameras_per_ward, public_kpis
from domain import map_layers as registry
from domain import periods
from domain.indicators import CATALOG
from geo.packing import pack_points
from security import policy
from security.session import current_identity

blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def _error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def _revalidated(response: Response, scope: str) -> Response:
    """An ETag from the body and `Cache-Control: <scope>, max-age=API_PUBLIC_MAX_AGE_S`, and a 304
    when the client's If-None-Match already names this body."""
    if response.status_code != 200:
        return response
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = f"{scope}, max-age={settings.get_int('API_PUBLIC_MAX_AGE_S')}"
    return response.make_conditional(request)


@blueprint.errorhandler(DatabaseUnavailable)
def _database_unavailable(exc: DatabaseUnavailable):
    return _error(503, str(exc))


@blueprint.get("/kpi")
def kpi():
    """KPIs of a city for a year (`year=2022`) or period (`period=2022-Q3`), optionally one ward."""
    return _kpi_response()


# What the /public kiosk shows of one ward (its camera chart and air table), and so all the
# public API tells about a ward; the city's figures are domain.headlines.PUBLIC_KPI_CODES.
PUBLIC_WARD_FIGURES = ("camera.security_total", "air.stations", "air.pm25", "air.pm10")


@blueprint.get("/public/kpi")
def public_kpi():
    """What the `/public` kiosk shows, to anyone, and nothing more: the whitelisted KPIs of the
    city for a whole year (`PUBLIC_KPI_CODES`); with `ward=`, that ward's figures the kiosk shows
    per ward (`PUBLIC_WARD_FIGURES`). Counts, rates and means only; quarters and months are not
    public (the kiosk shows years). Rate limited per address (PUBLIC_API_RATE_LIMIT)."""
    query = _kpi_query()
    if isinstance(query, Response):
        return query
    city, period, ward = query
    if not isinstance(period, periods.Period) or period.kind != "year":
        return _error(400, "the public API gives whole years, as the /public kiosk does: year=2022")
    figures = public_kpis(city, period) if ward is None else _public_ward_figures(city, period, ward)
    return _revalidated(jsonify({"city": city, "period": period.key, "ward": ward, "kpis": figures}), "public")


def _public_ward_figures(city: str, period, ward: str) -> dict:
    cameras = cameras_per_ward(city, period).set_index("gso_code")
    air, _whole = air_quality(city, period)
    air = air.set_index("gso_code")
    measured = ward in air.index
    figures = {"camera.security_total": int(cameras.at[ward, "security"]) if ward in cameras.index else 0,
               "air.stations": int(air.at[ward, "stations"]) if measured else 0,
               "air.pm25": _number(air.at[ward, "pm25"]) if measured else None,
               "air.pm10": _number(air.at[ward, "pm10"]) if measured else None}
    return {name: figures[name] for name in PUBLIC_WARD_FIGURES}


def _number(value) -> float | None:
    return None if value is None or value != value else round(float(value), 1)


def _kpi_response():
    query = _kpi_query()
    if isinstance(query, Response):
        return query
    city, period, ward = query
    values = compute_kpis(city, period, ward)
    return jsonify({"city": city, "period": period.key, "ward": ward, "kpis": values,
                    "sources": kpi_sources(city, period)})


def _kpi_query():
    """(city, period, ward) from the query string, or the error response saying what is wrong."""
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
    return city, period, ward


@blueprint.get("/indicators")
def indicators():
    """The indicator catalog. Revalidated by ETag; kept `private` since reading it needs a session
    or a token, and a shared cache would hand it to anyone."""
    return _revalidated(jsonify([item.__dict__ for item in CATALOG]), "private")


@blueprint.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3.1 document, for anyone."""
    return jsonify(openapi_document())


def register_api(server: Flask) -> None:
    server.register_blueprint(blueprint)


def layer_columns(layer: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(categories, texts, times) sent for a layer, as its registry entry declares: what filters and popups need."""
    spec = registry.point_layer(layer)
    return spec.categories, spec.texts, spec.times


@cached(shared=True)
def packed_layer(city: str, layer: str) -> tuple[bytes, str]:
    """The layer as gzipped columnar JSON (geo/packing.py), and its ETag. The same for every role
    (the API checks the layer's access level first), so one copy serves all and can be warmed ahead."""
    raw = json.dumps(pack_points(map_layers.layer_points(city, layer), *layer_columns(layer)),
                     separators=(",", ":")).encode()
    return gzip.compress(raw, compresslevel=6, mtime=0), hashlib.sha256(raw).hexdigest()[:32]


@blueprint.get("/map/<city>/<layer>")
def map_layer(city: str, layer: str):
    """Points of one map layer, compact and revalidated by ETag (a repeat visit is a 304).

    Any layer of the registry (domain/map_layers.py), for a role its `access` level allows."""
    try:
        spec = registry.point_layer(layer)
    except KeyError:
        names = ", ".join(item.name for item in registry.POINT_LAYERS)
        return _error(404, f"unknown layer {layer!r}; layers: {names}")
    if not policy.allowed(current_identity().role, spec.access):
        return _error(403, "your role does not allow this layer")
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
