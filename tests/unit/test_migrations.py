"""Alembic migrations of both schemas: up from empty and down to base on SQLite and
PostgreSQL, the models never ahead of the revisions, init_db stamps head, the CLI."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect, pool

from tests.conftest import PROJECT_ROOT, scratch_postgres

DATABASES = ("ioc", "kpi")


@pytest.fixture
def sqlite_pair(tmp_path, monkeypatch):
    urls = {which: f"sqlite:///{tmp_path / (which + '.db')}" for which in DATABASES}
    return _use(urls, monkeypatch)


@pytest.fixture
def postgres_pair(monkeypatch):
    """Two empty PostgreSQL databases of this test's own, dropped afterwards."""
    with scratch_postgres("mig") as (ioc, kpi):
        yield _use({"ioc": ioc, "kpi": kpi}, monkeypatch)


def _use(urls: dict[str, str], monkeypatch) -> dict[str, str]:
    from data_access import db

    monkeypatch.setenv("IOC_DATABASE_URL", urls["ioc"])
    monkeypatch.setenv("KPI_DATABASE_URL", urls["kpi"])
    db.reset_engines()
    return urls


def _tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite_pair", "postgres_pair"])
def test_upgrade_from_empty_then_downgrade_to_base(backend, request):
    from data_access import migrations

    urls = request.getfixturevalue(backend)
    for which in DATABASES:
        assert _tables(urls[which]) == set()
        migrations.upgrade(which, "head")
        assert migrations.current(which) == migrations.head(which)
        expected = set(migrations.metadata(which).tables)
        assert _tables(urls[which]) == expected | {migrations.version_table(which)}
        engine = create_engine(migrations.url_for(which), poolclass=pool.NullPool)
        with engine.connect() as connection:
            assert migrations.differences(which, connection) == []
        engine.dispose()
        migrations.downgrade(which, "base")
        assert migrations.current(which) is None
        assert _tables(urls[which]) == {migrations.version_table(which)}


@pytest.mark.parametrize("which", DATABASES)
def test_models_and_migrations_agree(which):
    """A table or column added to data_access/models.py needs a revision: run
    `python manage.py make-migration "what changed"` and commit the file it writes."""
    from data_access import migrations

    assert migrations.model_differences(which) == [], (
        f"the {which.upper()} models differ from its migrations; run "
        "`python manage.py make-migration \"what changed\"` and review the new revision")


def test_a_model_change_without_revision_is_caught(monkeypatch):
    from sqlalchemy import Column, Integer, MetaData, Table

    from data_access import migrations

    extended = MetaData(naming_convention=migrations.metadata("ioc").naming_convention)
    for table in migrations.metadata("ioc").tables.values():
        table.to_metadata(extended)
    Table("new_panel", extended, Column("id", Integer, primary_key=True))
    monkeypatch.setitem(migrations._METADATA, "ioc", extended)
    changes = migrations.model_differences("ioc")
    assert [change[0] for change in changes] == ["add_table"]
    assert changes[0][1].name == "new_panel"


def test_each_schema_has_one_head():
    from alembic.script import ScriptDirectory

    from data_access import migrations

    for which in DATABASES:
        script = ScriptDirectory.from_config(migrations.alembic_config(which))
        assert len(script.get_heads()) == 1, f"{which} has several heads: merge them (alembic merge)"


def test_init_db_creates_tables_and_stamps_head(sqlite_pair):
    from data_access import db, migrations

    for which in DATABASES:
        db.init_db(which)
        assert migrations.current(which) == migrations.head(which)
        assert set(migrations.metadata(which).tables) <= _tables(sqlite_pair[which])
        db.init_db(which)  # a second run changes nothing
        db.drop_db(which)
        assert _tables(sqlite_pair[which]) == set()


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)


def test_migrate_command_up_down_and_bad_revision(sqlite_pair):
    from data_access import migrations

    env = {"IOC_DATABASE_URL": sqlite_pair["ioc"], "KPI_DATABASE_URL": sqlite_pair["kpi"]}
    up = _manage("migrate", env=env)
    assert up.returncode == 0, up.stderr
    assert f"IOC database at revision {migrations.head('ioc')}" in up.stdout
    assert f"KPI database at revision {migrations.head('kpi')}" in up.stdout
    down = _manage("migrate", "--db", "kpi", "--downgrade", env=env)
    assert down.returncode == 0, down.stderr
    assert "KPI database at revision base" in down.stdout
    assert _tables(sqlite_pair["kpi"]) == {migrations.version_table("kpi")}
    assert migrations.metadata("ioc").tables.keys() <= _tables(sqlite_pair["ioc"])
    bad = _manage("migrate", "--revision", "no-such-revision", env=env)
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr and "no-such-revision" in bad.stderr


@pytest.mark.parametrize("backend", ["sqlite_pair", "postgres_pair"])
def test_instants_migrate_from_city_wall_time_to_utc_and_back(backend, request):
    """Rows written before the UTC revision held naive city wall time (10:00 in Thanh Hóa);
    after it they read as the same instant in UTC (03:00Z), and a downgrade gives 10:00 back."""
    from datetime import datetime, timezone

    from sqlalchemy import select, text

    from data_access import db, migrations
    from data_access import models as m

    urls = request.getfixturevalue(backend)
    migrations.upgrade("ioc", "ff99efca9988")
    engine = create_engine(migrations.url_for("ioc"), poolclass=pool.NullPool)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_event (at, actor, action, detail, ip) VALUES "
                                "('2022-07-01 10:00:00.250000', 'old', 'login', '', '')"))
    engine.dispose()
    migrations.upgrade("ioc", "head")
    db.reset_engines()
    with db.connect("ioc") as connection:
        at = connection.execute(select(m.AuditEvent.at).where(m.AuditEvent.actor == "old")).scalar_one()
    assert at == datetime(2022, 7, 1, 3, 0, 0, 250000, tzinfo=timezone.utc)
    migrations.downgrade("ioc", "ff99efca9988")
    engine = create_engine(migrations.url_for("ioc"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT at FROM audit_event WHERE actor = 'old'")).scalar_one()
    engine.dispose()
    assert str(raw).startswith("2022-07-01 10:00:00.25")
    db.reset_engines()
    assert urls
