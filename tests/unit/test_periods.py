"""Period parsing and arithmetic."""
from __future__ import annotations

from datetime import date

import pytest

from domain import periods


@pytest.mark.parametrize("text, key, start, end", [
    ("2022", "2022", date(2022, 1, 1), date(2023, 1, 1)),
    ("2022-Q1", "2022-Q1", date(2022, 1, 1), date(2022, 4, 1)),
    ("2022-Q4", "2022-Q4", date(2022, 10, 1), date(2023, 1, 1)),
    ("2022-07", "2022-07", date(2022, 7, 1), date(2022, 8, 1)),
    ("2022-12", "2022-12", date(2022, 12, 1), date(2023, 1, 1)),
])
def test_parse(text, key, start, end):
    period = periods.parse(text)
    assert (period.key, period.start, period.end) == (key, start, end)


@pytest.mark.parametrize("text", ["", "22", "2022-Q5", "2022-13", "2022-00", "abcd", "1999", "2022;DROP"])
def test_parse_rejects(text):
    with pytest.raises(periods.PeriodError):
        periods.parse(text)


@pytest.mark.parametrize("text, previous, last_year", [
    ("2022", "2021", "2021"),
    ("2022-Q1", "2021-Q4", "2021-Q1"),
    ("2022-03", "2022-02", "2021-03"),
    ("2022-01", "2021-12", "2021-01"),
])
def test_previous_periods(text, previous, last_year):
    period = periods.parse(text)
    assert period.previous().key == previous
    assert period.same_period_last_year().key == last_year


@pytest.mark.parametrize("value", ["x", None, "2022.5", 3000])
def test_year_rejects(value):
    with pytest.raises(periods.PeriodError):
        periods.year(value)


@pytest.mark.parametrize("text, key, start, end, previous, last_year", [
    ("2021..2023", "2021..2023", date(2021, 1, 1), date(2024, 1, 1), "2018..2020", "2020..2022"),
    ("2022-Q4..2023-Q2", "2022-Q4..2023-Q2", date(2022, 10, 1), date(2023, 7, 1), "2022-Q1..2022-Q3",
     "2021-Q4..2022-Q2"),
    ("2022-11..2023-02", "2022-11..2023-02", date(2022, 11, 1), date(2023, 3, 1), "2022-07..2022-10",
     "2021-11..2022-02"),
])
def test_ranges(text, key, start, end, previous, last_year):
    period = periods.parse(text)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert period.previous().key == previous
    assert period.same_period_last_year().key == last_year


@pytest.mark.parametrize("text", ["2023..2021", "2021..2022-Q1", "2021..", "..2022", "2021..2022..2023"])
def test_bad_ranges(text):
    with pytest.raises(periods.PeriodError):
        periods.parse(text)


def test_a_range_of_one_is_that_period():
    assert periods.parse("2022..2022") == periods.year(2022)


def test_the_periods_a_reader_can_choose_have_begun_newest_first():
    """periods.started: what the period menus list and the workers' warm-up computes ahead."""
    today = date(2026, 5, 1)  # the first day of May: Q2 and May have begun, June has not
    assert [p.key for p in periods.started("year", today, 2024)] == ["2026", "2025", "2024"]
    quarters = [p.key for p in periods.started("quarter", today, 2025)]
    assert quarters == ["2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1"]
    months = [p.key for p in periods.started("month", today, 2026)]
    assert months == ["2026-05", "2026-04", "2026-03", "2026-02", "2026-01"]
    assert periods.started("year", today, 2027) == []
