"""Counters shared by every worker and host: login attempts per address and per user name.

A limit counted in one process holds for that process only (five gunicorn workers gave one
address five budgets), so these counters live where every worker sees them: in Redis when
REDIS_URL is set (one script: INCR, and PEXPIRE on the first hit), otherwise in the IOC
database (`rate_counter`, one INSERT ... ON CONFLICT DO UPDATE ... RETURNING per hit). Either
way a hit is one atomic step, so parallel attempts cannot all read "under the limit".

Fixed windows: the first hit starts a window of `window_s` seconds; the count starts again
once it ends. `extend` restarts the window from now (a lockout lasts its full length after
the attempt that triggered it). When Redis errs, the database stands in (logged once a minute).
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

import settings
from data_access import models as m
from data_access.db import DatabaseUnavailable, get_engine, short_error
from domain.city_time import utc_now

log = logging.getLogger(__name__)

KEY_PREFIX = "ioc:rate:"
REDIS_TIMEOUT_S = 0.5
PURGE_CHANCE = 0.01  # about one hit in a hundred also deletes windows that ended an hour ago

_HIT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
"""
_REFUND = """
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Window:
    """A counter's state: hits in the current window and seconds until the window ends."""
    hits: int
    resets_in: float


# --- Redis -----------------------------------------------------------------------------------

_clients: dict[str, object] = {}
_clients_lock = threading.Lock()
_redis_quiet_until = 0.0


def _redis():
    url = settings.get("REDIS_URL").strip()
    if not url:
        return None
    with _clients_lock:
        if url not in _clients:
            import redis

            _clients[url] = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S,
                                                 socket_connect_timeout=REDIS_TIMEOUT_S)
        return _clients[url]


def _redis_failed(exc: Exception) -> None:
    global _redis_quiet_until
    if time.monotonic() >= _redis_quiet_until:
        log.warning("Redis unavailable for shared counters (%s); counting in the IOC database", exc)
        _redis_quiet_until = time.monotonic() + 60


def _with_redis(action, fallback):
    client = _redis()
    if client is None:
        return fallback()
    try:
        return action(client)
    except Exception as exc:  # noqa: BLE001 - any Redis failure: the database counts instead
        _redis_failed(exc)
        return fallback()


def _redis_window(hits, ttl_ms) -> Window:
    return Window(int(hits), max(0.0, int(ttl_ms) / 1000))


# --- database --------------------------------------------------------------------------------

def _engine():
    return get_engine("ioc", writable=True)


def _db(action):
    get_engine("ioc")  # a missing database says so (and how to make it), and is not created here
    try:
        with _engine().begin() as connection:
            return action(connection)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"IOC database cannot count login attempts ({short_error(exc)}); "
                                  "run `python manage.py migrate`", transient=True) from exc


def _resets_in(ends: datetime | None, now: datetime) -> float:
    return max(0.0, (ends - now).total_seconds()) if ends is not None else 0.0


def _db_hit(key: str, window_s: float) -> Window:
    table = m.RateCounter.__table__
    now = utc_now()
    ends = literal(now + timedelta(seconds=window_s), m.UtcDateTime())
    ended = table.c.window_ends <= now

    def run(connection) -> Window:
        insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        statement = insert(table).values(key=key, hits=1, window_ends=now + timedelta(seconds=window_s))
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"hits": case((ended, 1), else_=table.c.hits + 1),
                  "window_ends": case((ended, ends), else_=table.c.window_ends)},
        ).returning(table.c.hits, table.c.window_ends)
        hits, window_ends = connection.execute(statement).one()
        if random.random() < PURGE_CHANCE:
            connection.execute(delete(table).where(table.c.window_ends < now - timedelta(hours=1)))
        # a parallel hit that read the clock before this one may have opened the window later
        return Window(int(hits), min(window_s, _resets_in(window_ends, now)))
    return _db(run)


# --- the counters ----------------------------------------------------------------------------

def hit(key: str, window_s: float) -> Window:
    """Count one hit of `key` and return the window as it is now (this hit included)."""
    def redis_hit(client) -> Window:
        return _redis_window(*client.eval(_HIT, 1, KEY_PREFIX + key, int(window_s * 1000)))
    return _with_redis(redis_hit, lambda: _db_hit(key, window_s))


def refund(key: str) -> None:
    """Give one hit back (a login that succeeded is not an attempt to hold against anyone)."""
    table = m.RateCounter.__table__
    _with_redis(lambda client: client.eval(_REFUND, 1, KEY_PREFIX + key),
                lambda: _db(lambda c: c.execute(update(table).where(table.c.key == key, table.c.hits > 0)
                                                .values(hits=table.c.hits - 1))))


def extend(key: str, window_s: float) -> None:
    """Make the current window of `key` end `window_s` seconds from now."""
    table = m.RateCounter.__table__
    _with_redis(lambda client: client.pexpire(KEY_PREFIX + key, int(window_s * 1000)),
                lambda: _db(lambda c: c.execute(update(table).where(table.c.key == key)
                                                .values(window_ends=utc_now() + timedelta(seconds=window_s)))))


def peek(key: str) -> Window:
    """The window of `key` without counting a hit."""
    table = m.RateCounter.__table__

    def redis_peek(client) -> Window:
        hits = client.get(KEY_PREFIX + key)
        return _redis_window(hits or 0, client.pttl(KEY_PREFIX + key)) if hits else Window(0, 0.0)

    def db_peek(connection) -> Window:
        now = utc_now()
        row = connection.execute(select(table.c.hits, table.c.window_ends).where(table.c.key == key)).first()
        if row is None or row.window_ends <= now:
            return Window(0, 0.0)
        return Window(int(row.hits), _resets_in(row.window_ends, now))
    return _with_redis(redis_peek, lambda: _db(db_peek))


def clear(key: str) -> None:
    """Forget the counter of `key` (an admin unlocked the account, a test starts clean)."""
    table = m.RateCounter.__table__
    _with_redis(lambda client: client.delete(KEY_PREFIX + key),
                lambda: _db(lambda c: c.execute(delete(table).where(table.c.key == key))))
