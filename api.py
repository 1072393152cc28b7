"""Read-only JSON API: `/api/v1/kpi` and `/api/v1/indicators`.

Every error is JSON with a message: 400 for a bad parameter, 404 for an
unknown city, 503 when a database cannot be read.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import CATALOG
from data_access.kpi import compute_kpis, kpi_sources
from data_access.places import get_city, wards_frame

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
