"""Shared fixtures: a calibrated demo database built once per test session,
the official data in ../shared/data, and PostgreSQL when it is reachable."""
from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

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


@pytest.fixture(scope="session")
def demo_urls(tmp_path_factory) -> tuple[str, str]:
    """SQLite databases with Thanh Hóa's demo data, built once."""
    from demo.build import build_city

    folder = tmp_path_factory.mktemp("demo-db")
    urls = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    use_databases(*urls)
    build_city("thanh-hoa", seed=DEMO_SEED, now=DEMO_NOW)
    create_test_users()
    return urls


TEST_PASSWORD = "correct-horse-battery-staple"
TEST_USERS = {"admin": "t-admin", "leader": "t-leader", "staff": "t-staff", "public": "t-public"}


def create_test_users() -> None:
    """One account per role, all with TEST_PASSWORD."""
    from data_access.users import create_user
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


@pytest.fixture(scope="session")
def postgres_urls():
    """Two fresh PostgreSQL databases (IOC and KPI), dropped at the end."""
    from psycopg import sql

    admin = _postgres_admin()
    names = [f"ioc_test_{uuid.uuid4().hex[:8]}", f"kpi_test_{uuid.uuid4().hex[:8]}"]
    for name in names:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield tuple(f"{base}/{name}" for name in names)
    from data_access import db

    db.reset_engines()
    for name in names:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.close()
