"""What both Alembic environments (`migrations/ioc/env.py`, `migrations/kpi/env.py`) do.

The database URL comes from the app's settings (IOC_DATABASE_URL / KPI_DATABASE_URL)
unless the caller hands a connection in `config.attributes["connection"]`
(`data_access.migrations` does). Each database keeps its own version table, so the
two schemas never see each other's revisions even when they share one server.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import pool


def run(which: str) -> None:
    from data_access import migrations

    config = context.config
    options = dict(
        target_metadata=migrations.metadata(which),
        version_table=migrations.version_table(which),
        include_name=migrations.include_name(which),
        compare_type=True,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    )
    connection = config.attributes.get("connection")
    if context.is_offline_mode():
        context.configure(url=migrations.url_for(which), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    from sqlalchemy import create_engine

    engine = create_engine(migrations.url_for(which), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
