"""Recording the government's yearly day swaps: an extra day off, or a weekend day declared a
make-up working day, for years the `holidays` library does not know yet.

A change goes through the apply step: checked first, then one transaction that stores it
and moves the deadlines of the citizen reports still open whose 15-working-day window it
touches (so overdue counts follow the new calendar at once), audited, caches cleared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import bindparam, delete, select, update

from data_access import models as m
from data_access.calendar import calendar_from, calendar_overrides
from data_access.db import init_db
from domain.city_time import city_midnight, utc_now
from domain.working_days import DAY_KINDS, LIBRARY
from loaders.apply import apply

REPORT_DEADLINE_WORKING_DAYS = 15
# A 15-working-day window spans at most about five weeks, Tết included.
DEADLINE_REACH = timedelta(days=45)
MAX_NOTE = 240


@dataclass
class CalendarChange:
    day: date
    kind: str | None              # None = remove the recorded day
    note: str = ""
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False
    moved_deadlines: int = 0

    def summary(self) -> str:
        what = "removed" if self.kind is None else self.kind
        return f"{self.day:%d/%m/%Y} {what}; {self.moved_deadlines} open report deadline(s) moved"


def check(day: date, kind: str | None, note: str, recorded: dict[date, str]) -> list[str]:
    """Why the change cannot be recorded (empty = it can); pure, against the library's calendar
    and what is recorded already."""
    errors = []
    if not isinstance(day, date) or not 2000 <= day.year <= 2100:
        return [f"day must be a date between 2000 and 2100, got {day!r}"]
    if kind is None:
        if day not in recorded:
            errors.append(f"{day:%d/%m/%Y} is not a recorded day")
        return errors
    if kind not in DAY_KINDS:
        errors.append(f"kind must be one of {', '.join(DAY_KINDS)}, got {kind!r}")
    elif LIBRARY.is_working_day(day) == (kind == "working_day"):
        errors.append(f"{day:%d/%m/%Y} is already a {'working day' if kind == 'working_day' else 'day off'}")
    if len(note) > MAX_NOTE:
        errors.append(f"note is longer than {MAX_NOTE} characters")
    return errors


def record_day(day: date, kind: str | None, note: str = "", *, actor: str, dry_run: bool = False) -> CalendarChange:
    """Record (or with kind None, remove) one day; the change says what was wrong or done."""
    note = (note or "").strip()
    init_db("ioc")
    overrides = calendar_overrides()
    change = CalendarChange(day, kind, note, dry_run=dry_run)
    change.errors = check(day, kind, note, {o["day"]: o["kind"] for o in overrides})
    if change.errors:
        return change
    others = [o for o in overrides if o["day"] != day]
    calendar = calendar_from(others + ([{"day": day, "kind": kind}] if kind else []))

    def write(connection) -> None:
        table = m.CalendarDay.__table__
        connection.execute(delete(table).where(table.c.day == day))
        if kind is not None:
            connection.execute(table.insert().values(day=day, kind=kind, note=note, recorded_by=actor[:64],
                                                     recorded_at=utc_now()))
        change.moved_deadlines = _move_open_deadlines(connection, day, calendar)

    return apply(change, database="ioc", write=write, actor=actor, action="calendar_day")


def _move_open_deadlines(connection, day: date, calendar) -> int:
    """Recount the deadline of every unanswered report received in the reach of `day`."""
    r = m.CitizenReport.__table__
    rows = connection.execute(select(r.c.id, r.c.received_at, r.c.due_at).where(
        r.c.answered_at.is_(None), r.c.received_at >= city_midnight(day - DEADLINE_REACH),
        r.c.received_at < city_midnight(day + timedelta(days=1)))).all()
    moved = [{"b_id": row.id, "b_due": due} for row in rows
             if (due := calendar.add_working_days(row.received_at, REPORT_DEADLINE_WORKING_DAYS)) != row.due_at]
    if moved:
        connection.execute(update(r).where(r.c.id == bindparam("b_id")).values(due_at=bindparam("b_due")), moved)
    return len(moved)
