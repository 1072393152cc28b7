"""The working calendar in force: the `holidays` library's Vietnamese calendar with the
days an admin recorded on top (`calendar_day`), for deadlines counted in working days."""
from __future__ import annotations

from sqlalchemy import inspect, select

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from domain.working_days import LIBRARY, WorkCalendar


def calendar_overrides() -> list[dict]:
    """Recorded days, oldest first: [{day, kind, note, recorded_by, recorded_at}] (none before
    the table exists)."""
    c = m.CalendarDay
    with connect("ioc") as connection:
        if not inspect(connection).has_table(c.__tablename__):
            return []
        query = select(c.day, c.kind, c.note, c.recorded_by, c.recorded_at).order_by(c.day)
        return [dict(row) for row in connection.execute(query).mappings()]


def calendar_from(overrides: list[dict]) -> WorkCalendar:
    """The library's calendar with these recorded days on top."""
    if not overrides:
        return LIBRARY
    return WorkCalendar(extra_days_off=frozenset(o["day"] for o in overrides if o["kind"] == "day_off"),
                        extra_working_days=frozenset(o["day"] for o in overrides if o["kind"] == "working_day"))


@cached()
def work_calendar() -> WorkCalendar:
    """The calendar deadlines are counted with (cached; an applied change clears the cache)."""
    return calendar_from(calendar_overrides())
