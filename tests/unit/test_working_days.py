"""Vietnamese working days for citizen-report deadlines (15 working days, Decision 766)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import holidays
import numpy as np
import pytest

from domain import working_days
from domain.working_days import add_working_days, is_working_day, working_days_between


def _brute_count(start: date, end: date) -> int:
    return sum(is_working_day(start + timedelta(days=k)) for k in range(1, (end - start).days + 1))


@pytest.mark.parametrize("day", [date(2023, 1, 20) + timedelta(days=k) for k in range(7)])
def test_tet_2023_holidays_come_from_the_library(day):
    assert day in holidays.country_holidays("VN", years=2023)
    assert not is_working_day(day)


@pytest.mark.parametrize("day, working", [
    (date(2023, 1, 19), True),      # Thursday before Tết
    (date(2023, 1, 23), False),     # Mùng hai Tết, a Monday
    (date(2023, 1, 27), True),      # first working day after Tết
    (date(2023, 4, 30), False), (date(2023, 5, 1), False), (date(2023, 5, 3), False),
    (date(2024, 4, 29), False),     # swapped day off (for Saturday 4 May)
    (date(2024, 4, 30), False), (date(2024, 5, 1), False), (date(2024, 5, 2), True),
    (date(2025, 9, 1), False), (date(2025, 9, 2), False), (date(2025, 9, 3), True),
    (date(2024, 3, 8), True), (date(2024, 3, 9), False), (date(2024, 3, 10), False),
    (datetime(2023, 1, 23, 10, 0), False), (datetime(2023, 1, 27, 10, 0), True),
])
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_library_calendar_is_what_decides(monkeypatch):
    """A day the library calls a holiday is a day off, whatever its weekday."""
    invented = date(2031, 3, 12)
    assert is_working_day(invented)
    monkeypatch.setattr(working_days.holidays, "country_holidays", lambda country, years: {invented: "test"})
    working_days.holidays_in_year.cache_clear()
    try:
        assert not is_working_day(invented)
        assert add_working_days(date(2031, 3, 11), 1) == date(2031, 3, 13)
    finally:
        working_days.holidays_in_year.cache_clear()


def test_holidays_are_cached_per_year():
    working_days.holidays_in_year.cache_clear()
    for _ in range(100):
        add_working_days(date(2023, 1, 19), 15)
    info = working_days.holidays_in_year.cache_info()
    assert info.misses == 1 and info.hits > 100


@pytest.mark.parametrize("start, n, due", [
    (date(2023, 1, 19), 1, date(2023, 1, 27)),      # Tết 20–26 Jan 2023
    (date(2023, 1, 19), 15, date(2023, 2, 16)),
    (date(2023, 1, 22), 1, date(2023, 1, 27)),      # received on Tết itself
    (date(2023, 4, 28), 1, date(2023, 5, 4)),       # 30/4, 1/5 and the observed days
    (date(2024, 4, 26), 1, date(2024, 5, 2)),       # 29/4 swapped, 30/4, 1/5
    (date(2025, 4, 29), 1, date(2025, 5, 5)),       # 30/4, 1/5, 2/5 swapped
    (date(2025, 8, 29), 1, date(2025, 9, 3)),       # 1/9 and 2/9
    (date(2024, 3, 8), 1, date(2024, 3, 11)),       # Friday → Monday
    (date(2024, 3, 9), 1, date(2024, 3, 11)),       # Saturday → Monday
    (date(2024, 3, 10), 1, date(2024, 3, 11)),      # Sunday → Monday
    (date(2024, 3, 4), 15, date(2024, 3, 25)),      # Monday: the start day does not count
    (date(2024, 3, 3), 15, date(2024, 3, 22)),      # counting from Monday 4th: Friday of week three
    (date(2018, 12, 28), 1, date(2019, 1, 2)),      # 31/12/2018 swapped, 1/1 New Year
    (date(2024, 3, 6), 0, date(2024, 3, 6)),
    (date(2024, 3, 9), 0, date(2024, 3, 9)),        # n = 0 leaves even a day off unchanged
])
def test_add_working_days(start, n, due):
    result = add_working_days(start, n)
    assert result == due and type(result) is date


@pytest.mark.parametrize("start, n, due", [
    (datetime(2023, 1, 19, 10, 0), 1, datetime(2023, 1, 27, 10, 0)),
    (datetime(2023, 1, 19, 16, 45, 30), 15, datetime(2023, 2, 16, 16, 45, 30)),
    (datetime(2024, 3, 4, 8, 0), 15, datetime(2024, 3, 25, 8, 0)),
    (datetime(2024, 3, 4, 8, 0), 0, datetime(2024, 3, 4, 8, 0)),
])
def test_add_working_days_keeps_time_of_day(start, n, due):
    result = add_working_days(start, n)
    assert result == due and type(result) is datetime


def test_add_working_days_keeps_time_zone():
    ict = timezone(timedelta(hours=7))
    assert add_working_days(datetime(2023, 1, 19, 10, 0, tzinfo=ict), 1) == datetime(2023, 1, 27, 10, 0, tzinfo=ict)


@pytest.mark.parametrize("n", [-1, -15])
def test_negative_n_rejected(n):
    with pytest.raises(ValueError):
        add_working_days(date(2024, 3, 4), n)


def test_fractional_n_rejected():
    with pytest.raises(TypeError):
        add_working_days(date(2024, 3, 4), 1.5)


@pytest.mark.parametrize("start, end, expected", [
    (date(2023, 1, 19), date(2023, 1, 27), 1),
    (date(2023, 1, 19), date(2023, 1, 26), 0),
    (date(2024, 3, 4), date(2024, 3, 25), 15),
    (date(2024, 3, 4), date(2024, 3, 4), 0),
    (date(2024, 3, 25), date(2024, 3, 4), 0),
    (date(2024, 3, 8), date(2024, 3, 10), 0),
    (datetime(2024, 3, 4, 17, 0), datetime(2024, 3, 5, 8, 0), 1),
    (datetime(2024, 3, 4, 8, 0), datetime(2024, 3, 4, 17, 0), 0),
    (date(2024, 1, 1), date(2025, 1, 1), _brute_count(date(2024, 1, 1), date(2025, 1, 1))),
])
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def _start_dates() -> list[date]:
    around = [date(2023, 1, 10), date(2023, 4, 20), date(2024, 4, 22), date(2025, 8, 25), date(2018, 12, 20)]
    return [first + timedelta(days=k) for first in around for k in range(14)]


@pytest.mark.parametrize("start", _start_dates(), ids=str)
def test_round_trip(start):
    for n in (0, 1, 2, 5, 15, 40, 300):
        due = add_working_days(start, n)
        assert working_days_between(start, due) == n
        assert n == 0 or is_working_day(due)
        assert working_days_between(start, due - timedelta(days=1)) == max(n - 1, 0)


@pytest.mark.parametrize("start", _start_dates()[::5], ids=str)
def test_between_matches_day_by_day_count(start):
    for span in (1, 6, 7, 8, 30, 400):
        assert working_days_between(start, start + timedelta(days=span)) == _brute_count(start, start + timedelta(days=span))


@pytest.mark.parametrize("start", _start_dates()[::3], ids=str)
def test_vectorised_deadlines_agree_with_the_scalar_rule(start):
    """Vectorised code (demo/timegen) indexes the array of working days; it must give the same
    deadline as `add_working_days` for every start, working day or not."""
    working = working_days.library_working_days()
    got = working_days.add_working_days_vectorised(np.array([start], dtype="datetime64[D]"), 15, working)
    assert got[0].astype(date) == add_working_days(start, 15)


def _library_swaps() -> list[date]:
    calendar = holidays.VN(years=range(2014, 2033))
    return sorted(calendar.weekend_workdays)


@pytest.mark.parametrize("day", _library_swaps(), ids=str)
def test_every_make_up_weekend_day_the_library_lists_is_a_working_day(day):
    assert day.weekday() >= 5
    assert is_working_day(day)
    assert working_days_between(day - timedelta(days=1), day) == 1
    assert day in working_days.library_working_days()


@pytest.mark.parametrize("year", range(2014, 2033))
def test_every_library_holiday_on_a_weekday_is_a_day_off(year):
    for day in holidays.VN(years=year):
        assert not is_working_day(day)


def test_the_swaps_are_what_the_library_says():
    """The ten make-up days of 2014-2032 (KNOWN-TRAPS: a hand-made calendar missed them)."""
    assert [d.isoformat() for d in _library_swaps()] == [
        "2014-04-26", "2014-09-06", "2014-12-27", "2015-02-14", "2015-04-25", "2019-01-05", "2019-05-04",
        "2024-05-04", "2025-04-26", "2026-08-22"]


@pytest.mark.parametrize("start, n, due", [
    (date(2025, 4, 21), 15, date(2025, 5, 14)),   # counts Saturday 26/04/2025, a make-up working day
    (date(2024, 4, 29), 3, date(2024, 5, 4)),     # 29/4-1/5 off, then Thu, Fri, Saturday 04/05/2024
    (date(2019, 1, 4), 1, date(2019, 1, 5)),      # Saturday 05/01/2019
    (date(2026, 8, 21), 1, date(2026, 8, 22)),
])
def test_deadlines_count_make_up_saturdays(start, n, due):
    assert add_working_days(start, n) == due
    assert working_days_between(start, due) == n


def test_recorded_overrides_change_the_calendar():
    """A year the library does not know yet: the admin records a swap (day off on Monday,
    made up on Saturday); deadlines follow."""
    monday, saturday = date(2031, 3, 10), date(2031, 3, 15)
    calendar = working_days.WorkCalendar(extra_days_off=frozenset({monday}),
                                         extra_working_days=frozenset({saturday}))
    assert is_working_day(monday) and not is_working_day(saturday)
    assert not calendar.is_working_day(monday) and calendar.is_working_day(saturday)
    assert calendar.add_working_days(date(2031, 3, 7), 1) == date(2031, 3, 11)
    assert calendar.add_working_days(date(2031, 3, 14), 1) == saturday
    assert calendar.working_days_between(date(2031, 3, 7), date(2031, 3, 17)) == \
        working_days_between(date(2031, 3, 7), date(2031, 3, 17))
    assert calendar.working_days_left(date(2031, 3, 14), date(2031, 3, 17)) == 2
