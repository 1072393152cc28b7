"""Liveness and readiness probes for the load balancer or orchestrator.

`/healthz`: the process answers (no database touched). `/readyz`: both databases
answer a trivial query; otherwise 503 with the reason, so traffic goes to a worker or
host that can serve. Both are public and skip the session lookup (security/policy.py
PROBE_PATHS). The reason says which database failed, not how (details go to the log:
the probe is public and must not reveal addresses).
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from data_access import db

log = logging.getLogger(__name__)
blueprint = Blueprint("probes", __name__)


@blueprint.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


def database_ready(which: str) -> str | None:
    """None when `which` database answers; otherwise a short public reason."""
    try:
        with db.get_engine(which).connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except db.DatabaseUnavailable as exc:
        log.warning("readiness: %s", exc)
        return f"{which.upper()} database not available"
    except Exception as exc:  # noqa: BLE001 - any failure to answer means not ready; logged with its cause
        log.warning("readiness: %s database: %s", which.upper(), str(exc).splitlines()[0][:300])
        return f"{which.upper()} database unreachable"


@blueprint.get("/readyz")
def readyz():
    started = time.perf_counter()
    problems = {which: database_ready(which) for which in ("ioc", "kpi")}
    body = {"status": "ok" if not any(problems.values()) else "unavailable",
            "databases": {which: reason or "ok" for which, reason in problems.items()},
            "checked_ms": round((time.perf_counter() - started) * 1000, 1)}
    response = jsonify(body)
    response.status_code = 200 if body["status"] == "ok" else 503
    return response


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
