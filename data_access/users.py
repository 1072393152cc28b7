"""Users, login bookkeeping and the audit log (IOC database).

Unlike the dashboards these functions write, so they use the writable engine,
each in its own short transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from data_access import models as m
from data_access.db import connect, get_engine, init_db

ROLES = ("admin", "leader", "staff", "public")
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
                active=True, failed_logins=0, created_at=datetime.now()))
    except IntegrityError:
        raise UserError(f"user {username!r} already exists") from None


def update_user(username: str, **values) -> None:
    """Change columns of one user (password_hash, role, active, display_name)."""
    if "role" in values and values["role"] not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got {values['role']!r}")
    with _writable().begin() as connection:
        result = connection.execute(update(m.AppUser).where(m.AppUser.username == username).values(**values))
    if result.rowcount == 0:
        raise UserError(f"no user {username!r}")


def record_failed_login(username: str, max_failures: int, lockout: timedelta) -> bool:
    """Count a failure; lock the account at `max_failures`. True when it is now locked."""
    with _writable().begin() as connection:
        failures = connection.execute(
            update(m.AppUser).where(m.AppUser.username == username)
            .values(failed_logins=m.AppUser.failed_logins + 1).returning(m.AppUser.failed_logins)).scalar()
        if failures is not None and failures >= max_failures:
            connection.execute(update(m.AppUser).where(m.AppUser.username == username)
                               .values(locked_until=datetime.now() + lockout, failed_logins=0))
            return True
    return False


def record_successful_login(username: str) -> None:
    update_user(username, failed_logins=0, locked_until=None, last_login_at=datetime.now())


def audit(actor: str, action: str, detail: str = "", ip: str = "") -> None:
    """Append to the audit log; the log is append-only."""
    with _writable().begin() as connection:
        connection.execute(m.AuditEvent.__table__.insert().values(
            at=datetime.now(), actor=actor[:64], action=action[:40], detail=detail[:500], ip=ip[:64]))


def recent_audit(limit: int = 50) -> list[dict]:
    with connect("ioc") as connection:
        query = select(m.AuditEvent.at, m.AuditEvent.actor, m.AuditEvent.action, m.AuditEvent.detail,
                       m.AuditEvent.ip).order_by(m.AuditEvent.id.desc()).limit(limit)
        return [dict(row) for row in connection.execute(query).mappings()]
