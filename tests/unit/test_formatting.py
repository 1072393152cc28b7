"""vi-VN and en-US number formats."""
from __future__ import annotations

import math

import pytest

from components.formatting import format_date, format_delta, format_number, format_percent, format_value


@pytest.mark.parametrize("value, lang, expected", [
    (2971, "vi", "2.971"), (2971, "en", "2,971"), (107397, "vi", "107.397"), (18000, "en", "18,000"),
    (273.0, "vi", "273"), (30.52, "vi", "30,52"), (None, "vi", "—"), (math.nan, "en", "—"),
])
def test_format_number(value, lang, expected):
    assert format_number(value, lang) == expected


@pytest.mark.parametrize("value, lang, expected", [
    (99.13, "vi", "99,13%"), (99.13, "en", "99.13%"), (99.98290306, "vi", "99,98%"),
    (100.0, "vi", "100%"), (92.0, "en", "92%"), (99.5, "vi", "99,5%"), (None, "vi", "—"),
])
def test_format_percent(value, lang, expected):
    assert format_percent(value, lang) == expected


@pytest.mark.parametrize("value, lang, unit, expected", [
    (1.2, "vi", "%", "+1,2%"), (-568, "vi", "", "\u2212568"), (0, "en", "", "0"),
    (0.5, "vi", "pp", "+0,5 điểm %"), (0.5, "en", "pp", "+0.5 pp"), (None, "vi", "", "—"),
])
def test_format_delta(value, lang, unit, expected):
    assert format_delta(value, lang, unit) == expected


@pytest.mark.parametrize("value, unit, lang, expected", [
    (273, "km", "vi", "273 km"), (2971, "count", "vi", "2.971"), (99.13, "%", "en", "99.13%"),
    (None, "km", "vi", "—"),
])
def test_format_value(value, unit, lang, expected):
    assert format_value(value, unit, lang) == expected


def test_format_date():
    from datetime import date

    assert format_date(date(2026, 11, 24), "vi") == "24/11/2026"
    assert format_date(date(2026, 11, 24), "en") == "24 Nov 2026"
