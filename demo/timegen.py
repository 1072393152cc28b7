"""Random but reproducible timestamps for demo records.

Vectorised with numpy over the sorted array of Vietnamese working days (weekends, public
holidays and make-up Saturdays from the `holidays` library), so a year of 25,000 dossiers
or 120,000 e-documents is generated in milliseconds.
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from domain.working_days import add_working_days_vectorised, library_working_days

OFFICE_OPENS_S = 7 * 3600 + 30 * 60
OFFICE_HOURS_S = 9 * 3600


def year_bounds(year: int, now: datetime) -> tuple[datetime, datetime]:
    """[1 Jan, min(1 Jan next year, now)): the part of `year` that has happened."""
    start = datetime(year, 1, 1)
    return start, min(datetime(year + 1, 1, 1), now)


def elapsed_fraction(year: int, now: datetime) -> float:
    """Share of `year` already past at `now` (1.0 for past years)."""
    start, end = year_bounds(year, now)
    full = (datetime(year + 1, 1, 1) - start).total_seconds()
    return max(0.0, min(1.0, (end - start).total_seconds() / full))


def working_times(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> pd.Series:
    """n office-hour timestamps on working days in [start, end), sorted."""
    if n == 0:
        return pd.Series([], dtype="datetime64[us]")
    working = library_working_days()
    first = np.searchsorted(working, np.datetime64(start.date(), "D"))
    last = np.searchsorted(working, np.datetime64(end.date(), "D"))
    count = max(1, int(last - first))
    offsets = rng.integers(0, count, size=n)
    days = working[first + offsets]
    seconds = OFFICE_OPENS_S + rng.integers(0, OFFICE_HOURS_S, size=n)
    stamps = days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    stamps = np.minimum(stamps, np.datetime64(end, "s") - np.timedelta64(60, "s"))
    return pd.Series(np.sort(stamps).astype("datetime64[us]"))


def any_times(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> pd.Series:
    """n timestamps uniformly spread over [start, end), any day and hour."""
    span = max(1, int((end - start).total_seconds()))
    seconds = np.sort(rng.integers(0, span, size=n))
    return pd.Series(np.datetime64(start, "s") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")


def add_working_days(stamps: pd.Series, days: np.ndarray | int) -> pd.Series:
    """Each timestamp moved `days` Vietnamese working days later, keeping its time of day."""
    values = stamps.to_numpy(dtype="datetime64[s]")
    dates = values.astype("datetime64[D]")
    time_of_day = values - dates.astype("datetime64[s]")
    moved = add_working_days_vectorised(dates, days, library_working_days())
    return pd.Series(moved.astype("datetime64[s]") + time_of_day).astype("datetime64[us]")


def random_dates(rng: np.random.Generator, n: int, start: date, end: date) -> pd.Series:
    """n calendar dates uniformly in [start, end)."""
    span = max(1, (end - start).days)
    offsets = rng.integers(0, span, size=n)
    return pd.Series(np.datetime64(start, "D") + offsets.astype("timedelta64[D]")).dt.date
