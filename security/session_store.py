"""Server-side sessions (IOC database, table `app_session`).

The browser's cookie carries a random session id and the form token, nothing else; the
row here says whose session it is and since when. Only the SHA-256 of the id is stored,
so a copy of the table lets nobody sign in. Every request reads its row (joined with the
user, one query), so deleting rows ends sessions at once on every worker and host.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from data_access import cache
from data_access import models as m
from data_access.db import DatabaseUnavailable, connect, get_engine, short_error

# Each worker keeps a copy of the sessions it validated, for database outages (security.session);
# in Redis when configured, so an ended session's copy is gone for every worker.
SNAPSHOT_PREFIX = "session-snapshot:"


def id_hash(session_id: str) -> str:
    """What the table stores for a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _write(action):
    get_engine("ioc")  # a missing database says so (and how to make it), and is not created here
    try:
        with get_engine("ioc", writable=True).begin() as connection:
            return action(connection)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"IOC database cannot record sessions: {short_error(exc)}",
                                  transient=True) from exc


def create(key: str, username: str, at: datetime, ip: str = "", user_agent: str = "") -> None:
    """Record a new session (`key` = `id_hash(session id)`)."""
    _write(lambda c: c.execute(m.AppSession.__table__.insert().values(
        id_hash=key, username=username[:64], created_at=at, seen_at=at, ip=ip[:64], user_agent=user_agent[:120])))


def find(key: str) -> dict | None:
    """The session and its user in one read: username, created_at, seen_at, role, display_name,
    active; None when there is no such session (ended, or never was)."""
    s, u = m.AppSession, m.AppUser
    query = (select(s.username, s.created_at, s.seen_at, u.role, u.display_name, u.active)
             .join(u, u.username == s.username).where(s.id_hash == key))
    with connect("ioc") as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def touch(key: str, at: datetime) -> None:
    """The session was used at `at` (idle expiry counts from here)."""
    _write(lambda c: c.execute(update(m.AppSession).where(m.AppSession.id_hash == key).values(seen_at=at)))


def end(key: str) -> None:
    """End one session."""
    _write(lambda c: c.execute(delete(m.AppSession).where(m.AppSession.id_hash == key)))


def end_user_sessions(username: str, connection=None) -> list[str]:
    """End every session of the user, in `connection`'s transaction when given (then call
    `forget_snapshots` with the keys returned once it commits); the keys ended."""
    def run(c) -> list[str]:
        keys = list(c.execute(select(m.AppSession.id_hash).where(m.AppSession.username == username)).scalars())
        c.execute(delete(m.AppSession).where(m.AppSession.username == username))
        return keys
    if connection is not None:
        return run(connection)
    keys = _write(run)
    forget_snapshots(keys)
    return keys


def snapshot(key: str) -> dict | None:
    """The copy of a session kept for outages, or None."""
    found = cache.backend().get(SNAPSHOT_PREFIX + key)
    return found if isinstance(found, dict) else None


def keep_snapshot(key: str, values: dict, timeout: int) -> None:
    cache.backend().set(SNAPSHOT_PREFIX + key, values, timeout=timeout)


def forget_snapshots(keys: list[str]) -> None:
    """Ended sessions are not honoured during an outage either."""
    for key in keys:
        cache.backend().delete(SNAPSHOT_PREFIX + key)


def user_sessions(username: str) -> list[dict]:
    """The user's open sessions, newest first: a short label (not the id), started, last seen,
    address and browser."""
    s = m.AppSession
    query = (select(s.id_hash, s.created_at, s.seen_at, s.ip, s.user_agent)
             .where(s.username == username).order_by(s.created_at.desc()))
    with connect("ioc") as connection:
        rows = connection.execute(query).mappings().all()
    return [{"session": row["id_hash"][:8], "started": row["created_at"], "seen": row["seen_at"],
             "ip": row["ip"], "browser": row["user_agent"]} for row in rows]
