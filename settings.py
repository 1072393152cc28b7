"""Every setting of the app, read from the environment.

One table of (name, default, help) so the README, `manage.py settings` and the
code agree on what can be configured. Values are read when asked for, not at
import time, so tests can change the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
VAR_DIR = PROJECT_ROOT / "var"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("IOC_DATABASE_URL", f"sqlite:///{VAR_DIR / 'ioc.db'}",
            "SQLAlchemy URL of the IOC database (wards, cameras, access points, incidents...)."),
    Setting("KPI_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kpi.db'}",
            "SQLAlchemy URL of the KPI database (indicators, targets, observations, raw records)."),
    Setting("SECRET_KEY", "",
            "Key that signs sessions. Empty in development = a random key per process."),
    Setting("APP_ENV", "development", "development or production."),
    Setting("DEFAULT_CITY", "thanh-hoa", "City shown first: thanh-hoa, nam-dinh or chi-linh."),
    Setting("DEFAULT_LANG", "vi", "Interface language shown first: vi or en."),
    Setting("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "Map tile URL template; empty = no basemap (offline kiosks, tests)."),
    Setting("TILE_ATTRIBUTION", "© OpenStreetMap contributors", "Attribution shown under the tiles."),
    Setting("DEBUG", "0", "1 = Dash debug mode and dev tools (never honoured when APP_ENV=production)."),
    Setting("HOST", "127.0.0.1", "Address `python app.py` listens on."),
    Setting("PORT", "8050", "Port `python app.py` listens on."),
    Setting("SESSION_IDLE_MINUTES", "60", "A session ends after this long without a request."),
    Setting("SESSION_MAX_HOURS", "12", "A session ends this long after login, whatever happens."),
    Setting("LOGIN_MAX_FAILURES", "5", "Wrong passwords in a row before an account is locked."),
    Setting("LOGIN_LOCKOUT_MINUTES", "15", "How long a locked account stays locked."),
    Setting("LOGIN_ATTEMPTS_PER_IP", "20", "Login attempts one address may make per 5 minutes."),
    Setting("MAX_UPLOAD_MB", "20", "Largest request body accepted (uploads); larger gets 413."),
    Setting("PROXY_FIX_HOPS", "0", "Reverse proxies in front of the app whose X-Forwarded-* headers are trusted."),
    Setting("FRAME_ANCESTORS", "", "Origins allowed to embed the app in a frame; empty = nobody."),
    Setting("SSO_USER_HEADER", "", "Header set by a trusted OIDC proxy with the user name; empty = off."),
    Setting("SSO_GROUPS_HEADER", "X-Forwarded-Groups", "Header with the user's groups (comma-separated)."),
    Setting("SSO_GROUP_ROLES", "", "group:role pairs, e.g. ioc-admins:admin,ioc-leaders:leader."),
    Setting("CACHE_TTL", "300", "Seconds a query result stays cached."),
    Setting("MQTT_URL", "mqtt://127.0.0.1:1883",
            "MQTT broker of the live event feed (`manage.py ingest-mqtt`, `simulate`); mqtts:// for TLS."),
    Setting("OPS_REFRESH_S", "30", "Seconds between refreshes of the operations page (wall screens)."),
    Setting("OPS_STALE_AFTER_S", "900",
            "The operations page says its data is stale when the newest event is older than this."),
    Setting("OPS_SLA_HOURS", "critical=4,high=24,medium=72,low=168",
            "Hours the operations centre allows to resolve an incident, by severity."),
    Setting("QUERY_TIMEOUT_MS", "10000", "Longest a dashboard query may run (PostgreSQL statement_timeout)."),
    Setting("DB_READ_RETRIES", "2",
            "Extra tries of a dashboard read whose database connection failed (backoff 0.1 s, 0.3 s...)."),
    Setting("REDIS_URL", "",
            "Shared cache for every worker, e.g. redis://127.0.0.1:6379/0; empty = an in-process cache."),
    Setting("CACHE_ENABLED", "1",
            "0 = no caching at all (only to measure the database alone, as the benchmark's peer does)."),
    Setting("CACHE_STALE_TTL", "86400",
            "Seconds the last good result is kept, to be served marked stale while a database is down."),
    Setting("METRICS_TOKEN", "",
            "Bearer token that lets Prometheus read /metrics; empty = only signed-in admins may."),
    Setting("WEB_WORKERS", "", "gunicorn worker processes; empty = 2 per CPU core + 1."),
    Setting("WEB_THREADS", "4", "Threads per gunicorn worker (a slow query does not block the others)."),
    Setting("WEB_TIMEOUT", "30",
            "Seconds before gunicorn restarts a stuck worker; must exceed QUERY_TIMEOUT_MS."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The setting's value from the environment, or its default."""
    return os.environ.get(name, _BY_NAME[name].default)


def get_int(name: str) -> int:
    value = get(name)
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def is_production() -> bool:
    return get("APP_ENV").strip().lower() == "production"


def debug_enabled() -> bool:
    """Debug only when asked for, and never in production."""
    return get("DEBUG").strip().lower() in ("1", "true", "yes") and not is_production()
