"""The benchmarks' watchdog: a peer whose page never finishes (its renderer spinning, so
every WebDriver call blocks) is killed from outside at the limit, and the run goes on."""
from __future__ import annotations

import http.server
import threading
import time

import pytest

from benchmarks.chromium import Watchdog, chrome_options, hard_quit, spread

SPINNING_PAGE = b"<html><body><script>setTimeout(function () { while (true) {} }, 50);</script></body></html>"


@pytest.fixture
def spinning_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(SPINNING_PAGE)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_a_peer_that_never_finishes_is_killed_at_the_limit(spinning_server):
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException

    driver = webdriver.Chrome(options=chrome_options())
    started = time.perf_counter()
    answer = "never"
    try:
        with Watchdog(driver, 4) as dog:
            driver.get(spinning_server)
            time.sleep(0.5)
            answer = driver.execute_script("return 1;")  # blocks: the renderer never answers
    except WebDriverException:
        pass
    finally:
        hard_quit(driver)
    elapsed = time.perf_counter() - started
    assert dog.fired and answer == "never"
    assert elapsed < 4 + 15, f"the run waited {elapsed:.0f} s for a page that never finished"


def test_a_watchdog_that_is_not_needed_stays_quiet():
    class Idle:
        service = None

    with Watchdog(Idle(), 5) as dog:
        pass
    assert not dog.fired


def test_spread_reports_min_median_max_and_load():
    figures = spread([1.0, 3.0, 2.0, None])
    assert (figures["min"], figures["median"], figures["max"], figures["runs"]) == (1.0, 2.0, 3.0, 4)
    assert len(figures["load_avg"]) == 3
