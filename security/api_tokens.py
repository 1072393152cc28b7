"""API tokens for machine clients: the city's other systems read the API with
`Authorization: Bearer ioc_...` instead of a browser session.

A token is a random `secrets.token_urlsafe(32)` behind a recognisable prefix (`ioc_`, so a
leaked one is easy to spot in logs and secret scanners); only its SHA-256 is stored (IOC table
`api_token`), so the token is shown once, when created. Each token has a name, scopes (what
it may read: `policy.TOKEN_SCOPES`), an optional expiry, and is revoked rather than deleted.
Every use counts itself in the row in one UPDATE (use_count, last_used_at), so parallel
requests on several workers never lose a count. Creating and revoking are audited with the
change, in one transaction; a known token refused (revoked, expired, a route outside its
scopes) is audited too. A string that is no token at all is only logged: anyone on the
Internet can send one, and the audit log must not be theirs to fill.

The request hook (`security.hooks.enforce`) reads the header on /api/ only: pages and Dash
callbacks never see a token.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from data_access import models as m
from data_access.db import DatabaseUnavailable, connect, get_engine, short_error
from domain.city_time import utc_now
from security.accounts import audit
from security.policy import API_CLIENT, TOKEN_SCOPES
from security.session import Identity

log = logging.getLogger(__name__)

TOKEN_PREFIX = "ioc_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_EXPIRY_DAYS = 3650
STATUSES = ("active", "expired", "revoked")


class TokenError(ValueError):
    """A token operation that cannot be done: the message says why."""


def token_hash(token: str) -> str:
    """What the table stores for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header; None for no header or another scheme."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()[:200]


def _write(action, what: str):
    get_engine("ioc")  # a missing database says so (and how to make it), and is not created here
    try:
        with get_engine("ioc", writable=True).begin() as connection:
            return action(connection)
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"IOC database cannot {what}: {short_error(exc)}", transient=True) from exc


def check(name: str, scopes: list[str], expires_days: int | None) -> list[str]:
    """Why a token cannot be created like this (empty = it can)."""
    errors = []
    if not NAME_PATTERN.match(name or ""):
        errors.append("name: 1 to 64 letters, digits, '.', '-' or '_'")
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if not scopes or unknown:
        errors.append(f"scopes must be among {', '.join(sorted(TOKEN_SCOPES))}"
                      + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        errors.append(f"expiry must be 1 to {MAX_EXPIRY_DAYS} days")
    return errors


def create(name: str, scopes: list[str], *, actor: str, expires_days: int | None = None, ip: str = "") -> str:
    """Store a new token and return it in plain text: the only time anyone sees it."""
    name = (name or "").strip()
    scopes = sorted(set(scopes))
    errors = check(name, scopes, expires_days)
    if errors:
        raise TokenError("; ".join(errors))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utc_now()
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None

    def insert(connection) -> None:
        connection.execute(m.ApiToken.__table__.insert().values(
            name=name, scopes=" ".join(scopes), token_hash=token_hash(token), created_at=now,
            created_by=actor[:64], expires_at=expires_at, use_count=0))
        audit(actor, "api_token_created",
              f"{name} scopes={','.join(scopes)} expires={expires_at.isoformat() if expires_at else 'never'}",
              ip, connection=connection)
    try:
        _write(insert, "record the API token")
    except IntegrityError:
        raise TokenError(f"a token named {name!r} exists already (revoked tokens keep their name)") from None
    return token


def revoke(name: str, *, actor: str, ip: str = "") -> None:
    """Revoke a token at once, on every worker (the next request with it gets 401)."""
    t = m.ApiToken.__table__

    def mark(connection) -> int:
        result = connection.execute(update(t).where(t.c.name == name, t.c.revoked_at.is_(None))
                                    .values(revoked_at=utc_now()))
        if result.rowcount:
            audit(actor, "api_token_revoked", name, ip, connection=connection)
        return result.rowcount
    if not _write(mark, "revoke the API token"):
        raise TokenError(f"no active token named {name!r}")


def status(row: dict, now: datetime) -> str:
    """active, expired or revoked."""
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


def list_tokens() -> list[dict]:
    """Every token (never its hash), newest first, with its status."""
    t = m.ApiToken
    query = select(t.name, t.scopes, t.created_at, t.created_by, t.expires_at, t.revoked_at, t.last_used_at,
                   t.use_count).order_by(t.created_at.desc(), t.id.desc())
    with connect("ioc") as connection:
        rows = [dict(row) for row in connection.execute(query).mappings()]
    now = utc_now()
    return [{**row, "scopes": row["scopes"].split(), "status": status(row, now)} for row in rows]


def authenticate(header: str | None, *, path: str = "", ip: str = "") -> Identity | None:
    """The machine client an `Authorization: Bearer` header names, or None when the token is
    unknown, revoked or expired. A use is counted in the same UPDATE that checks the token."""
    token = bearer_token(header)
    if not token or not token.startswith(TOKEN_PREFIX):
        log.warning("API request with a malformed bearer token from %s on %s", ip or "?", path)
        return None
    t = m.ApiToken.__table__
    key, now = token_hash(token), utc_now()
    use = (update(t).where(t.c.token_hash == key, t.c.revoked_at.is_(None),
                           or_(t.c.expires_at.is_(None), t.c.expires_at > now))
           .values(use_count=t.c.use_count + 1, last_used_at=now)
           .returning(t.c.name, t.c.scopes))

    def run(connection):
        row = connection.execute(use).first()
        if row is not None:
            return row
        known = connection.execute(select(t.c.name, t.c.revoked_at, t.c.expires_at)
                                   .where(t.c.token_hash == key)).mappings().first()
        if known is not None:
            reason = status(known, now)
            audit(f"token:{known['name']}", "api_token_denied", f"{reason} token on {path}", ip,
                  connection=connection)
        else:
            log.warning("API request with an unknown token from %s on %s", ip or "?", path)
        return None
    row = _write(run, "check the API token")
    if row is None:
        return None
    return Identity(f"token:{row.name}", API_CLIENT, row.name, token=row.name, scopes=tuple(row.scopes.split()))


def record_denied(identity: Identity, path: str, ip: str = "") -> None:
    """Audit a valid token used on a route its scopes do not grant."""
    try:
        audit(identity.username, "api_token_denied", f"scopes {' '.join(identity.scopes)} do not grant {path}", ip)
    except SQLAlchemyError as exc:  # the refusal stands whether or not it could be written down
        log.error("audit of a refused API token failed: %s", short_error(exc))
