"""One request hook that enforces the policy on every route and callback, and
the hardening every response gets (headers, cookie flags, body limit)."""
from __future__ import annotations

import secrets
from urllib.parse import quote, unquote, urlsplit

import dash
from dash.exceptions import DependencyException
from flask import Response, g, has_request_context, jsonify, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

import settings
from data_access import cache
from data_access.db import DatabaseUnavailable
from security import policy
from security.session import load_identity
from security.views import blueprint as auth_blueprint
from security.views import database_error_page

KNOWN_DEFAULT_KEYS = {"", "changeme", "change-me", "secret", "secret-key", "dev", "development", "default",
                      "your-secret-key", "please-change-me", "insecure", "test"}
MIN_KEY_LENGTH = 32
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")


class InsecureConfiguration(SystemExit):
    """The app must not start like this; the message says what to fix."""


def secret_key() -> str:
    """The configured key; in production it must be long and not a known default."""
    key = settings.get("SECRET_KEY")
    if settings.is_production():
        if key.strip().lower() in KNOWN_DEFAULT_KEYS or len(key) < MIN_KEY_LENGTH:
            raise InsecureConfiguration(
                f"refusing to start: APP_ENV=production needs SECRET_KEY of at least {MIN_KEY_LENGTH} "
                "random characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return key
    return key or _development_key()


def _development_key() -> str:
    """A random key kept in var/ so that restarts and several workers share sessions (development only)."""
    path = settings.VAR_DIR / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
    except OSError:
        return secrets.token_hex(32)


def init_security(app: dash.Dash) -> None:
    server = app.server
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_NAME="ioc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production(),
        PERMANENT_SESSION_LIFETIME=settings.get_int("SESSION_MAX_HOURS") * 3600,
        MAX_CONTENT_LENGTH=settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024,
    )
    hops = settings.get_int("PROXY_FIX_HOPS")
    if hops > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    server.register_blueprint(auth_blueprint)
    server.register_error_handler(DependencyException, lambda _exc: _deny(404, "not found"))
    server.before_request(lambda: enforce(app))
    server.after_request(lambda response: harden(app, response))
    cache.set_scope(_cache_scope)


def _cache_scope() -> str:
    """The role of the request being served: part of every cache key."""
    if not has_request_context():
        return ""
    identity = g.get("identity")
    return identity.role if identity else policy.ANONYMOUS


def _deny(status: int, message: str) -> Response:
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def enforce(app: dash.Dash) -> Response | None:
    """Allow the request or answer it with 401/403/redirect, before any data is read."""
    path = request.path
    if _traversal(path):
        return _deny(404, "not found")
    if path.startswith(STATIC_PREFIXES) or path in policy.PROBE_PATHS:
        g.identity = None
        return None
    try:
        identity = load_identity()
    except DatabaseUnavailable as exc:
        if path.startswith(("/api/", "/_dash")):
            return _deny(503, str(exc))
        return database_error_page(exc)
    if path == policy.DASH_UPDATE:
        level = _callback_level(app)
        if level is None:
            return _deny(401, "login required") if identity.anonymous else _deny(404, "no such callback")
    else:
        level = policy.path_level(path)
    if policy.allowed(identity.role, level):
        return None
    if identity.anonymous:
        if path.startswith(("/api/", "/_dash")) or request.method != "GET":
            return _deny(401, "login required")
        expired = "&expired=1" if g.get("session_ended") else ""
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}{expired}", code=303)
    return _deny(403, "your role does not allow this")


def _traversal(path: str) -> bool:
    """'..' segments or backslashes, however encoded, never reach a route."""
    decoded = unquote(unquote(path))
    return "\\" in decoded or ".." in decoded.split("/")


def _callback_level(app: dash.Dash) -> str | None:
    body = request.get_json(silent=True) or {}
    output = body.get("output")
    if not isinstance(output, str):
        return None
    pathname = None
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("property") == "pathname":
            pathname = item.get("value")
    return policy.callback_level(app.callback_map, output, pathname if isinstance(pathname, str) else None)


def content_security_policy(app: dash.Dash) -> str:
    """Strict enough to stop injected scripts, loose enough for Dash, Plotly and Leaflet."""
    hashes = " ".join(app.csp_hashes())
    images = ["'self'", "data:", "blob:"]
    tile_url = settings.get("TILE_URL")
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
        images.append(f"{parts.scheme}://{host}")
    ancestors = settings.get("FRAME_ANCESTORS").strip() or "'none'"
    return "; ".join([
        "default-src 'self'", f"script-src 'self' {hashes}", "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(images)}", "font-src 'self' data:", "connect-src 'self'",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", f"frame-ancestors {ancestors}",
    ])


def harden(app: dash.Dash, response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if not settings.get("FRAME_ANCESTORS").strip():
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", content_security_policy(app))
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith(STATIC_PREFIXES):
        headers.setdefault("Cache-Control", "no-store")
    return response
