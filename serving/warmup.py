"""Warm up a serving process before its visitors: Dash's set-up, the map's point layers, and the
city's indicators for every year and quarter a reader can choose.

Packing a province's 170,000 cameras for the browser takes about a second; without
this, the first visitor after a worker starts, after an import (the cache generation
changes) or after CACHE_TTL pays it on the map's critical path. Each gunicorn worker
(gunicorn.conf.py `post_worker_init`) runs one daemon thread that looks at every city's
every point layer every MAP_WARM_S seconds: a layer in the cache costs a look (not a
read), a missing one is built here. The packed layers are one value for all roles
(`cached(shared=True)`), so one build serves everyone, and with Redis one worker builds
for all.

The indicators of a period (`compute_kpis`, 20-90 ms a period from raw records) come next, the
same way, with those of the periods they are compared with and what the period's pages read
besides them (their sources, the /services ward table's counts and monthly chart: 15-170 ms more
on a 2-core machine): a reader's first look at another year or quarter otherwise waits for them,
past the 200 ms an interaction may take (issue #21). Months (a hundred a city) are left to their
readers.
"""
from __future__ import annotations

import logging
import threading
import time

import settings
from api import packed_layer
from components.period_controls import COMPARISONS, comparison_period
from data_access.db import DatabaseUnavailable
from data_access.kpi import compute_kpis, dossier_aggregates_by_ward, kpi_sources, monthly_dossiers
from data_access.places import list_cities
from domain import map_layers as registry
from domain import periods
from domain.city_time import city_today
from domain.headlines import FIRST_DATA_YEAR

WARM_KINDS = ("year", "quarter")

log = logging.getLogger(__name__)


def finish_dash_setup(server) -> None:
    """Dash finishes setting up (the paths of its scripts) on a process's first request, without a
    lock: requests arriving meanwhile on the process's other threads get a 404 for the renderer, and
    the page stays blank. Every way of serving (gunicorn.conf.py, `python app.py`) makes this first
    request itself before it takes any."""
    server.test_client().get("/healthz")


def warm_map_layers() -> int:
    """Build every city's every point layer that is not in the cache; how many it built."""
    return sum(packed_layer.warm(city["slug"], layer.name) for city in list_cities() for layer in registry.POINT_LAYERS)


# What a period's pages read, each warmed for every city and period (one value for every role).
PERIOD_READS = (compute_kpis, kpi_sources, dossier_aggregates_by_ward)


def compared_periods(chosen: list) -> list:
    """The periods the chosen ones are compared with, by the pages' own rule for each comparison,
    that are not chosen themselves: the first year's and quarters' (2019 for 2020)."""
    compared = {comparison_period(period, compare) for period in chosen for compare in COMPARISONS}
    return sorted(compared - set(chosen), key=lambda period: period.key)


def warm_indicators(today=None) -> int:
    """Compute every city's indicators, and what the period pages read with them, for each year
    and quarter that has begun and is not in the cache, the indicators of the periods they are
    compared with, and the monthly dossiers of each year; how many values it computed."""
    today = today or city_today()
    chosen = [period for kind in WARM_KINDS for period in periods.started(kind, today, FIRST_DATA_YEAR)]
    years = sorted({period.year for period in chosen})
    compared = compared_periods(chosen)
    slugs = [city["slug"] for city in list_cities()]
    return sum(read.warm(slug, period) for slug in slugs for period in chosen for read in PERIOD_READS) + \
        sum(compute_kpis.warm(slug, period) for slug in slugs for period in compared) + \
        sum(monthly_dossiers.warm(slug, year) for slug in slugs for year in years)


# What each round warms, in order: the map's layers first (a page load waits for them).
WARM_UPS = (("map layers", warm_map_layers), ("indicators", warm_indicators))


def _keep_warm(interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        for name, warm in WARM_UPS:
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                built = warm()
                if built:
                    log.info("warm-up: %d %s built in %.2f s", built, name, time.monotonic() - started)
            except DatabaseUnavailable as exc:
                log.warning("warm-up of %s: %s", name, exc)
            except Exception:  # noqa: BLE001 - the thread must outlive any one failure; logged with its stack
                log.exception("warm-up of %s failed", name)
        stop.wait(interval)


def start_keep_warm(interval: float | None = None) -> threading.Event | None:
    """Start the warm-up thread (first round at once); the event that stops it, or None when MAP_WARM_S is 0."""
    interval = settings.get_int("MAP_WARM_S") if interval is None else interval
    if interval <= 0:
        return None
    stop = threading.Event()
    threading.Thread(target=_keep_warm, args=(interval, stop), name="warm-up", daemon=True).start()
    return stop
