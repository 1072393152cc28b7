"""vi-VN and en-US number, date and period formats, and the em dash for missing values."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from domain import periods
from domain.formatting import (
    MINUS,
    MISSING,
    axis_date_format,
    change_direction,
    delta_unit,
    format_date,
    format_datetime,
    format_delta,
    format_number,
    format_percent,
    format_period,
    format_value,
)

MISSING_VALUES = [None, math.nan, np.nan, float("inf"), -math.inf, pd.NA, Decimal("NaN")]


def test_missing_is_an_em_dash():
    assert MISSING == "\u2014"
    assert MINUS == "\u2212"


@pytest.mark.parametrize("value, lang, expected", [
    (2971, "vi", "2.971"), (2971, "en", "2,971"),
    (107397, "vi", "107.397"), (107397, "en", "107,397"),
    (18000, "en", "18,000"), (1234567890, "vi", "1.234.567.890"),
    (273.0, "vi", "273"), (273.0, "en", "273"),
    (30.52, "vi", "30,52"), (30.52, "en", "30.52"),
    (30.5, "vi", "30,5"), (2.999, "vi", "3"), (1234.5678, "vi", "1.234,57"), (1234.5678, "en", "1,234.57"),
    (0, "vi", "0"), (0.0, "en", "0"), (-0.001, "vi", "0"),
    (-568, "vi", "-568"), (-1234.5, "en", "-1,234.5"),
    (0.125, "en", "0.13"), (2.675, "vi", "2,68"),
    (np.int64(2971), "vi", "2.971"), (np.float64(99.13), "en", "99.13"), (Decimal("12.30"), "vi", "12,3"),
    (2971, "fr", "2.971"), (2971, None, "2.971"), (2971, "en-US", "2,971"),
])
def test_format_number(value, lang, expected):
    assert format_number(value, lang) == expected


@pytest.mark.parametrize("value, lang, decimals, expected", [
    (99.13, "vi", 2, "99,13"), (99.13, "en", 2, "99.13"),
    (99.1, "vi", 2, "99,10"), (273, "en", 2, "273.00"),
    (12.34, "vi", 1, "12,3"), (12.35, "vi", 1, "12,4"), (2.5, "en", 0, "3"),
    (107397.456, "vi", 1, "107.397,5"), (-0.04, "en", 1, "0.0"),
])
def test_format_number_fixed_decimals(value, lang, decimals, expected):
    assert format_number(value, lang, decimals) == expected


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("value", MISSING_VALUES)
def test_missing_numbers(value, lang):
    assert format_number(value, lang) == MISSING
    assert format_number(value, lang, 2) == MISSING
    assert format_percent(value, lang) == MISSING
    assert format_delta(value, lang, "%") == MISSING
    assert format_value(value, "km", lang) == MISSING
    assert format_value(value, "%", lang) == MISSING


@pytest.mark.parametrize("value, lang, expected", [
    (99.13, "vi", "99,13%"), (99.13, "en", "99.13%"),
    (99.983, "vi", "99,98%"), (99.983, "en", "99.98%"), (99.98290306, "vi", "99,98%"),
    (99.995, "vi", "100%"), (100.0, "vi", "100%"), (92.0, "en", "92%"), (99.5, "vi", "99,5%"),
    (0, "vi", "0%"), (-3.25, "en", "-3.25%"), (1234.5, "vi", "1.234,5%"), (1234.5, "en", "1,234.5%"),
])
def test_format_percent(value, lang, expected):
    assert format_percent(value, lang) == expected


@pytest.mark.parametrize("value, lang, decimals, expected", [
    (99.13, "vi", 1, "99,1%"), (99.96, "en", 1, "100%"), (99.13, "vi", 0, "99%"),
])
def test_format_percent_decimals(value, lang, decimals, expected):
    assert format_percent(value, lang, decimals) == expected


@pytest.mark.parametrize("value, lang, unit, expected", [
    (1.2, "vi", "%", "+1,2%"), (1.2, "en", "%", "+1.2%"),
    (-568, "vi", "", "\u2212568"), (-568, "en", "", "\u2212568"),
    (-1234.5, "vi", "", "\u22121.234,5"), (107397, "en", "", "+107,397"),
    (0, "vi", "", "0"), (0, "en", "", "0"), (0.001, "vi", "", "0"), (-0.004, "en", "", "0"),
    (0.5, "vi", "pp", "+0,5 điểm %"), (0.5, "en", "pp", "+0.5 pp"), (-2.25, "vi", "pp", "\u22122,25 điểm %"),
    (12, "vi", " km", "+12 km"), (0.333, "en", "", "+0.33"),
])
def test_format_delta(value, lang, unit, expected):
    assert format_delta(value, lang, unit) == expected


def test_format_delta_decimals():
    assert format_delta(1.26, "vi", "%", decimals=1) == "+1,3%"
    assert format_delta(-1.26, "en", decimals=0) == "\u22121"


@pytest.mark.parametrize("unit, expected", [
    ("%", "pp"), ("count", ""), ("km", " km"), ("µg/m³", " µg/m³"), ("", ""), (None, ""),
])
def test_delta_unit(unit, expected):
    assert delta_unit(unit) == expected


@pytest.mark.parametrize("value, unit, lang, expected", [
    (1.5, "%", "vi", "+1,5 điểm %"), (-0.14, "%", "en", "\u22120.14 pp"), (1249, "count", "vi", "+1.249"),
    (33, "km", "vi", "+33 km"), (-2.5, "µg/m³", "en", "\u22122.5 µg/m³"), (None, "%", "vi", MISSING),
])
def test_a_change_is_written_with_its_delta_unit(value, unit, lang, expected):
    assert format_delta(value, lang, delta_unit(unit)) == expected


@pytest.mark.parametrize("value, unit, lang, expected", [
    (273, "km", "vi", "273 km"), (273.5, "km", "en", "273.5 km"),
    (2971, "count", "vi", "2.971"), (2971, "count", "en", "2,971"),
    (99.13, "%", "en", "99.13%"), (99.13, "%", "vi", "99,13%"), (100.0, "%", "vi", "100%"),
    (107397, "", "vi", "107.397"), (107397, None, "en", "107,397"),
])
def test_format_value(value, unit, lang, expected):
    assert format_value(value, unit, lang) == expected


@pytest.mark.parametrize("day, lang, expected", [
    (date(2026, 11, 24), "vi", "24/11/2026"), (date(2026, 11, 24), "en", "24 Nov 2026"),
    (date(2026, 1, 5), "vi", "05/01/2026"), (date(2026, 1, 5), "en", "5 Jan 2026"),
    (datetime(2026, 11, 24, 9, 5), "vi", "24/11/2026"), (date(2026, 11, 24), "xx", "24/11/2026"),
    (None, "vi", MISSING), (pd.NaT, "en", MISSING),
])
def test_format_date(day, lang, expected):
    assert format_date(day, lang) == expected


@pytest.mark.parametrize("moment, lang, expected", [
    (datetime(2026, 11, 24, 9, 5), "vi", "24/11/2026 09:05"),
    (datetime(2026, 11, 24, 9, 5), "en", "24 Nov 2026 09:05"),
    (datetime(2026, 11, 24, 23, 59, 59), "vi", "24/11/2026 23:59"),
    (datetime(2026, 11, 24, 9, 5, tzinfo=timezone(timedelta(hours=7))), "vi", "24/11/2026 09:05"),
    (pd.Timestamp("2026-11-24 09:05"), "en", "24 Nov 2026 09:05"),
    (None, "vi", MISSING), (pd.NaT, "vi", MISSING),
])
def test_format_datetime(moment, lang, expected):
    assert format_datetime(moment, lang) == expected


def test_default_language_is_vietnamese():
    assert format_number(2971) == "2.971"
    assert format_percent(99.13) == "99,13%"
    assert format_delta(-1.5, unit="pp") == "\u22121,5 điểm %"
    assert format_value(273, "km") == "273 km"
    assert format_datetime(datetime(2026, 11, 24, 9, 5)) == "24/11/2026 09:05"


def test_negative_decimals_rejected():
    with pytest.raises(ValueError):
        format_number(1.5, "vi", -1)


def test_table_number_formats_follow_the_language():
    from domain.formatting import table_locale

    assert table_locale("vi") == {"decimal": ",", "group": "."}
    assert table_locale("en") == {"decimal": ".", "group": ","}


@pytest.mark.parametrize("period, vi, en", [
    ("2026", "2026", "2026"),
    ("2026-Q3", "Quý 3/2026", "Q3 2026"),
    ("2026-Q1", "Quý 1/2026", "Q1 2026"),
    ("2026-07", "Tháng 7/2026", "Jul 2026"),
    ("2026-12", "Tháng 12/2026", "Dec 2026"),
    ("2021..2023", "2021\u20132023", "2021\u20132023"),
    ("2022-Q2..2023-Q1", "Quý 2/2022\u2013Quý 1/2023", "Q2 2022 \u2013 Q1 2023"),
    ("2022-11..2023-02", "Tháng 11/2022\u2013Tháng 2/2023", "Nov 2022 \u2013 Feb 2023"),
    ("2022..2022", "2022", "2022"),  # a range of one period is that period
    (periods.Period("quarter", 2025, 4), "Quý 4/2025", "Q4 2025"),
    (periods.Period("month", 2026, 1), "Tháng 1/2026", "Jan 2026"),
    (periods.PeriodRange(periods.year(2019), periods.year(2020)), "2019\u20132020", "2019\u20132020"),
    (2022, "2022", "2022"),
    ("không phải kỳ", "không phải kỳ", "không phải kỳ"),  # text that is not a key is left as it is
    (None, MISSING, MISSING),
])
def test_format_period(period, vi, en):
    assert format_period(period, "vi") == vi
    assert format_period(period, "en") == en
    assert format_period(period, "en-US") == en and format_period(period, "xx") == vi


@pytest.mark.parametrize("period, vi, en", [
    ("2026-07", "T7/2026", "Jul 2026"), ("2026-Q3", "Quý 3/2026", "Q3 2026"), ("2026", "2026", "2026"),
    ("2022-01..2022-03", "T1/2022\u2013T3/2022", "Jan 2022 \u2013 Mar 2022"),
])
def test_format_period_short_for_axes(period, vi, en):
    assert format_period(period, "vi", short=True) == vi
    assert format_period(period, "en", short=True) == en


def test_a_period_label_never_shows_its_key():
    from components.period_controls import period_options

    for kind in ("year", "quarter", "month"):
        for lang in ("vi", "en"):
            for option in period_options(kind, date(2026, 11, 24), lang):
                assert option["label"] == format_period(option["value"], lang)
                assert kind == "year" or option["label"] != option["value"]


@pytest.mark.parametrize("value, expected", [
    (1.2, 1), (-0.5, -1), (0, 0), (0.0, 0), (0.004, 0), (-0.004, 0), (0.005, 1), (-0.005, -1),
    (None, None), (math.nan, None),
])
def test_change_direction_follows_what_is_written(value, expected):
    assert change_direction(value) == expected
    if expected == 0:
        assert format_delta(value, "vi", "pp") == "0 điểm %", "no sign on a change written as zero"


@pytest.mark.parametrize("lang, expected", [("vi", "%d/%m/%Y"), ("en", "%-d %b %Y"), (None, "%d/%m/%Y")])
def test_axis_date_format_matches_format_date(lang, expected):
    assert axis_date_format(lang) == expected


@pytest.mark.parametrize("month, vi, en", [(1, "T1", "Jan"), (7, "T7", "Jul"), (12, "T12", "Dec")])
def test_a_month_of_a_named_year_is_short(month, vi, en):
    from domain.formatting import month_label

    assert (month_label(month, "vi"), month_label(month, "en")) == (vi, en)


@pytest.mark.parametrize("lang, locale", [("vi", "vi_VN"), ("en", "en_US"), ("EN-us", "en_US"), ("fr", "vi_VN")])
def test_numbers_are_written_as_babel_writes_them(lang, locale):
    """domain.formatting.format_decimal parses a pattern and a locale once (a grid writes thousands
    of numbers): what it writes is Babel's own `format_decimal`, for every pattern the app uses."""
    from babel import numbers

    from domain.formatting import format_decimal

    values = [Decimal("0"), Decimal("2971"), Decimal("-1234567.891"), Decimal("99.13"), Decimal("0.5"), 12, 1e7]
    patterns = ["#,##0", "#,##0.#", "#,##0.##", "#,##0.00", "#,##0.000"]
    for value in values:
        for pattern in patterns:
            assert format_decimal(value, pattern, lang) == numbers.format_decimal(value, format=pattern, locale=locale)
