"""KPI formulas on small hand-made numbers, edge cases included."""
from __future__ import annotations

import pytest

from domain import formulas as f


@pytest.mark.parametrize("part, whole, expected", [
    (5848, 5849, 99.98290306034),
    (0, 10, 0.0),
    (10, 10, 100.0),
    (0, 0, None),
    (None, 10, None),
    (3, None, None),
])
def test_rate(part, whole, expected):
    result = f.rate(part, whole)
    assert (result is None) if expected is None else result == pytest.approx(expected)


@pytest.mark.parametrize("part, whole", [(11, 10), (-1, 10)])
def test_rate_rejects_impossible_parts(part, whole):
    with pytest.raises(ValueError):
        f.rate(part, whole)


@pytest.mark.parametrize("formula", [f.on_time_rate, f.online_submission_rate, f.digitised_rate,
                                     f.signed_rate, f.coverage_rate, f.online_payment_rate,
                                     f.procedures_online_rate])
def test_no_records_means_no_rate(formula):
    assert formula(0, 0) is None


@pytest.mark.parametrize("late, complaints, processed, expected", [
    (2, 3, 100, 95.0),
    (0, 0, 50, 100.0),
    (80, 40, 100, 0.0),
    (1, 1, 0, None),
])
def test_satisfaction_proxy(late, complaints, processed, expected):
    assert f.satisfaction_proxy(late, complaints, processed) == expected


@pytest.mark.parametrize("value, target, higher, expected", [
    (75, 90, True, 83.333333),
    (95, 90, True, 100.0),
    (30, 25, False, 83.333333),
    (20, 25, False, 100.0),
    (None, 90, True, None),
    (50, None, True, None),
])
def test_target_progress(value, target, higher, expected):
    result = f.target_progress(value, target, higher)
    assert (result is None) if expected is None else result == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("current, previous, expected", [(10, 7, 3), (7, 10, -3), (None, 1, None), (1, None, None)])
def test_change(current, previous, expected):
    assert f.change(current, previous) == expected
