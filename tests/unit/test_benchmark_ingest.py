"""The ingest benchmark's sustained ceiling: the highest offered rate the ingester kept up with,
stopping at the first rate it did not (a later lucky step does not count)."""
from __future__ import annotations

from benchmarks.ingest import ceiling, held


def step(offered, rate, p95, lost=0, tail=None):
    return {"offered_per_s": offered, "rate_per_s": rate, "p95_s": p95, "lost": lost,
            "tail_p95_s": p95 if tail is None else tail}


def test_a_step_holds_only_when_fast_complete_and_keeping_up():
    assert held(step(5000, 4990, 0.4))
    assert not held(step(5000, 4990, 1.2)), "p95 over a second"
    assert not held(step(5000, 4990, 0.4, lost=1)), "a lost message"
    assert not held(step(5000, 4200, 0.8, tail=1.6)), "a backlog growing to the end of the step"
    assert not held(step(5000, None, None)), "nothing arrived"


def test_the_ceiling_is_the_last_rate_held_before_the_first_failure():
    steps = [step(2500, 2490, 0.2), step(5000, 4980, 0.6), step(7500, 5100, 9.0), step(10000, 9990, 0.5)]
    assert ceiling(steps) == 5000
    assert ceiling([step(2500, 1000, 4.0)]) == 0
    assert ceiling([]) == 0


def test_a_backlog_growing_through_the_run_shows_in_the_tail_p95():
    from benchmarks.feed import FeedRun

    published = [i / 100 for i in range(100)]  # 100 messages a second for a second
    steady = FeedRun(100, published, {i: at + 0.05 for i, at in enumerate(published)}, 100).figures()
    growing = FeedRun(100, published, {i: at + 0.02 * i for i, at in enumerate(published)}, 100).figures()
    assert steady["tail_p95_s"] == steady["p95_s"] == 0.05
    assert 1.9 < growing["tail_p95_s"] <= 1.98, "the last fifth waited up to two seconds"
    assert growing["p95_s"] < growing["tail_p95_s"]
    partial = FeedRun(100, published, {i: at + 0.05 for i, at in enumerate(published) if i < 80}, 80).figures()
    assert partial["lost"] == 20 and partial["tail_p95_s"] is None, "nothing of the last fifth arrived"
    assert not held(dict(partial, offered_per_s=100))
