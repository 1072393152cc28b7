"""Alembic environment of the IOC database (see migrations/env_common.py)."""
from migrations.env_common import run

run("ioc")
