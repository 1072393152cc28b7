"""Period parsing and arithmetic."""
from __future__ import annotations

from datetime import date

import pytest

from data_access import periods


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
