"""Rate limits on what anonymous callers reach (the public API and the public Dash callbacks),
and on each API token.

Flask-Limiter, per client address (after PROXY_FIX_HOPS), fixed windows, limits from the
settings PUBLIC_API_RATE_LIMIT and PUBLIC_CALLBACK_RATE_LIMIT (empty = no limit). The count
is kept in Redis when REDIS_URL is set, so every worker shares it; without Redis each worker
counts on its own (the limit then holds per worker: up to WEB_WORKERS times the setting).
Only requests the policy already let in are counted (the limiter runs after the security
hook), and only anonymous ones: signed-in sessions are accountable and wall screens of one
meeting room share an address. Logins have their own counters, shared by every worker
whatever the configuration (`security.throttle`, used by `security/views.py`).

A machine client with an API token (`security.api_tokens`) gets one budget per token,
API_TOKEN_RATE_LIMIT, across every /api/ route together (an application-wide limit keyed by
the token's name, not its address: several systems may share a gateway, one system may move).

A refused request gets 429 with Retry-After and is counted in /metrics
(`ioc_rate_limited_total{limit}`, from `g.rate_limit_scope`: public-api, public-callback, api-token).
"""
from __future__ import annotations

import math
import time

import dash
from flask import g, jsonify, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.errors import RateLimitExceeded

import settings
from security.policy import DASH_UPDATE

PUBLIC_API_PREFIX = "/api/v1/public/"
TOKEN_LIMIT = "API_TOKEN_RATE_LIMIT"
# What is limited, by the setting that holds its limit and the name it is counted under.
LIMITS = {"PUBLIC_API_RATE_LIMIT": "public-api", "PUBLIC_CALLBACK_RATE_LIMIT": "public-callback",
          TOKEN_LIMIT: "api-token"}


def client_address() -> str:
    return request.remote_addr or "unknown"


def limit_setting() -> str | None:
    """The setting whose limit applies to this request, or None when it is not limited."""
    identity = g.get("identity")
    if identity is not None and identity.token:
        return TOKEN_LIMIT
    if identity is None or not identity.anonymous:
        return None  # static files and probes (no identity read), or a signed-in session
    if request.path.startswith(PUBLIC_API_PREFIX):
        return "PUBLIC_API_RATE_LIMIT"
    if request.path == DASH_UPDATE:  # the policy lets anonymous callers reach public callbacks only
        return "PUBLIC_CALLBACK_RATE_LIMIT"
    return None


def _limit() -> str:
    return settings.get(limit_setting() or "PUBLIC_API_RATE_LIMIT").strip() or "1000000/second"


def _exempt() -> bool:
    name = limit_setting()
    return name in (None, TOKEN_LIMIT) or not settings.get(name).strip()


def _token_key() -> str:
    identity = g.get("identity")
    return f"api-token:{identity.token if identity is not None else ''}"


def _token_exempt() -> bool:
    return limit_setting() != TOKEN_LIMIT or not settings.get(TOKEN_LIMIT).strip()


def _token_limit() -> str:
    return settings.get(TOKEN_LIMIT).strip() or "1000000/second"


def _breached(_limit) -> None:
    g.rate_limit_scope = LIMITS.get(limit_setting() or "", "public")


def _too_many(limiter: Limiter, exc: RateLimitExceeded):
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60
    who = "with this API token" if limit_setting() == TOKEN_LIMIT else "from this address"
    response = jsonify({"error": f"too many requests {who} ({exc.description}); "
                                 f"try again in {wait} s", "status": 429})
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def init_rate_limits(app: dash.Dash) -> Limiter:
    """Attach the limiter to the app's server (call after the security hook is registered)."""
    server = app.server
    limiter = Limiter(client_address, default_limits=[_limit], default_limits_exempt_when=_exempt,
                      storage_uri=settings.get("REDIS_URL").strip() or "memory://", strategy="fixed-window",
                      key_prefix="ioc-limits", swallow_errors=True, in_memory_fallback_enabled=True,
                      headers_enabled=False, on_breach=_breached,
                      application_limits=[ApplicationLimit(_token_limit, key_function=_token_key,
                                                           exempt_when=_token_exempt)])
    limiter.init_app(server)
    server.register_error_handler(RateLimitExceeded, lambda exc: _too_many(limiter, exc))
    return limiter
