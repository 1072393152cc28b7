"""One JSON log line per request, and `/metrics` in Prometheus text format.

Log line (logger `ioc.request`, INFO): time, method, path (no query string: values
there may be tokens or searches), route (the template: `/ward/<gso_code>`, not the
ward), Dash callback output for `/_dash-update-component`, status, duration_ms,
role, stale (a cached value was served because a database was down). No user
names, addresses or request bodies.

Metrics: `ioc_http_requests_total` and `ioc_http_request_duration_seconds` by
method, route template and status; `ioc_rate_limited_total{limit}` (requests refused
by a rate limit or a login limit); `ioc_cache_lookups_total{result}` (hit, miss,
stale, error) and `ioc_cache_hit_ratio`; `ioc_ingest_messages_total{result}` from
the live feed's counters (`data_access.operations.ingest_counters`).

Under gunicorn each worker counts for itself; gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR so that prometheus_client writes the counts to files that
any worker sums when scraped. Who may read /metrics: a signed-in admin, or whoever
sends `Authorization: Bearer <METRICS_TOKEN>` (Prometheus), nobody else.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import re
import time
from datetime import datetime, timezone
from functools import lru_cache

import dash
from flask import Flask, Response, g, request, request_started
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

import settings
from data_access import cache, operations
from security.policy import ANONYMOUS, DASH_UPDATE

request_log = logging.getLogger("ioc.request")
log = logging.getLogger(__name__)

REQUESTS = Counter("ioc_http_requests", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram("ioc_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
RATE_LIMITED = Counter("ioc_rate_limited", "Requests refused by a rate limit or a login limit (429/403).",
                       ["limit"])
# limit: public-api, public-callback (security/rate_limits.py), login-address, login-user (security/views.py)
DASH_PAGE_RULES = ("/", "/<path:path>")
UNMATCHED = "<unmatched>"


def _started(_sender, **_extra) -> None:
    """First thing of every request, before the security hook may answer it."""
    g.request_started = time.perf_counter()
    cache.begin_request()


@lru_cache(maxsize=256)
def _page_pattern(template: str) -> re.Pattern:
    parts = re.split(r"(<[^>]+>)", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("<") else re.escape(p) for p in parts) + "/?$")


def route_template() -> str:
    """The route that answered, as a template (bounded label values, nothing personal)."""
    rule = request.url_rule
    if rule is None:
        return UNMATCHED
    if rule.rule not in DASH_PAGE_RULES:
        return rule.rule
    path = request.path
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template and _page_pattern(template).match(path):
            return template
        if page.get("relative_path") == path or page.get("path") == path:
            return page.get("path") or path
    return "/<path:path>"


def _callback_output() -> str | None:
    if request.path != DASH_UPDATE:
        return None
    body = request.get_json(silent=True) or {}
    output = body.get("output")
    return output[:160] if isinstance(output, str) else None


def _finished(response: Response) -> Response:
    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    route = route_template()
    status = response.status_code
    identity = g.get("identity")
    stale = cache.served_stale()
    if stale:
        response.headers["X-IOC-Stale"] = "1"
    try:
        REQUESTS.labels(request.method, route, str(status)).inc()
        LATENCY.labels(request.method, route).observe(duration)
        if g.get("rate_limit_scope"):
            RATE_LIMITED.labels(g.rate_limit_scope).inc()
    except (OSError, ValueError) as exc:  # a full or unwritable multiprocess directory must not fail requests
        log.warning("metrics not recorded: %s", exc)
    if request_log.isEnabledFor(logging.INFO):
        line = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "method": request.method, "path": request.path[:200], "route": route, "status": status,
                "duration_ms": round(duration * 1000, 1), "role": identity.role if identity else ANONYMOUS}
        output = _callback_output()
        if output:
            line["callback"] = output
        if stale:
            line["stale"] = True
        request_log.info(json.dumps(line, ensure_ascii=False))
    return response


# --- /metrics --------------------------------------------------------------------------------

class _DerivedCollector:
    """Figures computed at scrape time: the cache hit ratio and the live feed's counters."""

    def __init__(self, lookups: dict[str, float]) -> None:
        self.lookups = lookups

    def collect(self):
        total = sum(self.lookups.values())
        ratio = GaugeMetricFamily("ioc_cache_hit_ratio",
                                  "Share of cached calls answered from the cache (all workers, since start).")
        ratio.add_metric([], self.lookups.get("hit", 0.0) / total if total else 0.0)
        yield ratio
        counters = _ingest_counters()
        if counters is not None:
            family = CounterMetricFamily("ioc_ingest_messages", "Live feed messages by result.", labels=["result"])
            for name, value in sorted(counters.items()):
                family.add_metric([name], float(value))
            yield family


def _ingest_counters() -> dict[str, int] | None:
    try:
        return operations.ingest_counters()
    except Exception as exc:  # noqa: BLE001 - a missing table or database must not break /metrics
        log.warning("ingest counters not available: %s", str(exc).splitlines()[0][:200])
        return None


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _lookups(registry) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in registry.collect():
        if family.name == "ioc_cache_lookups":
            for sample in family.samples:
                if sample.name == "ioc_cache_lookups_total":
                    result = sample.labels.get("result", "")
                    found[result] = found.get(result, 0.0) + sample.value
    return found


def metrics_allowed() -> bool:
    identity = g.get("identity")
    if identity is not None and identity.role == "admin":
        return True
    token = settings.get("METRICS_TOKEN").strip()
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def metrics() -> Response:
    if not metrics_allowed():
        response = Response(json.dumps({"error": "metrics need an admin session or the METRICS_TOKEN",
                                        "status": 401}), status=401, mimetype="application/json")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = _registry()
    extra = CollectorRegistry()
    extra.register(_DerivedCollector(_lookups(registry)))
    return Response(generate_latest(registry) + generate_latest(extra), mimetype=CONTENT_TYPE_LATEST)


def register(server: Flask) -> None:
    request_started.connect(_started, server)
    server.after_request(_finished)
    server.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
