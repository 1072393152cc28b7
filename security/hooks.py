"""One request hook that enforces the policy on every route and callback, and
the hardening every response gets (headers, cookie flags, body limit)."""
from __future__ import annotations

import io
import json
import secrets
from urllib.parse import quote, unquote, urlsplit

import dash
from dash.exceptions import DependencyException
from flask import Response, g, has_request_context, jsonify, redirect, request
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

import settings
from data_access import cache
from data_access.db import DatabaseUnavailable
from security import api_tokens, policy, rate_limits
from security.secret_key import secret_key_problem
from security.session import load_identity
from security.views import blueprint as auth_blueprint
from security.views import database_error_page

STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")


class InsecureConfiguration(SystemExit):
    """The app must not start like this; the message says what to fix."""


def secret_key() -> str:
    """The configured key; in production it must be long, random and not a known default."""
    problem = secret_key_problem()
    if problem:
        raise InsecureConfiguration(problem)
    return settings.get("SECRET_KEY") or _development_key()


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
    server.wsgi_app = BodyLimit(server.wsgi_app, server.config["MAX_CONTENT_LENGTH"])
    hops = settings.get_int("PROXY_FIX_HOPS")
    if hops > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    server.register_blueprint(auth_blueprint)
    server.register_error_handler(DependencyException, lambda _exc: _deny(404, "not found"))
    server.register_error_handler(RequestEntityTooLarge, lambda _exc: _deny(413, _too_large()))
    server.before_request(lambda: enforce(app))
    server.after_request(lambda response: harden(app, response))
    rate_limits.init_rate_limits(app)  # after `enforce`: only requests the policy let in are counted
    cache.set_scope(_cache_scope)


def _too_large() -> str:
    return f"request body larger than MAX_UPLOAD_MB ({settings.get('MAX_UPLOAD_MB')} MB)"


class BodyLimit:
    """WSGI middleware: a body over the limit is answered 413 before any hook or view reads it,
    on every route (a declared Content-Length at once; a chunked body once it passes the limit)."""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            if int(length) > self.limit:
                return self._refuse(environ, start_response)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or (
                environ.get("wsgi.input_terminated") and environ.get("REQUEST_METHOD") in ("POST", "PUT", "PATCH")):
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                return self._refuse(environ, start_response)
            environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)

    def _refuse(self, environ, start_response):
        body = json.dumps({"error": f"request body larger than {self.limit // 1048576} MB (MAX_UPLOAD_MB)",
                           "status": 413}).encode()
        start_response("413 Request Entity Too Large", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close"),
            ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")])
        return [body]


def _cache_scope() -> str:
    """The role of the request being served: part of every cache key."""
    if not has_request_context():
        return ""
    identity = g.get("identity")
    return identity.role if identity else policy.ANONYMOUS


def _deny(status: int, message: str) -> Response:
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401 and request.path.startswith(policy.API_PREFIX):
        response.headers["WWW-Authenticate"] = 'Bearer realm="ioc"'
    return response


def enforce(app: dash.Dash) -> Response | None:
    """Allow the request or answer it with 401/403/redirect, before any data is read.
    An API token is read on /api/ only (`_enforce_token`): pages and callbacks ignore it."""
    path = request.path
    if _traversal(path):
        return _deny(404, "not found")
    if path.startswith(STATIC_PREFIXES) or path in policy.PROBE_PATHS:
        g.identity = None
        return None
    if path.startswith(policy.API_PREFIX):
        unknown = _unknown_api_route()
        if unknown is not None:
            return unknown
        if api_tokens.bearer_token(request.headers.get("Authorization")) is not None:
            return _enforce_token(path)
    try:
        identity = load_identity()
    except DatabaseUnavailable as exc:
        if path.startswith(("/api/", "/_dash")):
            return _deny(503, str(exc))
        return database_error_page(exc)
    if path == policy.DASH_UPDATE:
        try:
            level = _callback_level(app)
        except policy.MalformedCallback as exc:
            return _deny(400, str(exc))
        if level is None:
            return _deny(401, "login required") if identity.anonymous else _deny(404, "no such callback")
    else:
        level = policy.path_level(path)
    if policy.allowed(identity.role, level):
        if path == policy.DASH_UPDATE:
            try:  # Dash reads the inputs by position: they must be exactly the declared ones
                policy.callback_arguments(app.callback_map[callback_body()["output"]], callback_body())
            except policy.MalformedCallback as exc:
                return _deny(400, str(exc))
        return None
    if identity.anonymous:
        if path.startswith(("/api/", "/_dash")) or request.method != "GET":
            return _deny(401, "login required")
        expired = "&expired=1" if g.get("session_ended") else ""
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}{expired}", code=303)
    return _deny(403, "your role does not allow this")


def _unknown_api_route() -> Response | None:
    """JSON 404/405 for an /api/ path no API route answers (Dash's page route would send HTML)."""
    if isinstance(request.routing_exception, MethodNotAllowed):
        response = _deny(405, f"method {request.method} not allowed on {request.path}")
        response.headers["Allow"] = ", ".join(sorted(request.routing_exception.valid_methods or ()))
        return response
    rule = request.url_rule
    if rule is None or not rule.rule.startswith(policy.API_PREFIX):
        return _deny(404, f"no API route {request.path}; see {policy.OPENAPI_PATH}")
    return None


def _enforce_token(path: str) -> Response | None:
    """A request with `Authorization: Bearer` on /api/: the token alone decides (no session,
    no cookie), and grants public routes and those its scopes name; 401 for a token that is
    unknown, revoked or expired, 403 for a route outside its scopes."""
    g.identity = None
    try:
        identity = api_tokens.authenticate(request.headers.get("Authorization"), path=path,
                                           ip=request.remote_addr or "")
    except DatabaseUnavailable as exc:
        return _deny(503, str(exc))
    if identity is None:
        response = _deny(401, "invalid, expired or revoked API token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="ioc", error="invalid_token"'
        return response
    g.identity = identity
    if policy.token_allows(identity.scopes, path):
        return None
    api_tokens.record_denied(identity, path, request.remote_addr or "")
    needed = policy.scopes_for(path)
    response = _deny(403, f"this token's scopes ({' '.join(identity.scopes)}) do not grant {path}"
                          + (f"; it needs {' or '.join(needed)}" if needed else ""))
    response.headers["WWW-Authenticate"] = ('Bearer realm="ioc", error="insufficient_scope"'
                                            + (f', scope="{" ".join(needed)}"' if needed else ""))
    return response


def _traversal(path: str) -> bool:
    """'..' segments or backslashes, however encoded, never reach a route."""
    decoded = unquote(unquote(path))
    return "\\" in decoded or ".." in decoded.split("/")


def callback_body() -> dict:
    """The JSON body of a Dash callback request ({} when it is not a JSON object)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _callback_level(app: dash.Dash) -> str | None:
    """The level the named callback needs, read from the body exactly as Dash will read it."""
    body = callback_body()
    output = body.get("output")
    if not isinstance(output, str):
        return None
    return policy.callback_level(app.callback_map, output, body)


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
