"""Sync of an asset inventory from the city's own database (a VMS, an inventory system).

The source is any SQLAlchemy URL and is only read: the query runs in a read-only transaction
(PostgreSQL `default_transaction_read_only`, SQLite opened `mode=ro`, `SET TRANSACTION READ ONLY`
elsewhere) that is rolled back, with a statement time limit. The query returns the canonical
columns of the kind (`external_id`, `name`, `lon`, `lat`, `status`...; aliases in SQL, so the
source keeps its own table and column names), and the rows then go through exactly the checks
and the apply step of a file import (`loaders.assets.import_source`): all or nothing, one
transaction, audited, caches cleared, the same report. Run it on a schedule (cron, a systemd
timer); a run that finds a rejected row changes nothing and exits non-zero.
"""
from __future__ import annotations

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from data_access.db import short_error
from loaders.apply import ImportRejected
from loaders.assets import AssetReport, asset_kind, import_source, source_from_query

QUERY_TIMEOUT_S = 300
MAX_SOURCE_ROWS = 1_000_000


def _read_only_engine(url: str):
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ImportRejected("--source-url is not a database URL (e.g. postgresql://user@host/vms)") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options = f"-c default_transaction_read_only=on -c statement_timeout={QUERY_TIMEOUT_S * 1000}"
        return create_engine(parsed, poolclass=pool.NullPool, connect_args={"options": options, "connect_timeout": 10})
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ImportRejected("a SQLite source must be a file")
        return create_engine(f"sqlite:///file:{parsed.database}?mode=ro&uri=true", poolclass=pool.NullPool)
    return create_engine(parsed, poolclass=pool.NullPool)


def source_label(url: str) -> str:
    """The source as the report and the audit log name it (never its password)."""
    return make_url(url).render_as_string(hide_password=True)


def read_query(url: str, query: str):
    """The query's columns and rows, read in a transaction that cannot write and is rolled back."""
    if not query.strip():
        raise ImportRejected("the query is empty")
    engine = _read_only_engine(url)
    label = source_label(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name not in ("postgresql", "sqlite"):
                connection.execute(text("SET TRANSACTION READ ONLY"))
            try:
                result = connection.execute(text(query))
                if not result.returns_rows:
                    raise ImportRejected("the query returns no rows; give a SELECT")
                columns = list(result.keys())
                records = result.fetchmany(MAX_SOURCE_ROWS + 1)
            finally:
                connection.rollback()
    except SQLAlchemyError as exc:
        raise ImportRejected(f"{label} cannot be read: {short_error(exc)}") from None
    finally:
        engine.dispose()
    if len(records) > MAX_SOURCE_ROWS:
        raise ImportRejected(f"the query returns more than {MAX_SOURCE_ROWS:,} rows")
    return source_from_query(f"query on {label}", columns, records)


def sync_assets(url: str, query: str, *, kind: str, city: str, dry_run: bool = False, retire_missing: bool = False,
                actor: str = "cli") -> AssetReport:
    """Read the inventory from the source database and import it (see `loaders.assets.import_source`)."""
    asset_kind(kind)
    return import_source(read_query(url, query), kind=kind, city=city, dry_run=dry_run,
                         retire_missing=retire_missing, actor=actor, action="asset_sync")
