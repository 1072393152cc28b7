"""Headless Chromium as every browser check here runs it (the browser tests and the
benchmarks): no sandbox as root, no background networking on a closed network."""
from __future__ import annotations

import os
import shutil
import statistics
import threading

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
ARGUMENTS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--window-size=1920,1080")


def chrome_options():
    """Selenium options for headless Chromium at 1920x1080."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for argument in ARGUMENTS:
        options.add_argument(argument)
    if CHROMIUM:
        options.binary_location = CHROMIUM
    return options


def hard_quit(driver) -> None:
    """Close a browser even when its page is busy: WebDriver calls wait for a renderer that
    may never answer (KNOWN-TRAPS), so the chromedriver process and its children are killed."""
    import psutil

    try:
        service = psutil.Process(driver.service.process.pid)
        for child in service.children(recursive=True):
            child.kill()
        service.kill()
    except (psutil.Error, AttributeError):
        pass


class Watchdog:
    """Kills a browser from outside the page at `limit` seconds (`with Watchdog(driver, 60) as dog:`);
    `dog.fired` says whether it had to, so the caller reports the limit as a lower bound."""

    def __init__(self, driver, limit: float):
        self.driver, self.limit = driver, limit
        self.fired = False
        self._timer = threading.Timer(limit, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        hard_quit(self.driver)

    def __enter__(self) -> "Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *_exc) -> bool:
        self._timer.cancel()
        return self.fired  # a WebDriver error caused by the kill is the expected end, not a failure


def spread(values: list[float], digits: int = 3) -> dict:
    """min / median / max of a figure, with the load average when it was measured: one number
    alone hides how noisy a shared 2-core machine is."""
    finite = [v for v in values if v is not None]
    if not finite:
        return {"min": None, "median": None, "max": None, "runs": len(values), "load_avg": load_average()}
    return {"min": round(min(finite), digits), "median": round(statistics.median(finite), digits),
            "max": round(max(finite), digits), "runs": len(values), "load_avg": load_average()}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
