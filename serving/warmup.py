"""Warm up a serving process before its visitors: Dash's set-up, and the map's point layers.

Packing a province's 170,000 cameras for the browser takes about a second; without
this, the first visitor after a worker starts, after an import (the cache generation
changes) or after CACHE_TTL pays it on the map's critical path. Each gunicorn worker
(gunicorn.conf.py `post_worker_init`) runs one daemon thread that looks at every city's
every point layer every MAP_WARM_S seconds: a layer in the cache costs a look (not a
read), a missing one is built here. The packed layers are one value for all roles
(`cached(shared=True)`), so one build serves everyone, and with Redis one worker builds
for all.
"""
from __future__ import annotations

import logging
import threading
import time

import settings
from api import packed_layer
from data_access.db import DatabaseUnavailable
from data_access.places import list_cities
from domain import map_layers as registry

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


def _keep_warm(interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            built = warm_map_layers()
            if built:
                log.info("map warm-up: %d layers built in %.2f s", built, time.monotonic() - started)
        except DatabaseUnavailable as exc:
            log.warning("map warm-up: %s", exc)
        except Exception:  # noqa: BLE001 - the thread must outlive any one failure; logged with its stack
            log.exception("map warm-up failed")
        stop.wait(interval)


def start_keep_warm(interval: float | None = None) -> threading.Event | None:
    """Start the warm-up thread (first round at once); the event that stops it, or None when MAP_WARM_S is 0."""
    interval = settings.get_int("MAP_WARM_S") if interval is None else interval
    if interval <= 0:
        return None
    stop = threading.Event()
    threading.Thread(target=_keep_warm, args=(interval, stop), name="map-warm-up", daemon=True).start()
    return stop
