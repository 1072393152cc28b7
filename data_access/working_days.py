"""Vietnamese working days: weekends and public holidays (Tết, 30/4, 1/5, 2/9 and the
swapped days), from the maintained `holidays` library. Citizen feedback must be
answered within 15 working days (Decision 766/QĐ-TTg)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
import numpy as np


@lru_cache(maxsize=4)
def vietnam_holidays(first_year: int = 2014, last_year: int = 2032) -> np.ndarray:
    """Public holidays as datetime64[D], for numpy's busday functions."""
    days = holidays.country_holidays("VN", years=range(first_year, last_year + 1))
    return np.array(sorted(days.keys()), dtype="datetime64[D]")


def is_working_day(day: date) -> bool:
    return bool(np.is_busday(np.datetime64(day, "D"), holidays=vietnam_holidays()))


def add_working_days(start: date | datetime, n: int) -> date | datetime:
    """The deadline n working days after `start` (the start day itself does not count);
    a datetime keeps its time of day."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return start
    day = start.date() if isinstance(start, datetime) else start
    moved = np.busday_offset(np.datetime64(day, "D"), n, roll="forward", holidays=vietnam_holidays())
    result = moved.astype(date)
    if isinstance(start, datetime):
        return datetime.combine(result, start.time())
    return result


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    if end <= start:
        return 0
    return int(np.busday_count(np.datetime64(start + timedelta(days=1), "D"), np.datetime64(end + timedelta(days=1), "D"),
                               holidays=vietnam_holidays()))
