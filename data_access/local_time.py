"""City wall time inside SQL: the day or month a stored UTC instant falls on in the city,
for GROUP BYs that must count by the city's calendar (camera uptime per day, dossiers per
month). PostgreSQL converts with the zone's own rules; SQLite has no zone database, so it
adds the city's UTC offset (Vietnam keeps one offset all year, +07:00)."""
from __future__ import annotations

from sqlalchemy import Date, cast, func

from domain.city_time import city_zone, utc_offset_minutes


def _sqlite_shift() -> str:
    return f"{utc_offset_minutes():+d} minutes"


def local_date(column, dialect: str):
    """The city date of an instant column."""
    if dialect == "postgresql":
        return cast(func.timezone(city_zone().key, column), Date)
    return func.date(column, _sqlite_shift())


def local_month_start(column, dialect: str):
    """The first day of the city month of an instant column."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", func.timezone(city_zone().key, column)), Date)
    return func.date(column, _sqlite_shift(), "start of month")
