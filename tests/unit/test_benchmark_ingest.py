"""The ingest benchmark's sustained ceiling: the highest offered rate the ingester kept up with,
stopping at the first rate it did not (a later lucky step does not count)."""
from __future__ import annotations

from benchmarks.ingest import ceiling, held


def step(offered, rate, p95, lost=0):
    return {"offered_per_s": offered, "rate_per_s": rate, "p95_s": p95, "lost": lost}


def test_a_step_holds_only_when_fast_complete_and_keeping_up():
    assert held(step(5000, 4990, 0.4))
    assert not held(step(5000, 4990, 1.2)), "p95 over a second"
    assert not held(step(5000, 4990, 0.4, lost=1)), "a lost message"
    assert not held(step(5000, 3000, 0.4)), "rows queued: written slower than offered"
    assert not held(step(5000, None, None)), "nothing arrived"


def test_the_ceiling_is_the_last_rate_held_before_the_first_failure():
    steps = [step(2500, 2490, 0.2), step(5000, 4980, 0.6), step(7500, 5100, 9.0), step(10000, 9990, 0.5)]
    assert ceiling(steps) == 5000
    assert ceiling([step(2500, 1000, 4.0)]) == 0
    assert ceiling([]) == 0
