"""Every setting of the app, read from the environment.

One table of (name, default, help) so the README, `manage.py settings` and the
code agree on what can be configured. Values are read when asked for, not at
import time, so tests can change the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent
VAR_DIR = PROJECT_ROOT / "var"


Check = Callable[[str], "str | None"]


def _integer(minimum: int | None = None, maximum: int | None = None) -> Check:
    def check(value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return "must be a whole number"
        if minimum is not None and number < minimum:
            return f"must be at least {minimum}"
        if maximum is not None and number > maximum:
            return f"must be at most {maximum}"
        return None
    return check


def _choice(*allowed: str) -> Check:
    return lambda value: None if value.strip().lower() in allowed else f"must be one of {', '.join(allowed)}"


def _url(*schemes: str, empty_ok: bool = False) -> Check:
    def check(value: str) -> str | None:
        if not value and empty_ok:
            return None
        parts = urlsplit(value)
        scheme = parts.scheme.split("+")[0]
        if scheme not in schemes or not (parts.netloc or parts.path):
            return f"must be a {' or '.join(s + '://' for s in schemes)} URL"
        return None
    return check


def _zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone such as Asia/Ho_Chi_Minh"
    return None


def parse_pairs(value: str) -> dict[str, float]:
    """'critical=4,high=24' → {'critical': 4.0, 'high': 24.0}; ValueError says what is wrong."""
    pairs: dict[str, float] = {}
    for pair in value.split(","):
        name, _, number = pair.partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"{pair.strip()!r} is not name=number")
        try:
            pairs[name] = float(number)
        except ValueError:
            raise ValueError(f"{number.strip()!r} is not a number") from None
        if pairs[name] <= 0:
            raise ValueError(f"{name} must be positive, got {number.strip()!r}")
    return pairs


def _rate_limit(value: str) -> str | None:
    """A limit such as '120/minute' or '10/second;300/hour' (Flask-Limiter notation); empty = none."""
    if not value.strip():
        return None
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        return "must be like 120/minute (or empty for no limit)"
    return None


def _pairs(value: str) -> str | None:
    try:
        parse_pairs(value)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    check: Check | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("IOC_DATABASE_URL", f"sqlite:///{VAR_DIR / 'ioc.db'}",
            "SQLAlchemy URL of the IOC database (wards, cameras, access points, incidents...).", check=_url("sqlite", "postgresql")),
    Setting("KPI_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kpi.db'}",
            "SQLAlchemy URL of the KPI database (indicators, targets, observations, raw records).", check=_url("sqlite", "postgresql")),
    Setting("SECRET_KEY", "",
            "Key that signs sessions. Empty in development = a random key per process."),
    Setting("APP_ENV", "development", "development or production.", check=_choice("development", "production")),
    Setting("DEFAULT_CITY", "thanh-hoa", "City shown first: thanh-hoa, nam-dinh or chi-linh."),
    Setting("CITY_TZ", "Asia/Ho_Chi_Minh",
            "Time zone the city's clocks, dates, periods and deadlines are in (instants are stored in UTC).",
            check=_zone),
    Setting("DEFAULT_LANG", "vi", "Interface language shown first: vi or en.", check=_choice("vi", "en")),
    Setting("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "Map tile URL template; empty = no basemap (offline kiosks, tests)."),
    Setting("TILE_ATTRIBUTION", "© OpenStreetMap contributors", "Attribution shown under the tiles."),
    Setting("DEBUG", "0", "1 = Dash debug mode and dev tools (never honoured when APP_ENV=production).", check=_choice("0", "1", "true", "false", "yes", "no")),
    Setting("COMPRESS_RESPONSES", "1",
            "1 = compress text responses (scripts, pages, callbacks, API) with zstd, brotli or gzip as the "
            "browser accepts; 0 when a proxy in front already compresses.",
            check=_choice("0", "1", "true", "false", "yes", "no")),
    Setting("JOBS_DIR", "", "Folder of background jobs' progress and results (exports, imports); empty = var/jobs. "
            "Every worker of a machine must see the same folder."),
    Setting("JOB_TIME_LIMIT_S", "300", "A background job (an export) is stopped after this many seconds.",
            check=_integer(10, 3600)),
    Setting("HOST", "127.0.0.1", "Address `python app.py` listens on."),
    Setting("PORT", "8050", "Port `python app.py` listens on.", check=_integer(1, 65535)),
    Setting("SESSION_IDLE_MINUTES", "60", "A session ends after this long without a request.", check=_integer(1)),
    Setting("SESSION_MAX_HOURS", "12", "A session ends this long after login, whatever happens.", check=_integer(1)),
    Setting("LOGIN_MAX_FAILURES", "5", "Wrong passwords in a row before an account is locked.", check=_integer(1)),
    Setting("LOGIN_LOCKOUT_MINUTES", "15", "How long a locked account stays locked.", check=_integer(1)),
    Setting("LOGIN_ATTEMPTS_PER_IP", "20",
            "Failed login attempts one address may make per 5 minutes (counted by all workers together).",
            check=_integer(1)),
    Setting("PUBLIC_API_RATE_LIMIT", "120/minute",
            "Requests one address may make to /api/v1/public/* without signing in; empty = no limit.",
            check=_rate_limit),
    Setting("PUBLIC_CALLBACK_RATE_LIMIT", "600/minute",
            "Public Dash callbacks (kiosk, shell) one address may call without signing in; empty = no limit.",
            check=_rate_limit),
    Setting("API_TOKEN_RATE_LIMIT", "600/minute",
            "Requests one API token may make to /api/ (all routes together, every worker); empty = no limit.",
            check=_rate_limit),
    Setting("API_PUBLIC_MAX_AGE_S", "300",
            "Seconds a public API answer (/api/v1/public/kpi) may be kept by browsers and proxies; the "
            "indicator catalog as long, by the client only.",
            check=_integer(0, 86400)),
    Setting("IMPORT_TIME_LIMIT_S", "60",
            "Longest a KPI or lineage import may take (reading, checking, writing) before it is stopped "
            "with nothing written.", check=_integer(5, 3600)),
    Setting("CACHE_GENERATION_CHECK_S", "2",
            "How often each worker checks whether an import changed the data (and drops its cached reads).",
            check=_integer(0, 300)),
    Setting("MQTT_REJECT_LOG_PER_MINUTE", "10",
            "Rejected live-feed messages logged per reason and minute; the rest are counted in one line.",
            check=_integer(0, 100_000)),
    Setting("MAX_UPLOAD_MB", "20", "Largest request body accepted (uploads); larger gets 413.", check=_integer(1, 1024)),
    Setting("COVERAGE_RADIUS_M", "100",
            "A key location is covered by a camera within this many metres (run `manage.py coverage` after a change).",
            check=_integer(1, 5000)),
    Setting("COVERAGE_RADIUS_BY_CATEGORY", "",
            "Optional radius per key-location category, e.g. intersection=50,school=150; others use COVERAGE_RADIUS_M.",
            check=lambda value: _pairs(value) if value.strip() else None),
    Setting("ASSET_STALE_DAYS", "7",
            "The data quality page lists assets whose status was not refreshed for this many days.",
            check=_integer(1, 3650)),
    Setting("PROXY_FIX_HOPS", "0", "Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.", check=_integer(0, 5)),
    Setting("FRAME_ANCESTORS", "", "Origins allowed to embed the app in a frame; empty = nobody."),
    Setting("SSO_USER_HEADER", "", "Header set by a trusted OIDC proxy with the user name; empty = off."),
    Setting("SSO_GROUPS_HEADER", "X-Forwarded-Groups", "Header with the user's groups (comma-separated)."),
    Setting("SSO_GROUP_ROLES", "", "group:role pairs, e.g. ioc-admins:admin,ioc-leaders:leader."),
    Setting("CACHE_TTL", "300", "Seconds a query result stays cached.", check=_integer(0)),
    Setting("MAP_WARM_S", "10",
            "Seconds between looks of each gunicorn worker's warm-up thread at the map's point layers and "
            "each year's and quarter's indicators (rebuilt ahead of visitors after an import or when they "
            "expire); 0 = off.", check=_integer(0, 3600)),
    Setting("MQTT_SESSION_EXPIRY_S", "604800",
            "Seconds the broker keeps the ingester's session, queueing its QoS 1 messages, while it is away "
            "(a restart, an outage); the broker's `max_queued_messages` bounds that queue.",
            check=_integer(0, 2**32 - 1)),
    Setting("MQTT_URL", "mqtt://127.0.0.1:1883",
            "MQTT broker of the live event feed (`manage.py ingest-mqtt`, `simulate`); mqtts:// for TLS.", check=_url("mqtt", "mqtts")),
    Setting("WALL_VIEWS", "overview,map,targets,operations",
            "Pages `/wall` rotates through when the address names none (module names, comma-separated)."),
    Setting("WALL_EVERY_S", "30", "Seconds each view of the wall playlist stays on screen.", check=_integer(5, 3600)),
    Setting("OPS_REFRESH_S", "30", "Seconds between refreshes of the operations page (wall screens).", check=_integer(1)),
    Setting("OPS_STALE_AFTER_S", "900",
            "The operations page says its data is stale when the newest event is older than this.", check=_integer(60)),
    Setting("OPS_SLA_HOURS", "critical=4,high=24,medium=72,low=168",
            "Hours the operations centre allows to resolve an incident, by severity.", check=_pairs),
    Setting("ALERT_EVERY_S", "60", "Seconds between two evaluations of the alert rules by `manage.py alerts run`.",
            check=_integer(5, 3600)),
    Setting("ALERT_SMTP_URL", "",
            "SMTP server for alert e-mails, smtp://user:password@host:587 (STARTTLS) or smtps://...:465; "
            "empty = no e-mail.", check=_url("smtp", "smtps", empty_ok=True)),
    Setting("ALERT_SMTP_FROM", "ioc@localhost", "Sender address of alert e-mails."),
    Setting("APP_BASE_URL", "",
            "The app's address as people open it (https://ioc.example.gov.vn): alert e-mails and webhooks "
            "link to the alert there; empty = the link is a path only.", check=_url("http", "https", empty_ok=True)),
    Setting("ALERT_WEBHOOK_URL", "",
            "URL every alert notification is POSTed to as JSON (a Zalo OA, Telegram or Slack relay); empty = none.",
            check=_url("http", "https", empty_ok=True)),
    Setting("ALERT_WEBHOOK_SECRET", "",
            "Shared secret signing each webhook body (HMAC-SHA256, header X-IOC-Signature); set it with the URL."),
    Setting("PUBLIC_AIR_ALERTS", "0",
            "1 = the public kiosk (/public) shows open air-quality alerts (station, ward, parameter, value, QCVN "
            "limit), never other alerts, recipients or handling; 0 = no alerts in public.",
            check=_choice("0", "1", "true", "false", "yes", "no")),
    Setting("QUERY_TIMEOUT_MS", "10000", "Longest a dashboard query may run (PostgreSQL statement_timeout).", check=_integer(100)),
    Setting("DB_READ_RETRIES", "2",
            "Extra tries of a dashboard read whose database connection failed (backoff 0.1 s, 0.3 s...).", check=_integer(0, 10)),
    Setting("REDIS_URL", "",
            "Shared cache for every worker, e.g. redis://127.0.0.1:6379/0; empty = an in-process cache.", check=_url("redis", "rediss", "unix", empty_ok=True)),
    Setting("CACHE_ENABLED", "1",
            "0 = no caching at all (only to measure the database alone, as the benchmark's peer does).", check=_choice("0", "1")),
    Setting("CACHE_STALE_TTL", "86400",
            "Seconds the last good result is kept, to be served marked stale while a database is down.", check=_integer(0)),
    Setting("METRICS_TOKEN", "",
            "Bearer token that lets Prometheus read /metrics; empty = only signed-in admins may."),
    Setting("WEB_WORKERS", "", "gunicorn worker processes; empty = 2 per CPU core + 1.",
            check=lambda value: None if not value else _integer(1, 64)(value)),
    Setting("WEB_THREADS", "4", "Threads per gunicorn worker (a slow query does not block the others).", check=_integer(1, 64)),
    Setting("WEB_TIMEOUT", "30",
            "Seconds before gunicorn restarts a stuck worker; must exceed QUERY_TIMEOUT_MS.", check=_integer(1)),
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


def problems() -> list[str]:
    """One line per setting whose value cannot be used (checked at start, not in a request)."""
    out = []
    for setting in SETTINGS:
        value = get(setting.name)
        reason = setting.check(value) if setting.check else None
        if reason:
            out.append(f"{setting.name}={value!r}: {reason}")
    return out


def is_production() -> bool:
    return get("APP_ENV").strip().lower() == "production"


def get_flag(name: str) -> bool:
    return get(name).strip().lower() in ("1", "true", "yes")


def debug_enabled() -> bool:
    """Debug only when asked for, and never in production."""
    return get_flag("DEBUG") and not is_production()
