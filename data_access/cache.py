"""Caching at the data-access edge.

Results are keyed by function name and arguments (callers pass city, period,
language and role as arguments, so they are part of the key). Fail-open: a
cache error is logged and the query runs. In-process by default; a shared
backend (Redis) can be set with `configure`.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import pickle
from typing import Any, Callable

from cachelib import BaseCache, SimpleCache

import settings

log = logging.getLogger(__name__)
_backend: BaseCache = SimpleCache(threshold=2000)


_scope: Callable[[], str] = lambda: ""


def configure(backend: BaseCache) -> None:
    global _backend
    _backend = backend


def backend() -> BaseCache:
    """The cache backend itself, for counters that are not query results."""
    return _backend


def set_scope(provider: Callable[[], str]) -> None:
    """What else every key depends on: the security layer passes the session's role."""
    global _scope
    _scope = provider


def clear() -> None:
    _backend.clear()


def _key(name: str, args: tuple, kwargs: dict) -> str:
    raw = pickle.dumps((name, _scope(), args, sorted(kwargs.items())))
    return f"ioc:{name}:{hashlib.sha256(raw).hexdigest()[:32]}"


def cached(ttl: int | None = None) -> Callable:
    """Memoise a data-access function for `ttl` seconds (default CACHE_TTL)."""
    def decorate(function: Callable) -> Callable:
        name = f"{function.__module__}.{function.__qualname__}"

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = _key(name, args, kwargs)
            try:
                hit = _backend.get(key)
            except Exception as exc:  # noqa: BLE001 - any cache backend failure must fail open
                log.warning("cache read failed for %s: %s", name, exc)
                hit = None
            if hit is not None:
                return hit
            value = function(*args, **kwargs)
            try:
                _backend.set(key, value, timeout=ttl if ttl is not None else settings.get_int("CACHE_TTL"))
            except Exception as exc:  # noqa: BLE001 - see above
                log.warning("cache write failed for %s: %s", name, exc)
            return value

        wrapper.uncached = function
        return wrapper
    return decorate
