"""Vietnamese working days: weekends and public holidays (Tết, 30/4, 1/5, 2/9 and the
swapped days), from the maintained `holidays` library rather than a hand-kept list.
Citizen feedback must be answered within 15 working days (Decision 766/QĐ-TTg).

Saturdays and Sundays are always days off; the library lists days off only, so a
Saturday the government declares a make-up working day still counts as a day off."""
from __future__ import annotations

import operator
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
import numpy as np

_WEEKDAYS_PER_WEEK = 5
_SATURDAY = 5


@lru_cache(maxsize=None)
def holidays_in_year(year: int) -> frozenset[date]:
    """Public holidays (including observed and substituted days) of one year, cached
    because deadlines are computed for thousands of rows."""
    return frozenset(holidays.country_holidays("VN", years=year).keys())


@lru_cache(maxsize=4)
def vietnam_holidays(first_year: int = 2014, last_year: int = 2032) -> np.ndarray:
    """Public holidays of a span of years as datetime64[D], for numpy's vectorised
    busday functions (the demo data generator)."""
    days = set().union(*(holidays_in_year(year) for year in range(first_year, last_year + 1)))
    return np.array(sorted(days), dtype="datetime64[D]")


def _as_date(value: date | datetime) -> date:
    """A datetime never equals the date it falls on, so holiday lookups need the date part."""
    return value.date() if isinstance(value, datetime) else value


def is_working_day(d: date | datetime) -> bool:
    """Monday to Friday and not a Vietnamese public holiday."""
    day = _as_date(d)
    return day.weekday() < _SATURDAY and day not in holidays_in_year(day.year)


def add_working_days(start: date | datetime, n: int) -> date | datetime:
    """The deadline n working days after `start` (the start day itself does not count,
    so a report received on a day off is due on the n-th working day after it).
    Returns the type given; a datetime keeps its time of day and time zone."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    day = _as_date(start)
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return start.replace(year=day.year, month=day.month, day=day.day)


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """Working days in (start, end], by calendar date: the inverse of `add_working_days`.
    Counted arithmetically (weekdays minus weekday holidays) so long spans stay cheap."""
    first, last = _as_date(start), _as_date(end)
    if last <= first:
        return 0
    weeks, extra = divmod((last - first).days, 7)
    weekdays = weeks * _WEEKDAYS_PER_WEEK + sum(
        1 for offset in range(1, extra + 1) if (first + timedelta(days=offset)).weekday() < _SATURDAY)
    holidays_off = sum(
        1 for year in range(first.year, last.year + 1) for day in holidays_in_year(year)
        if first < day <= last and day.weekday() < _SATURDAY)
    return weekdays - holidays_off


def working_days_left(now: date | datetime, due: date | datetime) -> int:
    """Working days a report due on `due` has left on `now`: 0 = due today, negative =
    working days overdue."""
    if _as_date(due) >= _as_date(now):
        return working_days_between(now, due)
    return -working_days_between(due, now)
