"""Who may call what: roles, access levels of routes, pages and callbacks.

Everything is protected unless listed here as public: a new route, page or
Dash callback needs a deliberate `access(PUBLIC)` to be seen without login.
"""
from __future__ import annotations

import inspect
import json
from typing import Callable

import dash
from dash.exceptions import UnsupportedRelativePath

ANONYMOUS = "anonymous"
# A machine client with an API token (`security.api_tokens`): no rank of its own, so it reaches
# what anyone may, plus exactly the API routes its scopes grant (TOKEN_SCOPES).
API_CLIENT = "api-client"
PUBLIC, DASHBOARD, ADMIN = "public", "dashboard", "admin"
LEVELS = (PUBLIC, DASHBOARD, ADMIN)
ROLE_RANK = {ANONYMOUS: 0, API_CLIENT: 0, "public": 0, "staff": 1, "leader": 1, "admin": 2}
LEVEL_RANK = {PUBLIC: 0, DASHBOARD: 1, ADMIN: 2}

DASH_UPDATE = "/_dash-update-component"
PAGES_ROUTER_OUTPUT = "_pages_content.children"
ROUTER_LOCATION = "_pages_location"
# Liveness/readiness probes: public, and answered without reading who is asking (no database).
PROBE_PATHS = frozenset({"/healthz", "/readyz"})
API_PREFIX = "/api/"
OPENAPI_PATH = "/api/v1/openapi.json"  # the API's contract: public, so other systems can read it first
# /metrics checks its own credential (admin session or METRICS_TOKEN), see serving/metrics.py.
PUBLIC_PATHS = frozenset({"/login", "/logout", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
                          "/metrics", OPENAPI_PATH}) | PROBE_PATHS
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/api/v1/public/")
ADMIN_PREFIXES = ("/admin", "/api/v1/admin/")
# What each API token scope grants: exact API paths. A token is read on /api/ only, never on
# pages or Dash callbacks, so a leaked token opens these routes and nothing else.
TOKEN_SCOPES: dict[str, frozenset[str]] = {
    "kpi:read": frozenset({"/api/v1/kpi", "/api/v1/indicators"}),
}


def allowed(role: str, level: str) -> bool:
    return ROLE_RANK.get(role, 0) >= LEVEL_RANK[level]


def token_allows(scopes, path: str) -> bool:
    """Whether an API token with `scopes` may call `path`: a public route, or one a scope grants."""
    return path_level(path) == PUBLIC or any(path in TOKEN_SCOPES.get(scope, ()) for scope in scopes)


def scopes_for(path: str) -> list[str]:
    """The scopes that grant `path` (to name in a 403)."""
    return sorted(scope for scope, paths in TOKEN_SCOPES.items() if path in paths)


def access(level: str) -> Callable:
    """Mark a callback's function with the level needed to run it (put it under @callback)."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def mark(function: Callable) -> Callable:
        function.access_level = level
        return function
    return mark


def page_level(page: dict) -> str:
    return page.get("access", DASHBOARD)


def public_page_paths() -> set[str]:
    return {page["relative_path"] for page in dash.page_registry.values() if page_level(page) == PUBLIC}


def path_level(path: str) -> str:
    """Level needed for an HTTP path (callbacks are decided by `callback_level`)."""
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or path in public_page_paths():
        return PUBLIC
    if path.startswith(ADMIN_PREFIXES):
        return ADMIN
    for page in dash.page_registry.values():
        if page["relative_path"] == path:
            return page_level(page)
    return DASHBOARD


class MalformedCallback(ValueError):
    """A `/_dash-update-component` body that is not what the callback declares: refused (400)."""


def _pattern(declared_id: str) -> dict | None:
    """A pattern-matching id ({"type": "x", "index": ["ALL"]}) as a dict; None for a plain id."""
    if not declared_id.startswith("{"):
        return None
    return json.loads(declared_id)


def _same_id(declared_id: str, pattern: dict | None, sent) -> bool:
    if pattern is None:
        return sent == declared_id
    return (isinstance(sent, dict) and set(sent) == set(pattern)
            and all(sent[key] == value for key, value in pattern.items() if not isinstance(value, list)))


def callback_arguments(entry: dict, body: dict) -> list:
    """The input and state values of a callback request in the order Dash hands them to the
    function (it reads them by position), after checking that the body holds exactly the
    declared inputs and state: same number, order, ids and properties, no (id, property)
    sent twice. Anything else is MalformedCallback, so the policy and Dash read the same values."""
    inputs, state = body.get("inputs"), body.get("state", [])
    declared = list(entry.get("inputs", [])) + list(entry.get("state", []))
    if not isinstance(inputs, list) or not isinstance(state, list) \
            or len(inputs) != len(entry.get("inputs", [])) or len(state) != len(entry.get("state", [])):
        raise MalformedCallback("the callback's inputs and state are not the declared ones")
    seen = set()
    values = []
    for dependency, item in zip(declared, inputs + state):
        pattern = _pattern(dependency["id"])
        many = pattern is not None and any(value in (["ALL"], ["ALLSMALLER"]) for value in pattern.values())
        if many != isinstance(item, list):  # ALL and ALLSMALLER come as a list of matches, others alone
            raise MalformedCallback(f"unexpected input for {dependency['id']}.{dependency['property']}")
        items = item if many else [item]
        for one in items:
            if not isinstance(one, dict) or one.get("property") != dependency["property"] \
                    or not _same_id(dependency["id"], pattern, one.get("id")):
                raise MalformedCallback(f"unexpected input for {dependency['id']}.{dependency['property']}")
            sent = (json.dumps(one.get("id"), sort_keys=True), one["property"])
            if sent in seen:
                raise MalformedCallback(f"input {dependency['id']}.{dependency['property']} is sent twice")
            seen.add(sent)
        values.append([one.get("value") for one in items] if items is item else item.get("value"))
    return values


def router_page(pathname) -> dict | None:
    """The page Dash's router renders for `pathname`, found the way Dash finds it (prefix and
    slashes stripped, path templates matched, the 404 page when nothing matches); None when
    Dash could not route it at all (not a path)."""
    from dash._pages import _path_to_page  # the router's own lookup, so both always agree

    if not isinstance(pathname, str):
        return None
    try:
        page, _variables = _path_to_page(dash.strip_relative_path(pathname))
    except (UnsupportedRelativePath, TypeError, ValueError, IndexError):
        return None
    if page:
        return page
    return next((page for module, page in dash.page_registry.items()
                 if module.split(".")[-1] == "not_found_404"), {"access": PUBLIC})


def callback_level(callback_map: dict, output: str, body: dict | None = None) -> str | None:
    """Level needed for one Dash callback, by its output key; None when there is no such server
    callback (clientside callbacks never run on the server). For the page router the body is
    read (MalformedCallback when its inputs are not the declared ones); any other callback's
    body is checked by `callback_arguments` once the caller is known to be allowed."""
    entry = callback_map.get(output)
    if entry is None or "callback" not in entry:
        return None
    if PAGES_ROUTER_OUTPUT in output:
        arguments = callback_arguments(entry, body or {})
        # Dash's page router renders a page's layout: it needs that page's level. Dash hands the
        # router its inputs by position; the pathname is read at its declared position.
        position = next((index for index, dependency in enumerate(entry["inputs"])
                         if (dependency.get("id"), dependency.get("property")) == (ROUTER_LOCATION, "pathname")),
                        None)
        page = router_page(arguments[position] if position is not None else None)
        if page is None:
            raise MalformedCallback("the router's pathname is not a path")
        return page_level(page)
    function = inspect.unwrap(entry["callback"])
    return getattr(function, "access_level", DASHBOARD)
