"""Alembic environment of the KPI database (see migrations/env_common.py)."""
from migrations.env_common import run

run("kpi")
