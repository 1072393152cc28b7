"""Shared fixtures: a calibrated demo database built once per test session,
the official data in ../shared/data, and PostgreSQL when it is reachable."""
from __future__ import annotations

import os
import uuid
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
DEMO_NOW = datetime(2026, 11, 20, 10, 0)
DEMO_SEED = 2022
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"official data folder {SHARED_DATA} not found (it sits beside the project)")
    return SHARED_DATA


def use_databases(ioc_url: str, kpi_url: str) -> None:
    """Point the app at these databases, forgetting cached engines and results."""
    from data_access import cache, db

    os.environ["IOC_DATABASE_URL"] = ioc_url
    os.environ["KPI_DATABASE_URL"] = kpi_url
    db.reset_engines()
    cache.clear()


def on_postgres() -> bool:
    """TEST_DB=postgres runs the suite's demo databases on PostgreSQL (`make test` does, for tests/unit)."""
    return os.environ.get("TEST_DB", "sqlite").strip().lower() in ("postgres", "postgresql")


# Tests that copy the SQLite demo files byte for byte (whole modules, or by the fixture that
# makes the copies) run in the SQLite pass only.
SQLITE_FILE_MODULES = ("test_kpi_import.py", "test_boundaries.py")
SQLITE_FILE_FIXTURES = frozenset({"scratch_db", "unchanging_db", "ioc_copy"})


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass runs only the tests that read or write the demo databases: every
    other test gives the same answer on either database and has run in the SQLite pass."""
    if not on_postgres():
        return
    skip = pytest.mark.skip(reason="copies the SQLite demo files; covered by the SQLite pass of `make test`")
    kept, dropped = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        (kept if "demo_urls" in fixtures else dropped).append(item)
        if item.path.name in SQLITE_FILE_MODULES or SQLITE_FILE_FIXTURES & fixtures:
            item.add_marker(skip)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def demo_urls(tmp_path_factory):
    """Databases with Thanh Hóa's demo data, built once: SQLite files, or with TEST_DB=postgres
    two fresh PostgreSQL databases, dropped at the end."""
    with ExitStack() as stack:
        if on_postgres():
            urls = stack.enter_context(scratch_postgres("demo"))
        else:
            folder = tmp_path_factory.mktemp("demo-db")
            urls = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
        use_databases(*urls)
        from demo.build import build_city

        build_city("thanh-hoa", seed=DEMO_SEED, now=DEMO_NOW)
        create_test_users()
        yield urls


def build_cities(folder: Path, cities: tuple[str, ...]) -> tuple[str, str]:
    """SQLite databases in `folder` with these cities' demo data, the app pointed at them: the URLs."""
    from demo.build import build_city

    urls = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    use_databases(*urls)
    for city in cities:
        build_city(city, seed=DEMO_SEED, now=DEMO_NOW)
    return urls


TEST_PASSWORD = "correct-horse-battery-staple"
TEST_USERS = {"admin": "t-admin", "leader": "t-leader", "staff": "t-staff", "public": "t-public"}


def create_test_users() -> None:
    """One account per role, all with TEST_PASSWORD."""
    from security.accounts import create_user
    from security.passwords import hash_password

    hashed = hash_password(TEST_PASSWORD)
    for role, username in TEST_USERS.items():
        create_user(username, hashed, role)


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "login page has no CSRF token"
    return match.group(1)


def login(client, username: str, password: str = TEST_PASSWORD):
    """Sign in through the real form (CSRF token included); returns the POST response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"})


@pytest.fixture
def client_as(demo_db):
    """client_as(role) → a Flask test client signed in with that role (None = anonymous)."""
    from app import server

    def make(role: str | None):
        client = server.test_client()
        if role is not None:
            response = login(client, TEST_USERS[role])
            assert response.status_code == 303, response.get_data(as_text=True)[:300]
        return client
    return make


@pytest.fixture
def demo_db(demo_urls):
    use_databases(*demo_urls)
    return demo_urls


def _postgres_admin():
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
        if in_ci():
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message + "; PostgreSQL tests skipped locally")


@contextmanager
def scratch_postgres(prefix: str, templates: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Two PostgreSQL databases (IOC, KPI) of a test's own, empty or copied from `templates`
    (database URLs), dropped afterwards with whatever connections are left."""
    from psycopg import sql

    from data_access import db

    admin = _postgres_admin()
    names = [f"ioc_{prefix}_{uuid.uuid4().hex[:8]}", f"kpi_{prefix}_{uuid.uuid4().hex[:8]}"]
    try:
        for index, name in enumerate(names):
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if templates:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(templates[index].rsplit("/", 1)[1]))
            admin.execute(statement)
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        yield tuple(f"{base}/{name}" for name in names)
    finally:
        db.reset_engines()
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


@pytest.fixture(scope="session")
def postgres_urls():
    """Two fresh PostgreSQL databases (IOC and KPI), dropped at the end."""
    with scratch_postgres("test") as urls:
        yield urls


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database through SQLite's backup: in WAL mode the newest
    pages may still sit in the -wal file, which copying the .db file alone would leave out."""
    import sqlite3

    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()


def sqlite_digest(path: Path) -> str:
    """Digest of a SQLite file's bytes once its write-ahead log is folded in (and proof that no
    journal was left behind): equal digests = byte-for-byte the same database."""
    import hashlib
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as connection:
        busy, _pages, _moved = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert not busy and not Path(f"{path}-journal").exists()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def private_demo(demo_urls, tmp_path):
    """A copy of the session's demo databases that a test may change, in use while the
    test runs (SQLite: copied files; PostgreSQL: databases made from the demo as template)."""
    from data_access import db

    db.reset_engines()
    if demo_urls[0].startswith("sqlite"):
        copies = []
        for url in demo_urls:
            source = Path(url.removeprefix("sqlite:///"))
            copy_sqlite(source, tmp_path / source.name)
            copies.append(f"sqlite:///{tmp_path / source.name}")
        use_databases(*copies)
        yield tuple(copies)
        use_databases(*demo_urls)
        return
    with scratch_postgres("copy", templates=demo_urls) as copies:
        use_databases(*copies)
        yield copies
    use_databases(*demo_urls)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A private copy of the demo databases is ~180 MB and a run makes more than a hundred:
    each test's copies are removed once it is torn down, so a run needs a few GB of disk, not tens."""
    yield
    folder = getattr(item, "funcargs", {}).get("tmp_path")
    if folder is None or not Path(folder).exists():
        return
    for path in Path(folder).rglob("*"):
        if path.is_file() and path.suffix in (".db", ".db-wal", ".db-shm", ".gpkg", ".sqlite") \
                and path.stat().st_size > 1 << 20:
            path.unlink(missing_ok=True)
