"""Caching at the data-access edge, shared by every worker when Redis is configured.

`@cached(ttl)` memoises a read-only data-access function. The key is the function,
its arguments (city, period, ward, language... whatever the function takes) and the
scope the security layer sets: the role of the request, so a public screen never gets
an answer computed for staff. A function declared `shared` (its answer is the same for every
role, its callers check access first) has one value for all.

- Backend: Redis when REDIS_URL is set (one copy for all workers and hosts), else an
  in-process cache. Fail-open: when Redis errs, it is left alone for a few seconds
  (logged once) and the in-process cache stands in; the query always runs.
- Single flight: when many screens miss the same key at once, one computes. Threads
  of a process queue on an in-process lock; processes take a Redis lock
  (SET NX PX) and the others poll for the value it writes.
- Stale on outage: each result is also kept as "last good" for CACHE_STALE_TTL. When
  the computation raises DatabaseUnavailable, that copy is returned instead and
  `served_stale()` is True until the next request begins (pages show a banner; the
  response carries `X-IOC-Stale: 1`). For a few seconds after a failure the key is
  answered from the stale copy without asking the database again.
- Reads whose connection is lost are retried with backoff (`db.read_with_retries`).
- Freshness across workers without Redis: every applied import bumps a generation counter
  in the IOC database (`loaders.apply`, table `cache_generation`); each process reads it at
  most every CACHE_GENERATION_CHECK_S seconds and, when it changed, drops the fresh values of
  its in-process cache (the last good copies stay, for outages). So after an import every
  worker serves the new data within seconds, not after CACHE_TTL.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import random
import threading
import time
import uuid
import weakref
from typing import Any, Callable

from cachelib import BaseCache, SimpleCache
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

import settings
from data_access import request_state
from data_access.db import DatabaseUnavailable, get_engine, read_with_retries
from data_access.models import CacheGeneration

log = logging.getLogger(__name__)

REDIS_RETRY_S = 5.0        # after a Redis error, use the in-process cache this long
OUTAGE_HOLD_S = 5.0        # after a database failure, serve the stale copy this long without asking
LOCK_POLL_S = 0.02         # how often a waiting process looks for the value another one computes
REDIS_SOCKET_TIMEOUT_S = 0.5

LOOKUPS = Counter("ioc_cache_lookups", "Cached data-access calls by result.", ["result"])
# result: hit, miss (computed), stale (last good value served), error (computed, no value to serve)

_scope: Callable[[], str] = lambda: ""


def set_scope(provider: Callable[[], str]) -> None:
    """What else every key depends on: the security layer passes the session's role."""
    global _scope
    _scope = provider


def served_stale() -> bool:
    """True when a cached call in this request answered with a stale value (database down)."""
    return request_state.noted("stale")


def begin_request() -> None:
    """Forget the flags of the previous request served by this thread (serving calls it)."""
    request_state.begin()


# --- stores ----------------------------------------------------------------------------------

class _LocalStore:
    """One process's cache; values are pickled copies, so callers cannot mutate them. Fresh
    values ("v:" keys) and last good copies ("s:" keys) are kept apart, so that an import can
    drop the first and keep the second."""

    def __init__(self) -> None:
        self.fresh = SimpleCache(threshold=5000)
        self.last_good = SimpleCache(threshold=5000)

    def _part(self, key: str) -> SimpleCache:
        return self.last_good if key.startswith("s:") else self.fresh

    def get(self, key: str) -> tuple[bool, Any]:
        envelope = self._part(key).get(key)
        return (True, envelope[0]) if envelope is not None else (False, None)

    def has(self, key: str) -> bool:
        return self._part(key).has(key)

    def set(self, key: str, value: Any, ttl: int, stale_ttl: int) -> None:
        self.fresh.set("v:" + key, (value,), timeout=ttl)
        self.last_good.set("s:" + key, (value,), timeout=stale_ttl)

    def drop_fresh(self) -> None:
        self.fresh.clear()

    def acquire(self, key: str, ttl_ms: int) -> str | None:
        return "local"  # the in-process lock, already held, is the only one needed

    def release(self, key: str, token: str) -> None:
        pass

    def clear(self) -> None:
        self.fresh.clear()
        self.last_good.clear()


_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"""


class _RedisStore:
    """The cache in Redis, under `prefix`: v:<key> value, s:<key> last good, l:<key> lock."""

    def __init__(self, client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._release = client.register_script(_RELEASE)

    def get(self, key: str) -> tuple[bool, Any]:
        raw = self.client.get(self.prefix + key)
        return (True, pickle.loads(raw)) if raw is not None else (False, None)

    def has(self, key: str) -> bool:
        return bool(self.client.exists(self.prefix + key))

    def set(self, key: str, value: Any, ttl: int, stale_ttl: int) -> None:
        raw = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(self.prefix + "v:" + key, raw, ex=max(1, ttl))
            pipe.set(self.prefix + "s:" + key, raw, ex=max(1, stale_ttl))
            pipe.execute()

    def acquire(self, key: str, ttl_ms: int) -> str | None:
        token = uuid.uuid4().hex
        return token if self.client.set(self.prefix + "l:" + key, token, nx=True, px=ttl_ms) else None

    def release(self, key: str, token: str) -> None:
        self._release(keys=[self.prefix + "l:" + key], args=[token])

    def clear(self) -> None:
        batch = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        for start in range(0, len(batch), 1000):
            self.client.delete(*batch[start:start + 1000])


_local = _LocalStore()
_redis: dict[tuple[str, str], _RedisStore] = {}
_redis_down_until = 0.0
_store_lock = threading.Lock()
_key_prefix = "ioc:"


def set_key_prefix(prefix: str) -> None:
    """Namespace of this app's Redis keys (tests use a unique one)."""
    global _key_prefix
    _key_prefix = prefix


def _redis_store() -> _RedisStore | None:
    url = settings.get("REDIS_URL").strip()
    if not url or time.monotonic() < _redis_down_until:
        return None
    key = (url, _key_prefix)
    with _store_lock:
        if key not in _redis:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=REDIS_SOCKET_TIMEOUT_S,
                                          socket_connect_timeout=REDIS_SOCKET_TIMEOUT_S, health_check_interval=30)
            _redis[key] = _RedisStore(client, _key_prefix)
        return _redis[key]


def _redis_failed(exc: Exception, doing: str) -> None:
    """Fail open: log (once per outage) and use the in-process cache for a while."""
    global _redis_down_until
    if time.monotonic() >= _redis_down_until:
        log.warning("Redis cache unavailable while %s (%s); using the in-process cache for %.0f s",
                    doing, exc, REDIS_RETRY_S)
    _redis_down_until = time.monotonic() + REDIS_RETRY_S


def _store():
    return _redis_store() or _local


def _safe(store, doing: str, action: Callable[[], Any], default: Any = None) -> Any:
    """Run a store operation; a failing Redis is logged and treated as a miss."""
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - any cache failure must fail open, whatever the client raises
        if store is _local:
            log.warning("in-process cache failed while %s: %s", doing, exc)
        else:
            _redis_failed(exc, doing)
        return default


def clear() -> None:
    """Forget every cached value (in this process, and in Redis when configured)."""
    _local.clear()
    _plain.clear()
    _failed_until.clear()
    store = _redis_store()
    if store is not None:
        _safe(store, "clearing", store.clear)


# --- freshness across workers ---------------------------------------------------------------

GENERATION_NAME = "data"  # the row `loaders.apply` bumps after every applied import
GENERATION_RETRY_S = 30.0  # after the generation could not be read, the next try
_generation: dict[str, Any] = {"value": None, "checked": float("-inf")}
_generation_lock = threading.Lock()


def _read_generation() -> int | None:
    """The generation in the IOC database; None when it cannot be read (fail open: keep serving)."""
    try:
        with get_engine("ioc").connect() as connection:
            value = connection.execute(select(CacheGeneration.value)
                                       .where(CacheGeneration.name == GENERATION_NAME)).scalar()
    except (SQLAlchemyError, DatabaseUnavailable) as exc:
        log.debug("cache generation not readable: %s", exc)
        return None
    return int(value or 0)


def check_generation() -> None:
    """Drop this process's fresh values when another process (or this one) applied an import
    since the last look; reads the database at most every CACHE_GENERATION_CHECK_S seconds."""
    interval = settings.get_int("CACHE_GENERATION_CHECK_S")
    if time.monotonic() - _generation["checked"] < interval:
        return
    with _generation_lock:
        if time.monotonic() - _generation["checked"] < interval:
            return
        value = _read_generation()
        _generation["checked"] = time.monotonic()
        if value is None:  # the database is down: do not wait on it again for a while
            _generation["checked"] += GENERATION_RETRY_S
            return
        if _generation["value"] is not None and value != _generation["value"]:
            _local.drop_fresh()
            log.info("data changed (generation %s → %s): in-process cache dropped", _generation["value"], value)
        _generation["value"] = value


# --- the decorator ---------------------------------------------------------------------------

_key_locks: "weakref.WeakValueDictionary[str, threading.Lock]" = weakref.WeakValueDictionary()
_key_locks_guard = threading.Lock()
_failed_until: dict[str, float] = {}


def _fresh_locks_in_child() -> None:
    """A forked child (an export job) keeps only the thread that forked: a lock another thread held
    at that moment (a page computing a key, the warm-up thread) would stay held for ever there, and
    the job would wait on it. The child starts with its own locks."""
    global _store_lock, _generation_lock, _key_locks, _key_locks_guard
    _store_lock, _generation_lock, _key_locks_guard = threading.Lock(), threading.Lock(), threading.Lock()
    _key_locks = weakref.WeakValueDictionary()


os.register_at_fork(after_in_child=_fresh_locks_in_child)


def _lock_for(key: str) -> threading.Lock:
    with _key_locks_guard:
        lock = _key_locks.get(key)
        if lock is None:
            lock = threading.Lock()
            _key_locks[key] = lock
        return lock


def _key(name: str, args: tuple, kwargs: dict, shared: bool = False) -> str:
    raw = pickle.dumps((name, "" if shared else _scope(), args, sorted(kwargs.items())), protocol=4)
    return f"{name}:{hashlib.sha256(raw).hexdigest()[:32]}"


def _lookup(store, key: str) -> tuple[bool, Any]:
    return _safe(store, "reading", lambda: store.get("v:" + key), (False, None))


def _lock_ttl_ms() -> int:
    """A computing process that dies frees its lock after the longest query plus a margin."""
    return settings.get_int("QUERY_TIMEOUT_MS") + 5000


def cached(ttl: int | None = None, shared: bool = False) -> Callable:
    """Memoise a read-only data-access function for `ttl` seconds (default CACHE_TTL).

    `shared`: one value for every role, for a function whose answer does not depend on who asks
    and whose callers check access first (the map's packed layers: computed once, warmed ahead)."""
    def decorate(function: Callable) -> Callable:
        name = f"{function.__module__}.{function.__qualname__}"

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if settings.get("CACHE_ENABLED").strip() == "0":
                return read_with_retries(function, *args, **kwargs)
            check_generation()
            key = _key(name, args, kwargs, shared)
            store = _store()
            found, value = _lookup(store, key)
            if found:
                LOOKUPS.labels("hit").inc()
                return value
            with _lock_for(key):
                return _fill(store, key, name, ttl, function, args, kwargs)

        def warm(*args: Any, **kwargs: Any) -> bool:
            """Compute the value unless a fresh one is stored, without fetching it (a warm-up's
            look at a megabyte-sized value costs one EXISTS); True when it computed."""
            if settings.get("CACHE_ENABLED").strip() == "0":
                return False
            check_generation()
            store = _store()
            if _safe(store, "reading", lambda: store.has("v:" + _key(name, args, kwargs, shared)), False):
                return False
            wrapper(*args, **kwargs)
            return True

        wrapper.uncached = function
        wrapper.warm = warm
        return wrapper
    return decorate


def _fill(store, key: str, name: str, ttl: int | None, function: Callable, args: tuple, kwargs: dict) -> Any:
    """Compute the value once for everyone waiting on this key (this thread holds the key's lock)."""
    deadline = time.monotonic() + _lock_ttl_ms() / 1000
    while True:
        found, value = _lookup(store, key)
        if found:
            LOOKUPS.labels("hit").inc()
            return value
        if time.monotonic() < _failed_until.get(key, 0.0):
            return _stale_or_raise(store, key, name, None)
        token = _safe(store, "locking", lambda: store.acquire(key, _lock_ttl_ms()), "unlocked")
        if token is not None:
            # The holder before us may have written the value between our read and our lock.
            found, value = _lookup(store, key) if store is not _local else (False, None)
            if found:
                _safe(store, "unlocking", lambda: store.release(key, token))
                LOOKUPS.labels("hit").inc()
                return value
            break
        if time.monotonic() > deadline:
            break
        # Another process is computing it: wait for its value (or for its lock to go).
        time.sleep(LOCK_POLL_S * random.uniform(0.5, 1.5))
    try:
        value = read_with_retries(function, *args, **kwargs)
        _failed_until.pop(key, None)
        LOOKUPS.labels("miss").inc()
        ttl_s = ttl if ttl is not None else settings.get_int("CACHE_TTL")
        stale_ttl_s = max(ttl_s, settings.get_int("CACHE_STALE_TTL"))
        # Written before the lock goes, so that whoever takes the lock next finds it.
        _safe(store, "writing", lambda: store.set(key, value, ttl_s, stale_ttl_s))
        return value
    except DatabaseUnavailable as exc:
        _failed_until[key] = time.monotonic() + OUTAGE_HOLD_S
        return _stale_or_raise(store, key, name, exc)
    finally:
        if token not in (None, "unlocked"):
            _safe(store, "unlocking", lambda: store.release(key, token))


def _stale_or_raise(store, key: str, name: str, exc: DatabaseUnavailable | None) -> Any:
    found, value = _safe(store, "reading", lambda: store.get("s:" + key), (False, None))
    if not found and store is not _local:
        found, value = _local.get("s:" + key)
    if found:
        LOOKUPS.labels("stale").inc()
        request_state.note("stale")
        log.warning("serving the last good value of %s: database unavailable", name)
        return value
    LOOKUPS.labels("error").inc()
    if exc is None:
        raise DatabaseUnavailable(f"{name}: database unavailable a moment ago; trying again shortly",
                                  transient=True)
    raise exc


# --- a plain key-value cache for counters that are not query results ------------------------

class _FailOpenCache(BaseCache):
    """cachelib interface over Redis (shared counters such as login attempts per address),
    falling back to the in-process cache when Redis errs."""

    def __init__(self) -> None:
        super().__init__()
        self.fallback = SimpleCache(threshold=5000)

    def _target(self):
        store = _redis_store()
        if store is None:
            return None, self.fallback
        from cachelib import RedisCache

        return store, RedisCache(host=store.client, key_prefix=store.prefix + "c:")

    def _call(self, method: str, *args, default=None, **kwargs):
        store, target = self._target()
        if store is None:
            return getattr(target, method)(*args, **kwargs)
        try:
            return getattr(target, method)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - fail open, see _safe
            _redis_failed(exc, f"cache {method}")
            return getattr(self.fallback, method)(*args, **kwargs)

    def get(self, key):
        return self._call("get", key)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout=timeout)

    def add(self, key, value, timeout=None):
        return self._call("add", key, value, timeout=timeout)

    def delete(self, key):
        return self._call("delete", key)

    def has(self, key):
        return self._call("has", key)

    def clear(self):
        self.fallback.clear()
        return True


_plain = _FailOpenCache()


def backend() -> BaseCache:
    """A plain cachelib cache (shared through Redis when configured), for counters that are not
    query results, such as login attempts per address."""
    return _plain
