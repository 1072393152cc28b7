"""The API's contract: an OpenAPI 3.1 document of every `/api/` route, served at
`/api/v1/openapi.json` for the city's other systems (code generators, gateways, testers).

It sits beside the routes (`api.py`) and reads the registries it describes (map layers, token
scopes, the kiosk's KPI list), so a new layer or scope shows up here without an edit. A test
(tests/unit/test_openapi.py) validates it and fails when a route and the document disagree.
"""
from __future__ import annotations

from domain import map_layers
from domain.headlines import PUBLIC_KPI_CODES
from domain.indicators import PILLARS
from security.policy import OPENAPI_PATH, TOKEN_SCOPES

VERSION = "1.0.0"


def _error(description: str, *, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if headers:
        response["headers"] = headers
    return response


def _json(description: str, schema_name: str, *, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}
    if headers:
        response["headers"] = headers
    return response


def _responses(*codes: str) -> dict:
    """References to the shared error responses, by status code."""
    names = {"304": "NotModified", "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden",
             "404": "NotFound", "429": "TooManyRequests", "503": "Unavailable"}
    return {code: {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _protected(scope: str) -> list[dict]:
    """A signed-in staff session, or an API token with `scope`."""
    return [{"bearerToken": [scope]}, {"sessionCookie": []}]


ETAG = {"ETag": {"description": "Validator of this answer: send it back as If-None-Match to get a 304.",
                 "schema": {"type": "string"}}}
CACHE_CONTROL = {"Cache-Control": {"description": "How long the answer may be kept (API_PUBLIC_MAX_AGE_S).",
                                   "schema": {"type": "string"}}}


def _components() -> dict:
    number_or_null = {"type": ["number", "null"]}
    return {
        "securitySchemes": {
            "bearerToken": {
                "type": "http", "scheme": "bearer", "bearerFormat": "ioc_<random>",
                "description": "An API token for a machine client, created by an admin (`python manage.py "
                               "api-token create NAME --scope kpi:read`, or /admin/tokens) and shown once. "
                               "Scopes: " + "; ".join(f"`{scope}` → {', '.join(sorted(paths))}"
                                                      for scope, paths in TOKEN_SCOPES.items())
                               + ". Read on /api/ only: pages and Dash callbacks ignore it."},
            "sessionCookie": {
                "type": "apiKey", "in": "cookie", "name": "ioc_session",
                "description": "The browser session after signing in at /login (staff, leader or admin)."},
        },
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"], "additionalProperties": False,
                      "properties": {"error": {"type": "string", "description": "What is wrong, in English."},
                                     "status": {"type": "integer", "description": "The HTTP status again."}}},
            "KpiAnswer": {
                "type": "object", "required": ["city", "period", "ward", "kpis", "sources"],
                "properties": {
                    "city": {"type": "string", "examples": ["thanh-hoa"]},
                    "period": {"type": "string", "examples": ["2022", "2022-Q3", "2022-07", "2021..2023"]},
                    "ward": {"type": ["string", "null"], "description": "GSO code of the ward, or null for the city."},
                    "kpis": {"type": "object", "additionalProperties": number_or_null,
                             "description": "Indicator code → value; null = no data (never 0)."},
                    "sources": {"type": "object", "additionalProperties": {"type": "string"},
                                "description": "Indicator code → where the value comes from."}}},
            "PublicKpiAnswer": {
                "type": "object", "required": ["city", "period", "ward", "kpis"],
                "properties": {
                    "city": {"type": "string"}, "period": {"type": "string", "examples": ["2022"]},
                    "ward": {"type": ["string", "null"]},
                    "kpis": {"type": "object", "additionalProperties": number_or_null,
                             "description": "Without ward: " + ", ".join(PUBLIC_KPI_CODES) + ". With ward: the "
                                            "figures the kiosk shows per ward (security cameras, air-quality "
                                            "stations, PM2.5 and PM10 means)."}}},
            "Indicator": {
                "type": "object",
                "required": ["code", "name_vi", "name_en", "pillar", "unit", "method", "source", "higher_is_better"],
                "properties": {
                    "code": {"type": "string", "examples": ["services.on_time_rate"]},
                    "name_vi": {"type": "string"}, "name_en": {"type": "string"},
                    "pillar": {"type": "string", "enum": list(PILLARS)},
                    "unit": {"type": "string", "examples": ["%", "count", "km"]},
                    "method": {"type": "string", "description": "How the value is obtained (computed, reported...)."},
                    "source": {"type": "string"}, "higher_is_better": {"type": "boolean"}}},
            "PackedLayer": {
                "type": "object", "required": ["n", "scale", "lon", "lat", "cat", "text", "time"],
                "description": "Points as columns (geo/packing.py): coordinates as deltas of integers in "
                               "1/scale degrees, categories as codes, times as deltas of epoch minutes (-1 = none).",
                "properties": {
                    "n": {"type": "integer"}, "scale": {"type": "integer"},
                    "lon": {"type": "array", "items": {"type": "integer"}},
                    "lat": {"type": "array", "items": {"type": "integer"}},
                    "cat": {"type": "object"}, "text": {"type": "object"}, "time": {"type": "object"}}},
        },
        "parameters": {
            "city": {"name": "city", "in": "query", "required": True, "schema": {"type": "string"},
                     "description": "The city's slug.", "example": "thanh-hoa"},
            "year": {"name": "year", "in": "query", "required": False, "schema": {"type": "integer"},
                     "description": "A whole year; give year or period, not both.", "example": 2022},
            "period": {"name": "period", "in": "query", "required": False, "schema": {"type": "string"},
                       "description": "A year, quarter, month or a range of one kind: 2022, 2022-Q3, 2022-07, "
                                      "2021..2023; give year or period, not both.", "example": "2022-Q3"},
            "ward": {"name": "ward", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "GSO code of one ward of the city; without it, the whole city.",
                     "example": "14755"},
        },
        "responses": {
            "NotModified": {"description": "The answer has not changed since the ETag sent in If-None-Match."},
            "BadRequest": _error("A parameter is missing or malformed; the message says which."),
            "Unauthorized": _error("No session and no token, or a token that is unknown, expired or revoked.",
                                   headers={"WWW-Authenticate": {"schema": {"type": "string"},
                                                                 "description": "Bearer realm=\"ioc\""}}),
            "Forbidden": _error("The role, or the token's scopes, do not allow this."),
            "NotFound": _error("Unknown city, ward or layer."),
            "TooManyRequests": _error(
                "Past a rate limit: PUBLIC_API_RATE_LIMIT per address without a session, "
                "API_TOKEN_RATE_LIMIT per token.",
                headers={"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}),
            "Unavailable": _error("A database cannot be read right now."),
        },
    }


def _paths() -> dict:
    layers = [layer.name for layer in map_layers.POINT_LAYERS]
    return {
        "/api/v1/kpi": {"get": {
            "operationId": "getKpis", "tags": ["kpi"], "summary": "KPIs of a city or ward",
            "description": "Every indicator's value for a city (or one ward) and a period, with its source, "
                           "computed from the raw records as the dashboards show them.",
            "security": _protected("kpi:read"),
            "parameters": [_param("city"), _param("year"), _param("period"), _param("ward")],
            "responses": {"200": _json("The values.", "KpiAnswer"),
                          **_responses("400", "401", "403", "404", "429", "503")}}},
        "/api/v1/public/kpi": {"get": {
            "operationId": "getPublicKpis", "tags": ["public"], "summary": "What the public kiosk shows",
            "description": "Exactly what the /public kiosk shows, to anyone: the kiosk's city KPIs for a whole "
                           "year, or with ward= that ward's kiosk figures. Cached publicly (ETag, max-age).",
            "security": [],
            "parameters": [_param("city"), _param("year"), _param("period"), _param("ward")],
            "responses": {"200": _json("The public values.", "PublicKpiAnswer", headers={**ETAG, **CACHE_CONTROL}),
                          **_responses("304", "400", "404", "429", "503")}}},
        "/api/v1/indicators": {"get": {
            "operationId": "getIndicators", "tags": ["kpi"], "summary": "The indicator catalog",
            "description": "Every indicator: code, names in Vietnamese and English, pillar, unit, how it is "
                           "obtained and its source. Revalidated by ETag.",
            "security": _protected("kpi:read"),
            "responses": {"200": {"description": "The catalog.", "headers": {**ETAG, **CACHE_CONTROL},
                                  "content": {"application/json": {"schema": {
                                      "type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}}}},
                          **_responses("304", "401", "403", "429", "503")}}},
        "/api/v1/map/{city}/{layer}": {"get": {
            "operationId": "getMapLayer", "tags": ["map"], "summary": "Points of one map layer",
            "description": "The points of a map layer in compact columns, gzipped when the client accepts it, "
                           "revalidated by ETag (private). For signed-in sessions whose role the layer allows; "
                           "API tokens are not granted this route.",
            "security": [{"sessionCookie": []}],
            "parameters": [
                {"name": "city", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "The city's slug.", "example": "thanh-hoa"},
                {"name": "layer", "in": "path", "required": True, "schema": {"type": "string", "enum": layers},
                 "description": "A layer of the map registry (domain/map_layers.py)."}],
            "responses": {"200": _json("The layer's points.", "PackedLayer", headers=ETAG),
                          **_responses("304", "401", "403", "404", "503")}}},
        OPENAPI_PATH: {"get": {
            "operationId": "getOpenApi", "tags": ["meta"], "summary": "This document",
            "description": "The OpenAPI 3.1 description of every /api/ route, readable without credentials.",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }


def document() -> dict:
    """The OpenAPI 3.1 document of the API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "IOC dashboard API",
            "version": VERSION,
            "description": "Read-only JSON for the city's other systems. Every error is "
                           "`{\"error\": message, \"status\": code}`; an unknown /api/ path is a JSON 404 and a "
                           "wrong method a JSON 405 (with Allow). Public answers carry ETag and "
                           "`Cache-Control: public, max-age`; the others `no-store`.",
        },
        "tags": [{"name": "kpi", "description": "Indicators and their values."},
                 {"name": "public", "description": "What anyone may read."},
                 {"name": "map", "description": "Map layers."},
                 {"name": "meta", "description": "About the API."}],
        "paths": _paths(),
        "components": _components(),
    }
