"""Connections to the IOC and KPI databases.

One lazily created engine per database and mode. Dashboards read through
read-only engines (SQLite opened with mode=ro, PostgreSQL sessions with
default_transaction_read_only and a statement timeout), so a bug in a page
can never change stored data. Writers (`manage.py init-db`, `demo`) ask for
`writable=True`.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

import settings
from data_access.models import IocBase, KpiBase

Database = Literal["ioc", "kpi"]
_URL_SETTING = {"ioc": "IOC_DATABASE_URL", "kpi": "KPI_DATABASE_URL"}
_METADATA = {"ioc": IocBase.metadata, "kpi": KpiBase.metadata}

_engines: dict[tuple[str, str, bool], Engine] = {}
_lock = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database is missing, unreachable or not initialised; the message says which."""


def database_url(which: Database) -> str:
    return settings.get(_URL_SETTING[which])


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _build_engine(url: str, writable: bool) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_path(url)
        if path is not None:
            if writable:
                path.parent.mkdir(parents=True, exist_ok=True)
            else:
                if not path.exists():
                    raise DatabaseUnavailable(
                        f"database file {path} does not exist; run `python manage.py demo` to build it"
                    )
                url = f"sqlite:///file:{path}?mode=ro&uri=true"
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options = f"-c statement_timeout={settings.get_int('QUERY_TIMEOUT_MS')}"
        if not writable:
            options += " -c default_transaction_read_only=on"
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=5, max_overflow=5,
            connect_args={"options": options, "connect_timeout": 5},
        )
    return create_engine(parsed, pool_pre_ping=True)


def get_engine(which: Database, writable: bool = False) -> Engine:
    """The engine for `which` database, created on first use."""
    url = database_url(which)
    key = (which, url, writable)
    with _lock:
        if key not in _engines:
            _engines[key] = _build_engine(url, writable)
        return _engines[key]


def reset_engines() -> None:
    """Forget every engine (tests switch databases through the environment)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def connect(which: Database) -> Iterator[Connection]:
    """A read-only connection; any database failure becomes DatabaseUnavailable."""
    try:
        engine = get_engine(which)
        with engine.connect() as connection:
            yield connection
    except DatabaseUnavailable:
        raise
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"{which.upper()} database cannot be read: {_short(exc)}") from exc


def _short(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]


def init_db(which: Database) -> None:
    """Create the tables of `which` database if they are missing."""
    try:
        _METADATA[which].create_all(get_engine(which, writable=True))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot create the {which.upper()} database: {_short(exc)}") from exc


def drop_db(which: Database) -> None:
    """Drop every table of `which` database (tests and `demo --fresh`)."""
    _METADATA[which].drop_all(get_engine(which, writable=True))


def insert_frame(connection: Connection, table_name: str, frame) -> int:
    """Append the rows of a DataFrame to `table_name` in one round of bulk writes.

    PostgreSQL gets COPY (fast for the demo's million rows); other backends an
    executemany. Datetimes are written in SQLAlchemy's own text format on SQLite
    so that range comparisons against bound parameters stay correct.
    """
    import pandas as pd

    if frame.empty:
        return 0
    columns = list(frame.columns)
    backend = connection.engine.dialect.name
    converted = {}
    for column in columns:
        series = frame[column]
        missing = series.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f").astype(object).tolist()
        elif pd.api.types.is_bool_dtype(series) and backend == "sqlite":
            values = series.astype(int).tolist()
        else:
            values = series.astype(object).tolist()
        converted[column] = [None if gap else value for value, gap in zip(values, missing)]
    rows = list(zip(*(converted[c] for c in columns)))
    if backend == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table_name), sql.SQL(", ").join(map(sql.Identifier, columns)))
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    compiled = table_named(table_name).insert().compile(dialect=connection.dialect, column_keys=columns)
    order = [columns.index(name) for name in compiled.positiontup]
    connection.exec_driver_sql(str(compiled), [tuple(row[i] for i in order) for row in rows])
    return len(rows)


def table_named(table_name: str):
    for metadata in _METADATA.values():
        if table_name in metadata.tables:
            return metadata.tables[table_name]
    raise KeyError(f"unknown table {table_name!r}")
