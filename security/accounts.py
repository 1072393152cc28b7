"""Accounts, login bookkeeping and the audit log (IOC database).

Unlike the dashboards these functions write, so they use the writable engine,
each in its own short transaction (or the caller's, for an audit line that must
commit with the change it records).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from data_access import models as m
from data_access.db import connect, get_engine, init_db
from domain.city_time import utc_now
from domain.text import fold
from security import session_store, throttle

ROLES = ("admin", "leader", "staff", "public")
AUDIT_DATABASE = "ioc"
USER_FIELDS = (m.AppUser.id, m.AppUser.username, m.AppUser.display_name, m.AppUser.role,
               m.AppUser.password_hash, m.AppUser.active, m.AppUser.failed_logins,
               m.AppUser.locked_until, m.AppUser.last_login_at)


class UserError(ValueError):
    """A user operation that cannot be done: the message says why."""


def _writable():
    return get_engine("ioc", writable=True)


def get_user(username: str) -> dict | None:
    """The user's row as a dict, or None."""
    with connect("ioc") as connection:
        row = connection.execute(select(*USER_FIELDS).where(m.AppUser.username == username)).mappings().first()
    return dict(row) if row else None


def list_users() -> list[dict]:
    with connect("ioc") as connection:
        rows = connection.execute(select(*USER_FIELDS).order_by(m.AppUser.username)).mappings().all()
    return [{k: v for k, v in row.items() if k != "password_hash"} for row in rows]


def create_user(username: str, password_hash: str, role: str, display_name: str = "") -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    init_db("ioc")
    try:
        with _writable().begin() as connection:
            connection.execute(m.AppUser.__table__.insert().values(
                username=username, password_hash=password_hash, role=role, display_name=display_name,
                active=True, failed_logins=0, created_at=utc_now()))
    except IntegrityError:
        raise UserError(f"user {username!r} already exists") from None


# Changes after which the user's open sessions end at once (on every worker).
SESSION_ENDING_FIELDS = ("password_hash", "role", "active")


def login_name_key(username: str) -> str:
    """The shared counter of login attempts for a user name (any name, known or not)."""
    return f"login-user:{fold(username).lower()[:64]}"


def update_user(username: str, **values) -> list[str]:
    """Change columns of one user (password_hash, role, active, display_name...).

    A new password, a role change or disabling the account ends the user's open sessions in
    the same transaction (the keys ended are returned, for the outage copies). The last active
    admin cannot be demoted or disabled: checked in the same UPDATE, with the admins' rows
    locked on PostgreSQL, so two admins demoting each other at once cannot both succeed."""
    if "role" in values and values["role"] not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got {values['role']!r}")
    u = m.AppUser
    stays_admin = values.get("role", "admin") == "admin" and values.get("active", True) is not False
    other_admins = (select(func.count()).select_from(u)
                    .where(u.role == "admin", u.active.is_(True), u.username != username).scalar_subquery())
    with _writable().begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(u.id).where(u.role == "admin", u.active.is_(True)).with_for_update())
        current = connection.execute(select(u.role, u.active).where(u.username == username)).first()
        if current is None:
            raise UserError(f"no user {username!r}")
        guard = [] if stays_admin else [or_(u.role != "admin", u.active.is_(False), other_admins > 0)]
        result = connection.execute(update(u).where(u.username == username, *guard).values(**values))
        if result.rowcount == 0:
            raise UserError(f"{username!r} is the last active admin: make another user admin first")
        ended = []
        if any(field in values and values[field] != current_value
               for field, current_value in (("role", current.role), ("active", current.active))) \
                or "password_hash" in values:
            ended = session_store.end_user_sessions(username, connection=connection)
    session_store.forget_snapshots(ended)
    if values.get("locked_until", False) is None:
        throttle.clear(login_name_key(username))  # an unlock also forgets the name's recent failures
    return ended


def claim_login_attempt(username: str, max_failures: int, lockout: timedelta) -> dict | None:
    """Count a login attempt for the user before the password is checked, in one UPDATE ...
    RETURNING: the attempt that reaches `max_failures` locks the account in the same statement
    (a right password then unlocks it). Parallel attempts cannot all pass: at most
    `max_failures` of them get the row. None for an unknown, disabled or locked account; the
    row otherwise, with `locked_now` True when this attempt locked it."""
    u = m.AppUser
    now = utc_now()
    reaches_limit = u.failed_logins + 1 >= max_failures
    statement = (update(u)
                 .where(u.username == username, u.active.is_(True), or_(u.locked_until.is_(None), u.locked_until <= now))
                 .values(failed_logins=case((reaches_limit, 0), else_=u.failed_logins + 1),
                         locked_until=case((reaches_limit, now + lockout), else_=None))
                 .returning(u.username, u.role, u.display_name, u.password_hash, u.locked_until))
    with _writable().begin() as connection:
        row = connection.execute(statement).mappings().first()
    if row is None:
        return None
    return {**row, "locked_now": row["locked_until"] is not None}


def record_successful_login(username: str) -> None:
    """The password was right: the attempts before it and any lock they set are forgotten."""
    with _writable().begin() as connection:
        connection.execute(update(m.AppUser).where(m.AppUser.username == username)
                           .values(failed_logins=0, locked_until=None, last_login_at=utc_now()))


def audit(actor: str, action: str, detail: str = "", ip: str = "", connection=None) -> None:
    """Append to the audit log (append-only), in `connection`'s transaction when given."""
    row = m.AuditEvent.__table__.insert().values(
        at=utc_now(), actor=actor[:64], action=action[:40], detail=detail[:500], ip=ip[:64])
    if connection is not None:
        connection.execute(row)
        return
    with _writable().begin() as own:
        own.execute(row)


def recent_audit(limit: int = 50) -> list[dict]:
    with connect("ioc") as connection:
        query = select(m.AuditEvent.at, m.AuditEvent.actor, m.AuditEvent.action, m.AuditEvent.detail,
                       m.AuditEvent.ip).order_by(m.AuditEvent.id.desc()).limit(limit)
        return [dict(row) for row in connection.execute(query).mappings()]
