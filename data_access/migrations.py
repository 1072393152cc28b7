"""Alembic migrations of the IOC and KPI schemas, driven from Python.

`python manage.py migrate` upgrades (or downgrades) either database; `init_db`
creates the tables of an empty database from the models and stamps it at the
head revision, so tests and the demo need no migration run. `make_revisions`
is the one command that writes a new revision for every schema whose models
changed (it compares the models with a scratch SQLite database built by the
existing revisions, so it does not need or touch any configured database).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Literal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, pool
from sqlalchemy.engine import Connection, make_url

import settings
from data_access.models import IocBase, KpiBase

Which = Literal["ioc", "kpi"]
DATABASES: tuple[Which, ...] = ("ioc", "kpi")
MIGRATIONS_DIR = settings.PROJECT_ROOT / "migrations"
_METADATA = {"ioc": IocBase.metadata, "kpi": KpiBase.metadata}
_URL_SETTING = {"ioc": "IOC_DATABASE_URL", "kpi": "KPI_DATABASE_URL"}
# Tables that PostGIS creates in every database it is enabled in: not ours to migrate.
FOREIGN_TABLES = frozenset({"spatial_ref_sys", "geometry_columns", "geography_columns",
                            "raster_columns", "raster_overviews", "topology", "layer"})


def metadata(which: Which) -> MetaData:
    return _METADATA[which]


def version_table(which: Which) -> str:
    """Each schema has its own version table, so both may share one database."""
    return f"alembic_version_{which}"


def include_name(which: Which) -> Callable:
    """Autogenerate filter: ignore version tables, PostGIS tables and the other schema's tables."""
    other = {name for key, meta in _METADATA.items() if key != which for name in meta.tables}
    ignored = other | FOREIGN_TABLES | {version_table(w) for w in DATABASES}

    def include(name, type_, _parent_names) -> bool:
        return not (type_ == "table" and name in ignored)
    return include


def url_for(which: Which) -> str:
    """The configured URL, with PostgreSQL on the psycopg 3 driver."""
    url = make_url(settings.get(_URL_SETTING[which]))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return url.render_as_string(hide_password=False)


def alembic_config(which: Which, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR / which))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _run(which: Which, action: Callable[[Config], None]) -> None:
    """Run an Alembic command on its own engine (no statement timeout, no read-only mode)."""
    engine = create_engine(url_for(which), poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            action(alembic_config(which, connection))
    finally:
        engine.dispose()


def upgrade(which: Which, revision: str = "head") -> None:
    _run(which, lambda config: command.upgrade(config, revision))


def downgrade(which: Which, revision: str = "base") -> None:
    _run(which, lambda config: command.downgrade(config, revision))


def stamp(which: Which, revision: str = "head") -> None:
    _run(which, lambda config: command.stamp(config, revision))


def head(which: Which) -> str | None:
    return ScriptDirectory.from_config(alembic_config(which)).get_current_head()


def current(which: Which) -> str | None:
    """The revision the configured database is at (None = never migrated or stamped)."""
    engine = create_engine(url_for(which), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": version_table(which)})
            return context.get_current_revision()
    finally:
        engine.dispose()


def is_versioned(connection: Connection, which: Which) -> bool:
    return inspect(connection).has_table(version_table(which))


def differences(which: Which, connection: Connection) -> list:
    """What the models have that the database does not (or the other way round); [] = in step."""
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_name": include_name(which),
        "version_table": version_table(which)})
    return compare_metadata(context, metadata(which))


def model_differences(which: Which) -> list:
    """Differences between the models and a scratch database built by every revision."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'scratch.db'}", poolclass=pool.NullPool)
        try:
            with engine.begin() as connection:
                command.upgrade(alembic_config(which, connection), "head")
                return differences(which, connection)
        finally:
            engine.dispose()


def make_revisions(message: str) -> list[Path]:
    """Write an autogenerated revision for each schema whose models changed; the new files."""
    written = []
    for which in DATABASES:
        if not model_differences(which):
            continue
        with tempfile.TemporaryDirectory() as folder:
            engine = create_engine(f"sqlite:///{Path(folder) / 'scratch.db'}", poolclass=pool.NullPool)
            try:
                with engine.begin() as connection:
                    config = alembic_config(which, connection)
                    command.upgrade(config, "head")
                    script = command.revision(config, message=message, autogenerate=True)
            finally:
                engine.dispose()
        written.append(Path(script.path))
    return written
