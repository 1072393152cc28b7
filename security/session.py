"""The session: who is logged in, with idle and absolute expiry, kept on the server.

The cookie (signed) holds a random session id and the form (CSRF) token: nothing about
the user. The session's row (`security.session_store`) names the user; the role is read
from the users table with it on each request, so a changed role, a disabled account, a new
password, a logout or an admin ending the session takes effect at once, on every worker.

While the IOC database cannot be read, wall screens keep showing dashboards: each worker
keeps a small copy of the sessions it validated (in Redis when configured, so every worker
shares it), and a session found there is honoured until its idle or absolute expiry, never
with admin rights (`_identity_during_outage`).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import g, request, session

import settings
from data_access.db import DatabaseUnavailable
from security import session_store
from security.accounts import audit
from security.policy import ANONYMOUS, ROLE_RANK

SEEN_EVERY_S = 30  # how often a session's "last seen" is written (idle expiry is in minutes)


@dataclass(frozen=True)
class Identity:
    username: str
    role: str
    display_name: str = ""
    token: str = ""  # the API token's name when a machine client sent one (`security.api_tokens`)
    scopes: tuple[str, ...] = ()

    @property
    def anonymous(self) -> bool:
        return self.role == ANONYMOUS


NOBODY = Identity("", ANONYMOUS)


def now() -> float:
    """The clock (tests move it to expire sessions)."""
    return time.time()


def _instant(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, timezone.utc)


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def log_in(user: dict) -> None:
    """Start a fresh session for the user: a new id (no session fixation), a row on the server."""
    session.clear()
    moment = now()
    session_id = secrets.token_urlsafe(32)
    key = session_store.id_hash(session_id)
    session_store.create(key, user["username"], _instant(moment), ip=request.remote_addr or "",
                         user_agent=request.headers.get("User-Agent", ""))
    session.update({"sid": session_id, "csrf": secrets.token_urlsafe(32)})
    session.permanent = True
    _remember(key, {"username": user["username"], "role": user["role"], "name": user["display_name"] or "",
                    "login_at": moment, "seen_at": moment}, force=True)


def log_out() -> None:
    """End this session on the server (the cookie is worthless from now on) and clear the cookie."""
    session_id = session.get("sid")
    session.clear()
    if isinstance(session_id, str):
        key = session_store.id_hash(session_id)
        _forget([key])  # not honoured during an outage either
        session_store.end(key)  # DatabaseUnavailable: the browser's cookie is cleared all the same


def expired(moment: float, login_at: float, seen_at: float) -> bool:
    """Idle or past its absolute expiry (to the millisecond: stored instants keep microseconds)."""
    idle = settings.get_int("SESSION_IDLE_MINUTES") * 60
    absolute = settings.get_int("SESSION_MAX_HOURS") * 3600
    return round(moment - seen_at, 3) > idle or round(moment - login_at, 3) > absolute


# --- the copy kept for database outages ------------------------------------------------------

_remembered: dict[str, float] = {}
_remembered_lock = threading.Lock()


def _remember(key: str, snapshot: dict, force: bool = False) -> None:
    """Keep what an outage needs to know about a validated session (at most every SEEN_EVERY_S)."""
    with _remembered_lock:
        if not force and snapshot["seen_at"] - _remembered.get(key, 0.0) < SEEN_EVERY_S:
            return
        if len(_remembered) > 10_000:
            _remembered.clear()
        _remembered[key] = snapshot["seen_at"]
    session_store.keep_snapshot(key, snapshot, timeout=settings.get_int("SESSION_IDLE_MINUTES") * 60)


def _forget(keys: list[str]) -> None:
    with _remembered_lock:
        for key in keys:
            _remembered.pop(key, None)
    session_store.forget_snapshots(keys)


def end_user_sessions(username: str) -> int:
    """End every open session of the user at once, on every worker (`manage.py end-sessions`,
    /admin); how many were open."""
    keys = session_store.end_user_sessions(username)
    _forget(keys)
    return len(keys)


def sso_identity() -> Identity | None:
    """Single sign-on through a trusted OIDC reverse proxy (oauth2-proxy, Keycloak Gatekeeper...).

    The proxy authenticates against the city's IdP and passes the user and groups in
    headers; SSO_GROUP_ROLES maps groups to roles (highest wins, none = public).
    Only enable it when every request passes through that proxy, which must strip
    these headers from incoming requests.
    """
    header = settings.get("SSO_USER_HEADER").strip()
    username = request.headers.get(header, "").strip() if header else ""
    if not username:
        return None
    mapping = dict(pair.split(":", 1) for pair in settings.get("SSO_GROUP_ROLES").split(",") if ":" in pair)
    groups = {name.strip() for name in request.headers.get(settings.get("SSO_GROUPS_HEADER"), "").split(",")}
    roles = [mapping[group].strip() for group in groups if group in mapping]
    role = max(roles, key=lambda r: ROLE_RANK.get(r, 0), default="public")
    return Identity(username[:64], role if role in ROLE_RANK else "public", username[:64])


def load_identity() -> Identity:
    """Who is making this request; stored on `g.identity`."""
    identity = sso_identity() or NOBODY
    session_id = None if identity is not NOBODY else session.get("sid")
    if isinstance(session_id, str):
        identity = _session_identity(session_store.id_hash(session_id), now())
    g.identity = identity
    return identity


def _session_identity(key: str, moment: float) -> Identity:
    try:
        row = session_store.find(key)
    except DatabaseUnavailable:
        return _identity_during_outage(key, moment)
    login_at = row["created_at"].timestamp() if row else 0.0
    seen_at = row["seen_at"].timestamp() if row else 0.0
    if row is None or not row["active"] or expired(moment, login_at, seen_at):
        g.session_ended = True
        session.pop("sid", None)
        if row is not None:
            _end_quietly(key)
        _forget([key])
        return NOBODY
    if moment - seen_at > SEEN_EVERY_S:
        try:
            session_store.touch(key, _instant(moment))
            seen_at = moment
        except DatabaseUnavailable:
            pass  # a read-only moment of the database must not sign anybody out
    _remember(key, {"username": row["username"], "role": row["role"], "name": row["display_name"] or "",
                    "login_at": login_at, "seen_at": seen_at})
    return Identity(row["username"], row["role"], row["display_name"] or "")


def _end_quietly(key: str) -> None:
    try:
        session_store.end(key)
    except DatabaseUnavailable:
        pass


def _identity_during_outage(key: str, moment: float) -> Identity:
    """The sessions table cannot be read: wall screens keep showing the dashboards to the
    role their session had when this worker (or, with Redis, any worker) last validated it,
    until it expires; but nobody gets admin rights that cannot be checked against the database."""
    snapshot = session_store.snapshot(key)
    if snapshot is None or snapshot.get("role") not in ROLE_RANK \
            or expired(moment, snapshot.get("login_at", 0.0), snapshot.get("seen_at", 0.0)):
        return NOBODY
    role = "leader" if snapshot["role"] == "admin" else snapshot["role"]
    return Identity(snapshot["username"], role, snapshot.get("name", ""))


def current_identity() -> Identity:
    return g.get("identity", NOBODY)


def audit_current_user(action: str, detail: str = "") -> None:
    """Write `action` to the audit log under the user making this request (an export, say)."""
    audit(current_identity().username, action, detail)
