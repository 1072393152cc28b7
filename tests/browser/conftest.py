"""Headless Chromium for dash_duo. Browser tests run everywhere Chromium and
chromedriver are installed; in CI their absence is a failure, not a skip."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from benchmarks.chromium import CHROMIUM, chrome_options
from tests.conftest import in_ci

CHROMEDRIVER = shutil.which("chromedriver")


# Below the kernel's ephemeral ports (32768-60999), which dash.testing's own start (58050) is in:
# there a port may already be taken by an outgoing connection or chromedriver, and a server fails
# to start.
FIRST_PORT = 21050


def pytest_configure(config):
    """Each pytest-xdist worker starts its Dash servers on ports of its own (dash.testing counts up
    from one fixed port in every process)."""
    from dash.testing.application_runners import BaseDashRunner

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    BaseDashRunner._next_port = FIRST_PORT + (1000 * int(worker[2:]) if worker.startswith("gw") else 0)


def pytest_setup_options():
    return chrome_options()


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "tests/browser" in str(item.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if CHROMIUM and CHROMEDRIVER:
        return
    message = "Chromium and chromedriver are needed for browser tests (apt-get install chromium chromium-driver)"
    if in_ci():
        raise pytest.UsageError(message + "; CI must not skip them")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture
def offline_tiles(monkeypatch):
    """No basemap: tests never reach the internet."""
    monkeypatch.setenv("TILE_URL", "")
    monkeypatch.setenv("DEFAULT_LANG", "vi")
    monkeypatch.setenv("DEFAULT_CITY", "thanh-hoa")


def sign_in(dash_duo, next_path: str = "/", role: str = "staff"):
    """Open a page, get sent to the login form, sign in, land on the page."""
    from tests.conftest import TEST_PASSWORD, TEST_USERS

    dash_duo.driver.get(f"{dash_duo.server.url}{next_path}")
    dash_duo.wait_for_element("#username", timeout=10).send_keys(TEST_USERS[role])
    dash_duo.find_element("#password").send_keys(TEST_PASSWORD)
    dash_duo.find_element("#submit").click()


def shown(dash_duo, selector: str) -> bool | None:
    """Whether the first element matching `selector` is drawn, read in one script: pages that refresh
    replace their elements between a Selenium find and its is_displayed (a stale reference)."""
    return dash_duo.driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.checkVisibility() : null", selector)


def text_of(dash_duo, selector: str) -> str | None:
    """The rendered text of the first element matching `selector`, read in one script (see `shown`):
    the live feeds, the wall bar and the kiosk redraw their elements on every refresh."""
    return dash_duo.driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : null", selector)


def grid_cells(dash_duo, grid: str, at_least: int, timeout: float = 20) -> list[str]:
    """The texts of a report grid's cells, once it has drawn them (its rows come after the
    report's text: the grid's script loads on first use)."""
    deadline = time.time() + timeout
    while True:
        cells = [c.text for c in dash_duo.find_elements(f"{grid} .ag-cell")]
        if len(cells) >= at_least or time.time() > deadline:
            return cells
        time.sleep(0.1)


# Notes the outputs of the callbacks the page asks the server for (Dash posts them with fetch).
COUNT_POSTS = """
    window.__posts = [];
    if (!window.__postsCounted) {
        const fetched = window.fetch;
        window.fetch = function (input, init) {
            const url = typeof input === 'string' ? input : input.url;
            if (url.indexOf('_dash-update-component') >= 0) {
                window.__posts.push(JSON.parse((init && init.body) || '{}').output || url);
            }
            return fetched.apply(this, arguments);
        };
        const opened = XMLHttpRequest.prototype.open;
        XMLHttpRequest.prototype.open = function (method, url) {
            if (String(url).indexOf('_dash-update-component') >= 0) { window.__posts.push(String(url)); }
            return opened.apply(this, arguments);
        };
        window.__postsCounted = true;
    }"""


def count_posts(dash_duo, from_page_load: bool = False) -> None:
    """Note the callbacks the page asks the server for from now on, or from the next page opened."""
    if from_page_load:
        dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COUNT_POSTS})
    else:
        dash_duo.driver.execute_script(COUNT_POSTS)


def posted(dash_duo) -> list[str]:
    """The outputs of the callbacks asked for since `count_posts`."""
    return dash_duo.driver.execute_script("return window.__posts;")


def address_once(dash_duo, check, timeout: float = 5) -> str:
    """The address bar once `check(address)` holds (the pages write it when idle, assets/address.js),
    else as it is at `timeout`."""
    deadline = time.time() + timeout
    while True:
        address = dash_duo.driver.current_url
        if check(address) or time.time() > deadline:
            return address
        time.sleep(0.1)
