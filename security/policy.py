"""Who may call what: roles, access levels of routes, pages and callbacks.

Everything is protected unless listed here as public: a new route, page or
Dash callback needs a deliberate `access(PUBLIC)` to be seen without login.
"""
from __future__ import annotations

import inspect
from typing import Callable

import dash

ANONYMOUS = "anonymous"
PUBLIC, DASHBOARD, ADMIN = "public", "dashboard", "admin"
LEVELS = (PUBLIC, DASHBOARD, ADMIN)
ROLE_RANK = {ANONYMOUS: 0, "public": 0, "staff": 1, "leader": 1, "admin": 2}
LEVEL_RANK = {PUBLIC: 0, DASHBOARD: 1, ADMIN: 2}

DASH_UPDATE = "/_dash-update-component"
PAGES_ROUTER_OUTPUT = "_pages_content.children"
# Liveness/readiness probes: public, and answered without reading who is asking (no database).
PROBE_PATHS = frozenset({"/healthz", "/readyz"})
# /metrics checks its own credential (admin session or METRICS_TOKEN), see serving/metrics.py.
PUBLIC_PATHS = frozenset({"/login", "/logout", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
                          "/metrics"}) | PROBE_PATHS
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/api/v1/public/")
ADMIN_PREFIXES = ("/admin", "/api/v1/admin/")


def allowed(role: str, level: str) -> bool:
    return ROLE_RANK.get(role, 0) >= LEVEL_RANK[level]


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


def callback_level(callback_map: dict, output: str, pathname: str | None = None) -> str | None:
    """Level needed for one Dash callback, by its output key; None when there is no such server
    callback (clientside callbacks never run on the server)."""
    entry = callback_map.get(output)
    if entry is None or "callback" not in entry:
        return None
    if PAGES_ROUTER_OUTPUT in output:
        # Dash's page router renders a page's layout: it needs that page's level.
        return path_level(pathname or "/")
    function = inspect.unwrap(entry["callback"])
    return getattr(function, "access_level", DASHBOARD)
