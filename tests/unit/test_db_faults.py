"""Database faults: on PostgreSQL, connections terminated by the server are replaced
without a restart, a read whose connection is lost mid-way is retried, a statement
timeout is not, and the cache answers with the last good value meanwhile; on SQLite,
a writer never waits for a page read."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import text

from data_access import cache, db
from tests.conftest import _postgres_admin, use_databases


@pytest.fixture
def pg(postgres_urls, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    use_databases(*postgres_urls)
    admin = _postgres_admin()
    yield admin, postgres_urls[0].rsplit("/", 1)[1]
    admin.execute(text_sql("ALTER DATABASE {} ALLOW_CONNECTIONS true", postgres_urls[0].rsplit("/", 1)[1]))
    admin.close()
    db.reset_engines()
    cache.clear()


def text_sql(template: str, name: str):
    from psycopg import sql

    return sql.SQL(template).format(sql.Identifier(name))


def terminate_connections(admin, database: str) -> int:
    rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
    return len(rows)


def backend_pid() -> int:
    with db.connect("ioc") as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_recovers_after_the_server_terminates_every_connection(pg):
    admin, database = pg
    first = backend_pid()
    assert terminate_connections(admin, database) >= 1
    second = backend_pid()  # same engine, no restart: the pool's pre-ping replaced the dead connection
    assert second != first


def test_a_read_that_loses_its_connection_mid_query_is_retried(pg, monkeypatch):
    admin, database = pg
    monkeypatch.setenv("DB_READ_RETRIES", "2")
    attempts = []

    def slow_read() -> int:
        attempts.append(time.monotonic())
        with db.connect("ioc") as connection:
            return connection.execute(text("SELECT 7 FROM pg_sleep(0.8)")).scalar_one()
    slow_read.__qualname__ = f"slow_read_{uuid.uuid4().hex[:8]}"
    cached_read = cache.cached()(slow_read)

    killer = threading.Timer(0.3, lambda: terminate_connections(admin, database))
    killer.start()
    assert cached_read() == 7
    killer.join()
    assert len(attempts) == 2


def test_a_statement_timeout_is_not_retried(pg, monkeypatch):
    monkeypatch.setenv("QUERY_TIMEOUT_MS", "200")
    monkeypatch.setenv("DB_READ_RETRIES", "2")
    db.reset_engines()
    attempts = []

    def too_slow() -> int:
        attempts.append(1)
        with db.connect("ioc") as connection:
            return connection.execute(text("SELECT 1 FROM pg_sleep(3)")).scalar_one()
    started = time.perf_counter()
    with pytest.raises(db.DatabaseUnavailable) as raised:
        db.read_with_retries(too_slow)
    assert not raised.value.transient
    assert "statement timeout" in str(raised.value)
    assert len(attempts) == 1 and time.perf_counter() - started < 2


def test_bulk_writers_run_without_the_dashboard_timeout(pg, monkeypatch):
    """A demo build, an import or a migration may run a statement longer than a page may."""
    monkeypatch.setenv("QUERY_TIMEOUT_MS", "200")
    db.reset_engines()
    with db.get_engine("ioc", writable=True).begin() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"
        assert connection.execute(text("SELECT 1 FROM pg_sleep(0.5)")).scalar_one() == 1
    with db.connect("ioc") as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"


def test_stale_while_the_database_refuses_connections_then_fresh(pg, monkeypatch):
    admin, database = pg
    monkeypatch.setenv("DB_READ_RETRIES", "1")
    monkeypatch.setattr(cache, "OUTAGE_HOLD_S", 0.0)
    counter = {"n": 0}

    def panel(city: str) -> dict:
        with db.connect("ioc") as connection:
            counter["n"] += 1
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            return {"city": city, "n": counter["n"], "pid": pid}
    panel.__qualname__ = f"panel_{uuid.uuid4().hex[:8]}"
    panel = cache.cached(ttl=1)(panel)
    cache.begin_request()
    good = panel("thanh-hoa")
    time.sleep(1.1)
    admin.execute(text_sql("ALTER DATABASE {} ALLOW_CONNECTIONS false", database))
    terminate_connections(admin, database)
    assert panel("thanh-hoa") == good
    assert cache.served_stale()
    admin.execute(text_sql("ALTER DATABASE {} ALLOW_CONNECTIONS true", database))
    cache.begin_request()
    fresh = panel("thanh-hoa")  # back without a restart
    assert fresh["n"] == good["n"] + 1 and not cache.served_stale()


def test_on_sqlite_a_write_commits_while_a_page_read_is_open(tmp_path):
    """A page's read left open (a cursor not yet drained) must not hold up a writer: in SQLite's
    default journal the commit waited for it and failed with "database is locked" (an export's
    audit line did, behind the page polling the export's progress)."""
    use_databases(f"sqlite:///{tmp_path / 'ioc.db'}", f"sqlite:///{tmp_path / 'kpi.db'}")
    try:
        writer = db.get_engine("ioc", writable=True)
        with writer.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE reading (value INTEGER)")
            connection.exec_driver_sql("INSERT INTO reading VALUES " + ",".join(["(1)"] * 500))
        with db.get_engine("ioc").connect() as page:
            rows = page.exec_driver_sql("SELECT value FROM reading")
            rows.fetchone()
            started = time.monotonic()
            with writer.begin() as connection:
                connection.exec_driver_sql("INSERT INTO reading VALUES (2)")
            waited = time.monotonic() - started
            assert len(rows.fetchall()) == 499, "the open read keeps the snapshot it started with"
        assert waited < 5, f"the commit waited {waited:.1f} s for a reader"
        with db.get_engine("ioc").connect() as page:
            assert page.exec_driver_sql("SELECT count(*) FROM reading").scalar() == 501
    finally:
        db.reset_engines()
