"""The shared cache: keys by role, one computation per key under a stampede, the last
good value served (marked stale) while the database is down, fail-open without Redis."""
from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest

from data_access import cache
from data_access.db import DatabaseUnavailable

REDIS_TEST_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["local", "redis"])
def backend(request, monkeypatch):
    """Each test runs on the in-process cache and on Redis (own key prefix, removed afterwards)."""
    if request.param == "redis":
        if not _redis_reachable():
            from tests.conftest import in_ci

            if in_ci():
                pytest.fail(f"Redis not reachable at {REDIS_TEST_URL} (CI must run the Redis tests)")
            pytest.skip(f"Redis not reachable at {REDIS_TEST_URL}")
        monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
        prefix = f"ioc-test-{uuid.uuid4().hex[:10]}:"
        monkeypatch.setattr(cache, "_key_prefix", prefix)
    else:
        monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setattr(cache, "_redis_down_until", 0.0)
    cache.clear()
    cache.begin_request()
    yield request.param
    cache.clear()
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_TEST_URL)
        leftovers = list(client.scan_iter(match=cache._key_prefix + "*"))
        assert leftovers == [], leftovers
    cache.begin_request()


class Calls:
    """A data-access stand-in that counts its computations."""

    def __init__(self, delay: float = 0.0):
        self.count = 0
        self.delay = delay
        self.fail = None
        self.lock = threading.Lock()

    def __call__(self, city: str, period: str):
        with self.lock:
            self.count += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return {"city": city, "period": period, "computed": self.count}


def _decorated(calls: Calls, ttl: int | None = None):
    def panel(city: str, period: str):
        return calls(city, period)
    panel.__qualname__ = f"panel_{uuid.uuid4().hex[:8]}"  # a fresh key space per test
    return cache.cached(ttl)(panel)


def test_hit_after_miss_and_keys_by_arguments(backend):
    calls = Calls()
    panel = _decorated(calls)
    assert panel("thanh-hoa", "2022") == panel("thanh-hoa", "2022")
    assert calls.count == 1
    panel("thanh-hoa", "2023")
    panel("nam-dinh", "2022")
    assert calls.count == 3
    assert panel.uncached("thanh-hoa", "2022")["computed"] == 4


def test_keys_differ_by_role(backend, monkeypatch):
    calls = Calls()
    role = {"now": "anonymous"}
    monkeypatch.setattr(cache, "_scope", lambda: role["now"])

    def answer(city: str) -> str:
        calls(city, "")
        return f"{role['now']} view of {city}"
    answer.__qualname__ = f"answer_{uuid.uuid4().hex[:8]}"
    answer = cache.cached()(answer)
    role["now"] = "staff"
    assert answer("thanh-hoa") == "staff view of thanh-hoa"
    role["now"] = "anonymous"
    assert answer("thanh-hoa") == "anonymous view of thanh-hoa"
    role["now"] = "public"
    assert answer("thanh-hoa") == "public view of thanh-hoa"
    assert calls.count == 3

def test_a_shared_function_has_one_value_for_every_role(backend, monkeypatch):
    """Declared shared: computed once whoever asks first, warm-up (no request) included."""
    calls = Calls()
    role = {"now": ""}
    monkeypatch.setattr(cache, "_scope", lambda: role["now"])

    def layer(city: str) -> str:
        calls(city, "")
        return f"points of {city}"
    layer.__qualname__ = f"layer_{uuid.uuid4().hex[:8]}"
    layer = cache.cached(shared=True)(layer)
    for role["now"] in ("", "staff", "leader", "admin"):
        assert layer("thanh-hoa") == "points of thanh-hoa"
    assert calls.count == 1
    layer("nam-dinh")
    assert calls.count == 2



def test_warm_computes_only_what_is_missing_and_reads_nothing(backend, monkeypatch):
    calls = Calls()
    panel = _decorated(calls)
    store = cache._store()
    reads = []
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda key: reads.append(key) or real_get(key))
    assert panel.warm("thanh-hoa", "2022") is True
    assert calls.count == 1
    reads.clear()
    assert panel.warm("thanh-hoa", "2022") is False
    assert calls.count == 1 and reads == []  # a look, not a read of the value
    assert panel("thanh-hoa", "2022")["computed"] == 1  # what warm made is what callers get


def test_the_request_role_is_part_of_the_key():
    """The security layer's scope: a public request and a staff request make different keys."""
    from flask import g

    from app import server
    from security.policy import ANONYMOUS
    from security.session import Identity

    keys = {}
    for role in (ANONYMOUS, "public", "staff", "leader", "admin"):
        with server.test_request_context("/"):
            g.identity = Identity("someone", role) if role != ANONYMOUS else None
            keys[role] = cache._key("data_access.kpi.compute_kpis", ("thanh-hoa", "2022"), {})
    assert len(set(keys.values())) == len(keys)


@pytest.mark.parametrize("redis_lock_only", [False, True])
def test_stampede_of_100_misses_makes_one_computation(backend, monkeypatch, redis_lock_only):
    if redis_lock_only:
        if backend != "redis":
            pytest.skip("the cross-process lock is Redis's")
        # Every thread behaves like a separate worker process: no shared in-process lock.
        monkeypatch.setattr(cache, "_lock_for", lambda key: threading.Lock())
    calls = Calls(delay=0.3)
    panel = _decorated(calls)
    start = threading.Barrier(100)
    results, errors = [], []

    def screen():
        start.wait()
        try:
            results.append(panel("thanh-hoa", "2022"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=screen) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(results) == 100
    assert calls.count == 1
    assert all(result == results[0] for result in results)


def test_stale_value_served_while_the_database_is_down_then_fresh_again(backend, monkeypatch):
    monkeypatch.setattr(cache, "OUTAGE_HOLD_S", 60.0)
    calls = Calls()
    panel = _decorated(calls, ttl=1)
    first = panel("thanh-hoa", "2022")
    assert not cache.served_stale()
    time.sleep(1.1)  # the fresh copy expires; the last good copy stays
    calls.fail = DatabaseUnavailable("KPI database cannot be read: connection refused", transient=False)
    assert panel("thanh-hoa", "2022") == first
    assert cache.served_stale()
    assert calls.count == 2
    panel("thanh-hoa", "2022")
    assert calls.count == 2  # during the outage hold the database is not asked again
    cache.begin_request()  # next request: the flag starts clear
    assert not cache.served_stale()
    calls.fail = None
    monkeypatch.setattr(cache, "OUTAGE_HOLD_S", 0.0)
    cache._failed_until.clear()
    fresh = panel("thanh-hoa", "2022")
    assert fresh["computed"] == 3 and not cache.served_stale()


def test_outage_without_a_last_good_value_raises(backend):
    calls = Calls()
    calls.fail = DatabaseUnavailable("IOC database cannot be read", transient=False)
    panel = _decorated(calls)
    with pytest.raises(DatabaseUnavailable):
        panel("thanh-hoa", "2022")
    assert not cache.served_stale()


def test_transient_failures_are_retried_and_query_errors_are_not(backend, monkeypatch):
    monkeypatch.setenv("DB_READ_RETRIES", "2")
    lost = Calls()
    lost.fail = DatabaseUnavailable("connection lost", transient=True)
    with pytest.raises(DatabaseUnavailable):
        _decorated(lost)("thanh-hoa", "2022")
    assert lost.count == 3
    bad_query = Calls()
    bad_query.fail = DatabaseUnavailable("statement timeout", transient=False)
    with pytest.raises(DatabaseUnavailable):
        _decorated(bad_query)("thanh-hoa", "2022")
    assert bad_query.count == 1


def test_redis_down_fails_open_to_the_in_process_cache(monkeypatch, caplog):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setattr(cache, "_redis_down_until", 0.0)
    cache.clear()
    calls = Calls()
    panel = _decorated(calls)
    with caplog.at_level(logging.WARNING, logger="data_access.cache"):
        started = time.perf_counter()
        assert panel("thanh-hoa", "2022")["computed"] == 1
        assert panel("thanh-hoa", "2022")["computed"] == 1  # cached in-process meanwhile
        elapsed = time.perf_counter() - started
    assert calls.count == 1
    assert elapsed < 2.0
    warnings = [r for r in caplog.records if "Redis cache unavailable" in r.getMessage()]
    assert len(warnings) == 1
    plain = cache.backend()
    plain.set("login-attempts:203.0.113.9", 3, timeout=60)
    assert plain.get("login-attempts:203.0.113.9") == 3
    monkeypatch.setattr(cache, "_redis_down_until", 0.0)
    cache.clear()


def test_plain_counters_are_shared_through_redis(backend):
    plain = cache.backend()
    plain.set("login-attempts:198.51.100.7", 4, timeout=60)
    assert plain.get("login-attempts:198.51.100.7") == 4
    if backend == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_TEST_URL)
        assert client.exists(cache._key_prefix + "c:login-attempts:198.51.100.7")


def test_api_answers_with_stale_data_marked_while_the_database_is_gone(client_as, demo_urls, monkeypatch,
                                                                     tmp_path):
    """End to end on the app: expire the fresh copies, take the databases away, ask again."""
    import os

    from data_access import db

    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("CACHE_TTL", "1")
    monkeypatch.setattr(cache, "OUTAGE_HOLD_S", 0.0)
    client = client_as(None)
    url = "/api/v1/public/kpi?city=thanh-hoa&year=2022"
    first = client.get(url)
    assert first.status_code == 200 and "X-IOC-Stale" not in first.headers
    time.sleep(1.1)
    os.environ["IOC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gone-ioc.db'}"
    os.environ["KPI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gone-kpi.db'}"
    db.reset_engines()
    during = client.get(url)
    assert during.status_code == 200, during.get_data(as_text=True)
    assert during.headers.get("X-IOC-Stale") == "1"
    assert during.get_json() == first.get_json()
    os.environ["IOC_DATABASE_URL"], os.environ["KPI_DATABASE_URL"] = demo_urls
    db.reset_engines()
    time.sleep(1.1)
    after = client.get(url)
    assert after.status_code == 200 and "X-IOC-Stale" not in after.headers
    cache.clear()


@pytest.fixture
def fresh_generation():
    """Start without a generation seen (an earlier test may have found no database to read it from)."""
    cache._generation.update(value=None, checked=float("-inf"))
    yield
    cache._generation.update(value=None, checked=float("-inf"))


def test_an_import_in_another_worker_reaches_this_ones_cache_without_redis(private_demo, fresh_generation,
                                                                           monkeypatch):
    """Without Redis each worker caches in its own memory; an applied import elsewhere bumps the
    generation in the database, and this worker drops its fresh values within
    CACHE_GENERATION_CHECK_S (it served the old value for CACHE_TTL, 300 s, before)."""
    from loaders.apply import bump_cache_generation

    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("CACHE_TTL", "300")
    monkeypatch.setenv("CACHE_GENERATION_CHECK_S", "1")
    cache.clear()
    stored = {"value": "before"}

    def figure(city: str) -> str:
        return stored["value"]
    figure.__qualname__ = f"figure_{uuid.uuid4().hex[:8]}"
    figure = cache.cached()(figure)
    assert figure("thanh-hoa") == "before"
    stored["value"] = "after"  # another worker's import committed new data...
    bump_cache_generation()    # ...and bumped the generation; this process's cache was not touched
    assert figure("thanh-hoa") == "before"  # at most CACHE_GENERATION_CHECK_S old
    time.sleep(1.1)
    assert figure("thanh-hoa") == "after"
    cache.clear()


def test_the_generation_check_keeps_the_last_good_copies_and_fails_open(private_demo, fresh_generation,
                                                                       monkeypatch, tmp_path):
    from data_access import db
    from loaders.apply import bump_cache_generation

    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("CACHE_GENERATION_CHECK_S", "0")
    cache.clear()
    bump_cache_generation()
    cache.check_generation()
    cache._local.set("k", "v", 60, 600)
    cache.check_generation()
    assert cache._local.get("v:k") == (True, "v")  # nothing moved since the last look
    bump_cache_generation()
    cache.check_generation()
    assert cache._local.get("v:k") == (False, None) and cache._local.get("s:k") == (True, "v")
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    db.reset_engines()
    cache.check_generation()  # an unreadable database: nothing dropped, nothing raised
    assert cache._generation["checked"] > time.monotonic() + 20  # and not asked again at once
    cache.clear()


def test_an_applied_import_bumps_the_generation(private_demo):
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect
    from loaders.kpi_import import import_observations

    def generation() -> int:
        with connect("ioc") as connection:
            return connection.execute(select(m.CacheGeneration.value)).scalar() or 0

    before = generation()
    content = "indicator_code,period,value\ninfra.fibre_km,2023,1234\n".encode()
    assert import_observations(content, "g.csv", city="thanh-hoa", dry_run=True).applied is False
    assert generation() == before
    assert import_observations(content, "g.csv", city="thanh-hoa").applied
    assert generation() == before + 1


def _exit_code_of_forked(work, timeout: float = 10.0) -> int | None:
    """Run `work` in a forked child; its exit code (0 when it returned), or None when it still
    waited after `timeout` seconds (then it is killed)."""
    import os
    import signal

    pid = os.fork()
    if pid == 0:
        try:
            work()
        except BaseException:  # noqa: BLE001 - the child reports by its exit code, never returns to pytest
            os._exit(1)
        os._exit(0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_forked_job_does_not_wait_on_a_key_another_thread_was_computing(monkeypatch):
    """An export job is forked from a worker whose other threads may be computing (a page, the
    warm-up): the child has none of those threads, so it computes the value itself."""
    from data_access import db

    monkeypatch.setenv("REDIS_URL", "")
    cache.clear()
    computing, release = threading.Event(), threading.Event()

    def slow(city: str, period: str):
        if threading.current_thread() is not threading.main_thread():
            computing.set()
            release.wait(30)
        return city, period
    slow.__qualname__ = f"slow_{uuid.uuid4().hex[:8]}"
    panel = cache.cached()(slow)
    holder = threading.Thread(target=panel, args=("thanh-hoa", "2022"))
    holder.start()
    held = [cache._store_lock, cache._generation_lock, cache._key_locks_guard, db._lock]
    for lock in held:
        lock.acquire()
    try:
        assert computing.wait(10)

        def job():
            assert panel("thanh-hoa", "2022") == ("thanh-hoa", "2022")
            db.forget_engines_after_fork()
            cache.check_generation()
        assert _exit_code_of_forked(job) == 0
    finally:
        for lock in held:
            lock.release()
        release.set()
        holder.join(30)
        cache.clear()
