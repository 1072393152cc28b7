"""Whole answers of Dash callbacks, cached: for the panels that many screens poll.

A callback opts in with `@cache_response(ttl)` under `@callback` (next to `@access`):
its answer (the JSON Dash sends back) is then kept for `ttl` seconds (default
CACHE_TTL) in the shared cache, keyed by the callback, its declared input and state
values as Dash reads them (city, period, language, theme...; `security.policy.
callback_arguments`), which of them changed, and the role, like every cached query.
Nothing else in the body reaches the key: junk fields or values sent per request
cannot fill the cache or bypass it. Only for callbacks whose answer depends on nothing else: no clock shown, no
side effects, nothing from the session but the role. Single flight and stale-on-outage
come from `data_access.cache`, so a wall of screens asking at once costs one rendering,
and screens keep their last good answer while a database is down.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import json
from typing import Callable

import dash
from flask import Response, request

from data_access import cache, request_state
from security.policy import DASH_UPDATE, MalformedCallback, callback_arguments

_renderers: dict[int | None, Callable] = {}


def cache_response(ttl: int | None = None, depends_on: Callable | None = None) -> Callable:
    """Mark a Dash callback whose whole answer may be cached for `ttl` seconds. `depends_on`, called
    with the callback's arguments, gives what of them its answer depends on (JSON-able), keyed in
    their place: for a state the browser sends that the answer reads only part of."""
    def mark(function: Callable) -> Callable:
        function.cache_response_ttl = ttl
        function.cache_response_depends_on = depends_on
        return function
    return mark


def _callback_entry(app: dash.Dash) -> dict | None:
    body = request.get_json(silent=True) or {}
    output = body.get("output") if isinstance(body, dict) else None
    entry = app.callback_map.get(output) if isinstance(output, str) else None
    return entry if entry and "callback" in entry else None


def _outputs(items) -> list | None:
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    return [(item.get("id"), item.get("property")) for item in items]


def _declared_outputs(output: str) -> list:
    """(id, property) of each output in Dash's output string; a pattern id as the object the
    browser sends (`{"type": "grid", ...}`), as security.policy reads the inputs' ids."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [(json.loads(component) if component.startswith("{") else component, prop)
            for component, prop in (part.rsplit(".", 1) for part in parts)]


def answer_key(entry: dict, body: dict, depends_on: Callable | None = None) -> str | None:
    """The digest of what the answer depends on: the declared inputs' and state's values (or what
    `depends_on` makes of them) and which declared inputs changed. None (answered, not cached) when
    the body is not the declared shape, outputs included: the answer is addressed to them, so
    others must not be kept."""
    try:
        arguments = callback_arguments(entry, body)
    except MalformedCallback:
        return None
    if depends_on is not None:
        arguments = depends_on(*arguments)
    if _outputs(body.get("outputs")) != _declared_outputs(body["output"]):
        return None
    declared = {f"{dependency['id']}.{dependency['property']}" for dependency in entry.get("inputs", [])}
    changed = body.get("changedPropIds")
    triggered = sorted(declared & set(changed)) if isinstance(changed, list) and \
        all(isinstance(item, str) for item in changed) else []
    canonical = json.dumps([arguments, triggered], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class _NotCacheable(Exception):
    """The answer was made while a database failed (error banner or stale data): send it, keep nothing."""

    def __init__(self, response: Response):
        super().__init__("answer made during a database failure")
        self.response = response


def _renderer(ttl: int | None, view: Callable) -> Callable:
    if ttl not in _renderers:
        def dash_answer(_output: str, _inputs_digest: str) -> tuple[bytes, int, str]:
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
        entry = _callback_entry(app)
        function = inspect.unwrap(entry["callback"]) if entry else None
        if function is None or not hasattr(function, "cache_response_ttl"):
            return view(*args, **kwargs)
        body = request.get_json(silent=True)
        key = answer_key(entry, body, function.cache_response_depends_on)
        if key is None:
            return view(*args, **kwargs)
        answer = _renderer(function.cache_response_ttl, view)
        try:
            data, status, mimetype = answer(body["output"], key)
        except _NotCacheable as uncached:
            return uncached.response
        return Response(data, status=status, mimetype=mimetype)

    server.view_functions[DASH_UPDATE] = dispatch
