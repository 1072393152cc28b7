"""The interactions benchmark: what it measures is what issue #21 names (every interaction on its
page, each control it clicks exists there), and its figures keep cut and missing runs visible."""
from __future__ import annotations

import json
import re

import pytest

from benchmarks import interactions as bench

NAMED = {"layer_toggle", "metric_change", "status_filter", "ward_click", "city_switch", "language_switch",
         "services_period", "services_kind", "services_comparison", "overview_year"}


@pytest.fixture
def table(demo_db, monkeypatch):
    # the benchmark builds its own demo of both CITIES; the tests' demo need not hold them
    monkeypatch.setattr(bench, "city_names", lambda: {slug: slug for slug in bench.CITIES})
    return bench.interactions(4)


def test_every_named_interaction_is_measured_on_a_page_with_a_load_check(table):
    assert set(table) == NAMED
    for name, (path, steps) in table.items():
        assert len(steps) == 4, name
        assert path.split("?")[0] in bench.CONTENT, name
    assert set(bench.PAGES) <= set(bench.CONTENT)


def test_the_controls_clicked_are_on_the_page_the_interaction_starts_on(table):
    """Every `#id` a step names is in its page's layout as drawn for a staff user, or in the shell."""
    import dash
    import plotly
    from flask import g

    from app import server
    from components import ids
    from security.session import Identity

    layouts = {page["path"]: page["layout"] for page in dash.page_registry.values()}
    shell = {ids.CITY_SELECT, ids.LANG_SELECT}
    for name, (path, steps) in table.items():
        with server.test_request_context(path):
            g.identity = Identity("bench", "staff")
            drawn = json.dumps(layouts[path.split("?")[0]](lang="vi"), cls=plotly.utils.PlotlyJSONEncoder)
        present = set(re.findall(r'"id":\s*"([\w-]+)"', drawn)) | shell
        for step in steps:
            text = " ".join(step) if isinstance(step, tuple) else step
            for wanted in re.findall(r"#([\w-]+)", text):
                assert wanted in present, (name, wanted)


def test_figures_keep_missing_and_cut_runs_visible():
    assert bench.spread_s([1.2, None, 0.8, 1.0]) == {"min_s": 0.8, "median_s": 1.0, "max_s": 1.2, "runs": 3, "of": 4}
    assert bench.spread_s([None])["median_s"] is None
    figures = bench.summary([120.0, None, 80.0], reps=3, cut=False)
    assert figures["runs"] == 2 and figures["cut"] is True and figures["p95_ms"] == 120.0
    assert bench.worst({"a": {"p95_ms": 50.0}, "b": {"p95_ms": 300.0}, "c": {"p95_ms": None}}) == ("b", 300.0)


def test_the_trees_take_turns_so_neither_is_always_measured_first(monkeypatch):
    """Interaction by interaction and page run by page run, the tree measured first alternates."""
    calls = []
    monkeypatch.setattr(bench, "interactions", lambda reps: {name: ("/map", []) for name in ("a", "b", "c")})
    monkeypatch.setattr(bench, "measure_interaction",
                        lambda base, path, steps, reps, limit: calls.append(base) or {"p95_ms": len(calls)})
    monkeypatch.setattr(bench, "page_run", lambda base, path, limit: calls.append(base) or (1.0, 0.5))
    trees = {"ours": "http://ours", "baseline": "http://peer"}

    measured = bench.measure(trees, reps=1, limit=10)
    assert calls == ["http://ours", "http://peer", "http://peer", "http://ours", "http://ours", "http://peer"]
    assert measured["ours"]["b"] == {"p95_ms": 4} and measured["baseline"]["b"] == {"p95_ms": 3}

    calls.clear()
    loaded = bench.measure_pages(trees, runs=3, limit=10, pages=("/", "/map"))
    assert calls[:6] == ["http://ours", "http://peer", "http://peer", "http://ours", "http://ours", "http://peer"]
    assert calls.count("http://ours") == calls.count("http://peer") == 6
    assert loaded["baseline"]["/map"]["first"]["runs"] == 3 and loaded["ours"]["/"]["repeat"]["median_s"] == 0.5
