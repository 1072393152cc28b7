"""Vietnamese working days: weekends, public holidays (Tết, 30/4, 1/5, 2/9 and the swapped
days) and the Saturdays declared make-up working days, from the maintained `holidays`
library rather than a hand-kept list. Citizen feedback must be answered within 15 working
days (Decision 766/QĐ-TTg).

The government announces each year's swaps; for a year the library does not know yet, an
admin records extra days off and make-up working days (`calendar_day` table, read by
`data_access.calendar.work_calendar`). A `WorkCalendar` carries those overrides; the
module-level functions use the library's calendar alone.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
import numpy as np

from domain.city_time import to_city

_WEEKDAYS_PER_WEEK = 5
_SATURDAY = 5
DAY_KINDS = ("day_off", "working_day")
DEMO_YEARS = (2014, 2032)


@lru_cache(maxsize=None)
def holidays_in_year(year: int) -> frozenset[date]:
    """Public holidays (including observed and substituted days) of one year, cached
    because deadlines are computed for thousands of rows."""
    return frozenset(holidays.country_holidays("VN", years=year).keys())


@lru_cache(maxsize=None)
def make_up_days_in_year(year: int) -> frozenset[date]:
    """Weekend days the government declared working days (e.g. Saturday 26/04/2025)."""
    calendar = holidays.country_holidays("VN", years=year)
    return frozenset(day for day in getattr(calendar, "weekend_workdays", ()) if day.year == year)


def _as_date(value: date | datetime) -> date:
    """The city date of a moment (an aware instant is taken to the city's zone first): a
    datetime never equals the date it falls on, so holiday lookups need the date part."""
    if isinstance(value, datetime):
        return (to_city(value) if value.tzinfo else value).date()
    return value


@dataclass(frozen=True)
class WorkCalendar:
    """The library's calendar with a city's recorded overrides on top."""
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def days_off(self, year: int) -> frozenset[date]:
        """Days off of the year (public holidays and swapped days), overrides applied."""
        return (holidays_in_year(year) | {d for d in self.extra_days_off if d.year == year}) - self.extra_working_days

    def make_up_days(self, year: int) -> frozenset[date]:
        return (make_up_days_in_year(year) | {d for d in self.extra_working_days if d.year == year}
                ) - self.extra_days_off

    def is_working_day(self, d: date | datetime) -> bool:
        """Monday to Friday and not a day off, or a declared make-up working day."""
        day = _as_date(d)
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        if day.weekday() >= _SATURDAY:
            return day in make_up_days_in_year(day.year)
        return day not in holidays_in_year(day.year)

    def add_working_days(self, start: date | datetime, n: int) -> date | datetime:
        """The deadline n working days after `start` (the start day itself does not count,
        so a report received on a day off is due on the n-th working day after it).
        Days are the city's; returns the type given, a datetime keeps its (city) time of day and
        its time zone."""
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        day = _as_date(start)
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        if isinstance(start, datetime) and start.tzinfo:
            local = to_city(start)
            return local.replace(year=day.year, month=day.month, day=day.day).astimezone(start.tzinfo)
        return start.replace(year=day.year, month=day.month, day=day.day)

    def working_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """Working days in (start, end], by calendar date: the inverse of `add_working_days`.
        Counted arithmetically (weekdays, minus weekday days off, plus make-up weekend days)
        so long spans stay cheap."""
        first, last = _as_date(start), _as_date(end)
        if last <= first:
            return 0
        weeks, extra = divmod((last - first).days, 7)
        weekdays = weeks * _WEEKDAYS_PER_WEEK + sum(
            1 for offset in range(1, extra + 1) if (first + timedelta(days=offset)).weekday() < _SATURDAY)
        years = range(first.year, last.year + 1)
        off = sum(1 for year in years for day in self.days_off(year) if first < day <= last and day.weekday() < _SATURDAY)
        made_up = sum(1 for year in years for day in self.make_up_days(year)
                      if first < day <= last and day.weekday() >= _SATURDAY)
        return weekdays - off + made_up

    def working_days_left(self, now: date | datetime, due: date | datetime) -> int:
        """Working days a report due on `due` has left on `now`: 0 = due today, negative =
        working days overdue."""
        if _as_date(due) >= _as_date(now):
            return self.working_days_between(now, due)
        return -self.working_days_between(due, now)

    def working_day_array(self, first_year: int = DEMO_YEARS[0], last_year: int = DEMO_YEARS[1]) -> np.ndarray:
        """Every working day of a span of years, sorted, as datetime64[D]: vectorised deadline
        arithmetic (the demo generator) indexes into it."""
        day, last = date(first_year, 1, 1), date(last_year, 12, 31)
        days = []
        while day <= last:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return np.array(days, dtype="datetime64[D]")


LIBRARY = WorkCalendar()


@lru_cache(maxsize=4)
def library_working_days(first_year: int = DEMO_YEARS[0], last_year: int = DEMO_YEARS[1]) -> np.ndarray:
    """`LIBRARY.working_day_array`, computed once per span."""
    return LIBRARY.working_day_array(first_year, last_year)


def is_working_day(d: date | datetime, calendar: WorkCalendar = LIBRARY) -> bool:
    return calendar.is_working_day(d)


def add_working_days(start: date | datetime, n: int, calendar: WorkCalendar = LIBRARY) -> date | datetime:
    return calendar.add_working_days(start, n)


def working_days_between(start: date | datetime, end: date | datetime, calendar: WorkCalendar = LIBRARY) -> int:
    return calendar.working_days_between(start, end)


def working_days_left(now: date | datetime, due: date | datetime, calendar: WorkCalendar = LIBRARY) -> int:
    return calendar.working_days_left(now, due)


def add_working_days_vectorised(days: np.ndarray, n: np.ndarray | int, working: np.ndarray) -> np.ndarray:
    """`add_working_days` for an array of datetime64[D] dates, given the sorted working days
    of the span (`working_day_array`): the first working day after each date, n - 1 further."""
    position = np.searchsorted(working, days, side="right") - 1 + np.asarray(n)
    if np.any(position >= len(working)) or np.any(position < 0):
        raise ValueError("a deadline falls outside the years of the working-day array")
    return working[position]
