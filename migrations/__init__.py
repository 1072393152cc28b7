"""Alembic migrations of the two databases: `ioc/` and `kpi/`, one environment each."""
