"""The interactions benchmark's steps do what they are named for: choosing "another period" picks
another option of the open period dropdown, never one of the page's radio items (language, theme,
period kind), which are `[role=option]` too and were once clicked instead."""
from __future__ import annotations

import time

import pytest

from benchmarks import interactions as bench
from components import ids
from tests.browser.conftest import sign_in

PERIOD = ids.period_ids("services")


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _chosen(dash_duo, control: str) -> str:
    return dash_duo.driver.execute_script(
        "const chosen = document.querySelector(arguments[0] + ' [aria-selected=true]');"
        "return chosen ? chosen.textContent.trim() : document.querySelector(arguments[0]).textContent.trim();",
        f"#{control}")


def test_another_period_is_an_option_of_the_open_dropdown(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/services?period=2022&lang=vi")
    dash_duo.wait_for_element(".kpi-card", timeout=20)
    dash_duo.driver.execute_script("window.__arm = function () {};")
    kind = _chosen(dash_duo, PERIOD["kind"])
    seen = [_chosen(dash_duo, PERIOD["period"])]
    for index in range(4):
        bench.open_menu(dash_duo.driver, f"#{PERIOD['period']}")
        dash_duo.driver.execute_script(bench.other_option_script(index))
        deadline = time.time() + 10
        while _chosen(dash_duo, PERIOD["period"]) == seen[-1] and time.time() < deadline:
            time.sleep(0.1)
        seen.append(_chosen(dash_duo, PERIOD["period"]))
        assert seen[-1] != seen[-2], f"step {index} left the period at {seen[-2]}"
        assert dash_duo.driver.execute_script("return document.documentElement.lang") == "vi"
        assert _chosen(dash_duo, PERIOD["kind"]) == kind
        assert dash_duo.driver.execute_script("return document.documentElement.getAttribute('data-theme')") == "light"


def test_an_interaction_is_timed_and_its_store_updates_counted(dash_duo, app):
    """The benchmark's observer (installed before the page's scripts, as `benchmarks.interactions.
    browser` does) times a period change from the click to its last DOM change and counts the
    notifications of Dash's store meanwhile, none before the click."""
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": bench.OBSERVER})
    sign_in(dash_duo, "/services?period=2022&lang=vi")
    dash_duo.wait_for_element(".kpi-card", timeout=20)
    bench.page_ready(dash_duo.driver, bench.content_of("/services"))
    before = _chosen(dash_duo, PERIOD["period"])
    bench.open_menu(dash_duo.driver, f"#{PERIOD['period']}")
    dash_duo.driver.execute_script(bench.other_option_script(0))
    took, answered, updates = bench.settled(dash_duo.driver)
    assert _chosen(dash_duo, PERIOD["period"]) != before
    assert took > 0 and 0 < answered <= took and updates > 0, (took, answered, updates)
    # nothing happens without an input: armed and left alone, no time and no updates are noted
    dash_duo.driver.execute_script("window.__arm();")
    time.sleep(0.5)
    assert dash_duo.driver.execute_script("return [window.__ia.start, window.__ia.updates];") == [None, 0]
