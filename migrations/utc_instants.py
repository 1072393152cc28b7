"""Instants to UTC, shared by the IOC and KPI revisions `instants in UTC`.

Assumption about old values: the naive times stored before are city wall time — what the
demo generator, the imports and the live feed (converting any offset to the server's
local time on Vietnamese servers) wrote. Set MIGRATE_NAIVE_TZ to the zone they really are
in (e.g. UTC for a database filled on a UTC server) before migrating, or rebuild the demo.

PostgreSQL: the columns become `timestamptz` (`col AT TIME ZONE zone`). SQLite keeps its
text, shifted by the zone's offset (Vietnam has one offset all year, +07:00), fractions kept.
"""
from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


def naive_zone() -> str:
    return os.environ.get("MIGRATE_NAIVE_TZ") or os.environ.get("CITY_TZ") or "Asia/Ho_Chi_Minh"


def _offset_minutes(zone: str) -> int:
    offset = datetime.now(ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def convert(columns: dict[str, tuple[str, ...]], to_utc: bool) -> None:
    """Every listed column from naive city wall time to UTC (`to_utc`), or back."""
    bind = op.get_bind()
    zone = naive_zone()
    existing = set(sa.inspect(bind).get_table_names())
    for table, names in columns.items():
        if table not in existing:
            continue
        for name in names:
            if bind.dialect.name == "postgresql":
                if to_utc:
                    op.alter_column(table, name, type_=sa.DateTime(timezone=True), existing_type=sa.DateTime(),
                                    postgresql_using=f"{name} AT TIME ZONE '{zone}'")
                else:
                    op.alter_column(table, name, type_=sa.DateTime(), existing_type=sa.DateTime(timezone=True),
                                    postgresql_using=f"{name} AT TIME ZONE '{zone}'")
                continue
            shift = -_offset_minutes(zone) if to_utc else _offset_minutes(zone)
            column = sa.column(name)
            shifted = sa.func.strftime("%Y-%m-%d %H:%M:%S", column, f"{shift:+d} minutes").op("||")(
                sa.func.substr(column, 20))  # the fraction of a second, kept as written
            rows = sa.table(table, column)
            op.execute(rows.update().where(column.is_not(None)).values({name: shifted}))
