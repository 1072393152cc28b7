"""The signed session: who is logged in, with idle and absolute expiry.

The cookie only names the user; the role is read from the database on each
request, so a changed role, a disabled account or a new password takes effect
at once. A session whose password fingerprint no longer matches is dropped.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import g, request, session

import settings
from data_access.db import DatabaseUnavailable
from data_access.users import get_user
from security.policy import ANONYMOUS, ROLE_RANK


@dataclass(frozen=True)
class Identity:
    username: str
    role: str
    display_name: str = ""

    @property
    def anonymous(self) -> bool:
        return self.role == ANONYMOUS


NOBODY = Identity("", ANONYMOUS)


def now() -> float:
    """The clock (tests move it to expire sessions)."""
    return time.time()


def _fingerprint(password_hash: str) -> str:
    return password_hash[-16:]


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def log_in(user: dict) -> None:
    """Start a fresh session for the user (a new id stops session fixation)."""
    session.clear()
    moment = now()
    session.update({"user": user["username"], "login_at": moment, "seen_at": moment,
                    "pw": _fingerprint(user["password_hash"]), "csrf": secrets.token_urlsafe(32),
                    "role": user["role"], "name": user["display_name"] or ""})
    session.permanent = True


def log_out() -> None:
    session.clear()


def expired(moment: float) -> bool:
    idle = settings.get_int("SESSION_IDLE_MINUTES") * 60
    absolute = settings.get_int("SESSION_MAX_HOURS") * 3600
    return moment - session.get("seen_at", 0) > idle or moment - session.get("login_at", 0) > absolute


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
    username = None if identity is not NOBODY else session.get("user")
    if username:
        moment = now()
        try:
            user = get_user(username)
        except DatabaseUnavailable:
            identity = _identity_during_outage(username, moment)
            g.identity = identity
            return identity
        if (expired(moment) or user is None or not user["active"]
                or session.get("pw") != _fingerprint(user["password_hash"])):
            g.session_ended = True
            session.pop("user", None)
        else:
            identity = Identity(user["username"], user["role"], user["display_name"] or "")
            if moment - session.get("seen_at", 0) > 30:
                session["seen_at"] = moment
    g.identity = identity
    return identity


def _identity_during_outage(username: str, moment: float) -> Identity:
    """The users table cannot be read: wall screens keep showing the dashboards to the
    role signed into their session cookie at login (until it expires), but nobody gets
    admin rights that cannot be checked against the database."""
    role = session.get("role")
    if expired(moment) or role not in ROLE_RANK:
        return NOBODY
    return Identity(username, "leader" if role == "admin" else role, session.get("name", ""))


def current_identity() -> Identity:
    return g.get("identity", NOBODY)
