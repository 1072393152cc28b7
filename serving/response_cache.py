"""Whole answers of Dash callbacks, cached: for the panels that many screens poll.

A callback opts in with `@cache_response(ttl)` under `@callback` (next to `@access`):
its answer (the JSON Dash sends back) is then kept for `ttl` seconds (default
CACHE_TTL) in the shared cache, keyed by the callback, the request body (its input
and state values: city, period, language, theme...) and the role, like every cached
query. Only for callbacks whose answer depends on nothing else: no clock shown, no
side effects, nothing from the session but the role. Single flight and stale-on-outage
come from `data_access.cache`, so a wall of screens asking at once costs one rendering,
and screens keep their last good answer while a database is down.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
from typing import Callable

import dash
from flask import Response, request

from data_access import cache, request_state
from security.policy import DASH_UPDATE

_renderers: dict[int | None, Callable] = {}


def cache_response(ttl: int | None = None) -> Callable:
    """Mark a Dash callback whose whole answer may be cached for `ttl` seconds."""
    def mark(function: Callable) -> Callable:
        function.cache_response_ttl = ttl
        return function
    return mark


def _callback_function(app: dash.Dash) -> Callable | None:
    body = request.get_json(silent=True) or {}
    output = body.get("output")
    entry = app.callback_map.get(output) if isinstance(output, str) else None
    if not entry or "callback" not in entry:
        return None
    return inspect.unwrap(entry["callback"])


class _NotCacheable(Exception):
    """The answer was made while a database failed (error banner or stale data): send it, keep nothing."""

    def __init__(self, response: Response):
        super().__init__("answer made during a database failure")
        self.response = response


def _renderer(ttl: int | None, view: Callable) -> Callable:
    if ttl not in _renderers:
        def dash_answer(_output: str, _body_digest: str) -> tuple[bytes, int, str]:
            """Render once (the arguments are the key; the request itself carries the body)."""
            response = view()
            if not isinstance(response, Response):
                response = Response(response)
            if request_state.noted("database_error") or request_state.noted("stale"):
                raise _NotCacheable(response)
            return response.get_data(), response.status_code, response.mimetype
        _renderers[ttl] = cache.cached(ttl)(dash_answer)
    return _renderers[ttl]


def register(app: dash.Dash) -> None:
    server = app.server
    view = server.view_functions[DASH_UPDATE]

    @functools.wraps(view)
    def dispatch(*args, **kwargs):
        function = _callback_function(app)
        if function is None or not hasattr(function, "cache_response_ttl"):
            return view(*args, **kwargs)
        body = request.get_data()
        answer = _renderer(function.cache_response_ttl, view)
        try:
            data, status, mimetype = answer(request.get_json(silent=True)["output"],
                                            hashlib.sha256(body).hexdigest())
        except _NotCacheable as uncached:
            return uncached.response
        return Response(data, status=status, mimetype=mimetype)

    server.view_functions[DASH_UPDATE] = dispatch
