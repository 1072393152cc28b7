"""Connections to the IOC and KPI databases.

One lazily created engine per database and mode. Dashboards read through
read-only engines (SQLite opened with mode=ro, PostgreSQL sessions with
default_transaction_read_only and a statement timeout), so a bug in a page
can never change stored data and a slow page query is stopped. Writers (`manage.py
init-db`, `demo`, the loaders) ask for `writable=True`: no statement timeout.
"""
from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Literal, TypeVar

import pandas as pd
import psycopg
from alembic import command
from psycopg import sql
from sqlalchemy import Engine, MetaData, Table, create_engine, event, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

import settings
from data_access import migrations, request_state
from data_access.models import IocBase, KpiBase
from domain.city_time import city_zone

Database = Literal["ioc", "kpi"]
_URL_SETTING = {"ioc": "IOC_DATABASE_URL", "kpi": "KPI_DATABASE_URL"}
_METADATA = {"ioc": IocBase.metadata, "kpi": KpiBase.metadata}

T = TypeVar("T")
_engines: dict[tuple[str, str, bool], Engine] = {}
_lock = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database is missing, unreachable or not initialised; the message says which.

    `transient` is True when the connection failed or was lost (server down, restarted,
    connection terminated): trying again later may work. A query error (bad SQL, statement
    timeout, read-only violation) is not transient and is never retried."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


# SQLSTATEs of a lost or refused connection: class 08, and the server shutting down or
# terminating the backend (pg_terminate_backend gives 57P01). 57014 (statement timeout) is not here.
_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def is_connection_error(exc: BaseException) -> bool:
    """Did the database connection fail, rather than the query?"""
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    original = exc.orig
    if getattr(original, "__module__", "").startswith("sqlite3"):
        return False
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:
        # psycopg raises OperationalError without a SQLSTATE when it cannot reach the server.
        return isinstance(original, (psycopg.OperationalError, psycopg.InterfaceError))
    return sqlstate.startswith(_CONNECTION_SQLSTATES)


def database_url(which: Database) -> str:
    return settings.get(_URL_SETTING[which])


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _write_ahead_log(cursor) -> None:
    """WAL: page reads never block a writer and a writer never blocks them (in the default
    journal a commit waits for every open read, and an export's audit line or the live feed
    failed with "database is locked" behind busy pages). The mode stays in the file; while
    another connection holds the file it cannot change, and the database keeps its old mode."""
    try:
        if cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe in WAL: a crash loses no committed page
    except sqlite3.OperationalError:
        pass


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
            if writable:
                _write_ahead_log(cursor)
            cursor.close()

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Dashboards get the statement timeout; writers (demo build, imports, migrations, roll-ups,
        # the live feed) do bulk work that must not be cut off by a limit meant for page reads.
        if writable:
            options = "-c statement_timeout=0"
        else:
            options = f"-c statement_timeout={settings.get_int('QUERY_TIMEOUT_MS')} -c default_transaction_read_only=on"
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=10, pool_recycle=1800,
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


def _fresh_lock_in_child() -> None:
    """The engines' lock in a forked child: another thread of the parent may have held it at the fork."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def forget_engines_after_fork() -> None:
    """In a freshly forked worker: drop the parent's engines without closing its connections."""
    with _lock:
        for engine in _engines.values():
            engine.dispose(close=False)
        _engines.clear()


def reset_engines() -> None:
    """Forget every engine (tests switch databases through the environment)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def connect(which: Database) -> Iterator[Connection]:
    """A read-only connection; any database failure becomes DatabaseUnavailable.

    Getting the connection is retried with backoff when the server cannot be reached
    (nothing has run yet, so it is always safe); the pool's pre-ping replaces
    connections the server closed (restart, pg_terminate_backend) before they are used."""
    try:
        engine = get_engine(which)
        connection = _checkout(engine)
    except DatabaseUnavailable:
        request_state.note("database_error")
        raise
    except SQLAlchemyError as exc:
        request_state.note("database_error")
        raise DatabaseUnavailable(f"{which.upper()} database cannot be read: {short_error(exc)}",
                                  transient=is_connection_error(exc)) from exc
    try:
        with connection:
            yield connection
    except SQLAlchemyError as exc:
        request_state.note("database_error")
        raise DatabaseUnavailable(f"{which.upper()} database cannot be read: {short_error(exc)}",
                                  transient=is_connection_error(exc)) from exc


def _backoff(attempt: int) -> float:
    """0.1 s, 0.3 s, 0.9 s... with jitter, so that workers do not retry in step."""
    return 0.1 * (3 ** attempt) * random.uniform(0.75, 1.25)


def _checkout(engine: Engine) -> Connection:
    retries = settings.get_int("DB_READ_RETRIES")
    for attempt in range(retries + 1):
        try:
            return engine.connect()
        except SQLAlchemyError as exc:
            if attempt == retries or not is_connection_error(exc):
                raise
            time.sleep(_backoff(attempt))
    raise AssertionError("unreachable")


def read_with_retries(function: Callable[..., T], *args, **kwargs) -> T:
    """Run a read-only data-access function, again (up to DB_READ_RETRIES times, with
    backoff) when its connection was lost mid-way; query errors are raised at once."""
    retries = settings.get_int("DB_READ_RETRIES")
    for attempt in range(retries + 1):
        try:
            return function(*args, **kwargs)
        except DatabaseUnavailable as exc:
            if attempt == retries or not exc.transient:
                raise
            time.sleep(_backoff(attempt))
    raise AssertionError("unreachable")


def short_error(exc: Exception) -> str:
    """The first line of a database error (the driver's own words), for a message a user can read."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]


def init_db(which: Database) -> None:
    """Make `which` database ready: a migrated database is upgraded to the head revision;
    tables still missing are created from the models, and a database that was never
    migrated is stamped at head (so `manage.py migrate` takes over from there)."""
    try:
        with get_engine(which, writable=True).begin() as connection:
            versioned = migrations.is_versioned(connection, which)
            config = migrations.alembic_config(which, connection)
            if versioned:
                command.upgrade(config, "head")
            _METADATA[which].create_all(connection)
            if not versioned:
                command.stamp(config, "head")
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot create the {which.upper()} database: {short_error(exc)}") from exc


def drop_db(which: Database) -> None:
    """Drop every table of `which` database, its migration version too (tests and `init-db --drop`)."""
    with get_engine(which, writable=True).begin() as connection:
        _METADATA[which].drop_all(connection)
        Table(migrations.version_table(which), MetaData()).drop(connection, checkfirst=True)


def insert_frame(connection: Connection, table_name: str, frame) -> int:
    """Append the rows of a DataFrame to `table_name` in one round of bulk writes.

    PostgreSQL gets COPY (fast for the demo's million rows); other backends an
    executemany. Datetime columns are instants: naive ones are city wall time, and all
    are written in UTC (SQLAlchemy's own text format on SQLite, so that range comparisons
    against bound parameters stay correct).
    """
    if frame.empty:
        return 0
    columns = list(frame.columns)
    backend = connection.engine.dialect.name
    converted = {}
    for column in columns:
        series = frame[column]
        missing = series.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(series):
            if series.dt.tz is None:  # generated or imported wall times are the city's
                series = series.dt.tz_localize(city_zone(), ambiguous="raise", nonexistent="raise")
            text = series.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            values = (text + "+00:00" if backend == "postgresql" else text).astype(object).tolist()
        elif pd.api.types.is_bool_dtype(series) and backend == "sqlite":
            values = series.astype(int).tolist()
        else:
            values = series.astype(object).tolist()
        converted[column] = [None if gap else value for value, gap in zip(values, missing)]
    rows = list(zip(*(converted[c] for c in columns)))
    if backend == "postgresql":
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table_name), sql.SQL(", ").join(map(sql.Identifier, columns)))
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        if "id" in columns and table_named(table_name).c.id.autoincrement is not False:
            _advance_sequence(connection, table_name)
        return len(rows)
    compiled = table_named(table_name).insert().compile(dialect=connection.dialect, column_keys=columns)
    order = [columns.index(name) for name in compiled.positiontup]
    connection.exec_driver_sql(str(compiled), [tuple(row[i] for i in order) for row in rows])
    return len(rows)


def _advance_sequence(connection: Connection, table_name: str) -> None:
    """COPY with explicit ids leaves the id sequence behind; rows added later without an
    id (the live feed's incidents, readings) would collide with the copied ones."""
    table = table_named(table_name)
    sequence = func.pg_get_serial_sequence(table_name, "id")
    if connection.execute(select(sequence)).scalar() is not None:
        connection.execute(select(func.setval(sequence, select(func.max(table.c.id)).scalar_subquery())))


def table_named(table_name: str):
    for metadata in _METADATA.values():
        if table_name in metadata.tables:
            return metadata.tables[table_name]
    raise KeyError(f"unknown table {table_name!r}")
