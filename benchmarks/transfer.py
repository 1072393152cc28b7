"""Benchmark: bytes a browser downloads for `/` and `/map`, first visit and repeat visit, with
response compression on (COMPRESS_RESPONSES=1, the default) and off, side by side in one run.

    python benchmarks/transfer.py [--runs 3]

Each visit is a signed-in headless Chromium (/usr/bin/chromium) with an empty cache for the
first visit, then the same page opened again in that browser for the repeat visit. Bytes are the
Resource Timing `transferSize` of the page and everything it loaded (headers included), once the
page has loaded nothing new for 1.5 s. Servers are gunicorn on 127.0.0.1 over the Thanh Hóa demo.
The last line is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.chromium import Watchdog, chrome_options, hard_quit, spread  # noqa: E402  (project on the path)
from benchmarks.map_load import free_port, sign_in, transferred, wait_for_port  # noqa: E402

PASSWORD = "map-load-measure-2026"  # the password benchmarks.map_load.sign_in types
PAGES = ("/", "/map")
QUIET_S = 1.5


def _settled(driver, limit: float = 60) -> None:
    """Wait until the page has loaded nothing new for QUIET_S seconds."""
    count, quiet_since, deadline = -1, time.time(), time.time() + limit
    while time.time() < deadline:
        now = driver.execute_script("return performance.getEntriesByType('resource').length;")
        if now != count:
            count, quiet_since = now, time.time()
        elif time.time() - quiet_since >= QUIET_S:
            return
        time.sleep(0.1)


def _visit_bytes(base: str, path: str) -> tuple[int, int]:
    from selenium import webdriver

    driver = webdriver.Chrome(options=chrome_options())
    with Watchdog(driver, 120):
        try:
            sign_in(driver, base)
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            driver.get(base + path)
            _settled(driver)
            first = transferred(driver)
            driver.get(base + path)
            _settled(driver)
            return first, transferred(driver)
        finally:
            hard_quit(driver)


def measure(base: str, runs: int) -> dict:
    figures = {}
    for path in PAGES:
        firsts, repeats = [], []
        for _ in range(runs):
            first, repeat = _visit_bytes(base, path)
            firsts.append(first)
            repeats.append(repeat)
        figures[path] = {"first_bytes": spread(firsts, 0), "repeat_bytes": spread(repeats, 0)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ioc-transfer-bench-"))
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{folder / 'ioc.db'}",
           "KPI_DATABASE_URL": f"sqlite:///{folder / 'kpi.db'}", "TILE_URL": "",
           "SECRET_KEY": "transfer-benchmark-" + "0123456789abcdef" * 3, "APP_ENV": "development"}
    subprocess.run([sys.executable, "manage.py", "demo", "--city", "thanh-hoa", "--now",
                    datetime(2026, 11, 20, 10).isoformat()], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "manage.py", "create-user", "bench", "--role", "staff", "--password-stdin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    result = {}
    for label, flag in (("compressed", "1"), ("uncompressed", "0")):
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                                   "--bind", f"127.0.0.1:{port}", "app:server"], cwd=ROOT,
                                  env={**env, "COMPRESS_RESPONSES": flag},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port)
            result[label] = measure(f"http://127.0.0.1:{port}", args.runs)
        finally:
            server.terminate()
            server.wait(timeout=10)
        for path, figures in result[label].items():
            print(f"{label:12} {path:5} first visit {figures['first_bytes']['median']:>12,.0f} B, "
                  f"repeat visit {figures['repeat_bytes']['median']:>10,.0f} B (median of {args.runs})")
    result["first_visit_ratio"] = {
        path: round(result["uncompressed"][path]["first_bytes"]["median"]
                    / result["compressed"][path]["first_bytes"]["median"], 2) for path in PAGES}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
