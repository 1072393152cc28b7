"""Benchmark: the map page with all of TP Thanh Hóa's security cameras, against two
naive peers measured in the same run.

    python benchmarks/map_load.py [--runs 5] [--naive-limit 60]

- ours: /map?layers=wards,security — time from navigation until the clusters drawn
  add up to every camera in the database; bytes transferred (first and repeat visit);
  filter-change latency (p95); the longest browser task after first paint.
- naive peer: the same points as one dl.Marker each (no clustering, no compact format),
  given a time limit and reported as a lower bound when it does not finish.
- plotly peer: the same points in a plotly scatter_map (dcc.Graph).

Headless Chromium (/usr/bin/chromium) through Selenium; servers on 127.0.0.1 only.
The last line is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.chromium import Watchdog, chrome_options, hard_quit, spread  # noqa: E402  (project on the path)

PASSWORD = "map-load-measure-2026"

OBSERVER = """
window.__bench = {target: null, readyAt: null, longest: 0, firstPaint: null};
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (e.name === 'first-contentful-paint') { window.__bench.firstPaint = e.startTime; }
  });
}).observe({type: 'paint', buffered: true});
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (window.__bench.firstPaint !== null && e.startTime > window.__bench.firstPaint) {
      window.__bench.longest = Math.max(window.__bench.longest, e.duration);
    }
  });
}).observe({type: 'longtask', buffered: true});
window.__drawn = function () {
  let total = document.querySelectorAll('.leaflet-marker-pane .point-marker').length;
  document.querySelectorAll('.leaflet-marker-pane .marker-cluster').forEach(function (m) {
    total += parseInt((m.getAttribute('title') || '0').split(' ')[0], 10);
  });
  return total + document.querySelectorAll('.leaflet-marker-pane img.leaflet-marker-icon').length;
};
setInterval(function () {
  if (window.__bench.readyAt === null && window.__bench.target !== null && window.__drawn() >= window.__bench.target) {
    window.__bench.readyAt = performance.now();
  }
}, 10);
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def start_gunicorn(cwd: Path, env: dict, workers: int = 2, threads: int = 4,
                   timeout: float = 180) -> tuple[subprocess.Popen, str]:
    """The app under gunicorn as the README runs it (`gunicorn.conf.py`: each worker finishes Dash's
    set-up and keeps the map's layers warm), `workers` of `threads`, on a free port of 127.0.0.1: the
    process and its URL once the port answers (warm-up done or not). A busy machine may take a while."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=cwd,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for_port(port, timeout=timeout)
    return server, f"http://127.0.0.1:{port}"


def browser():
    from selenium import webdriver

    driver = webdriver.Chrome(options=chrome_options())
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
    return driver


def transferred(driver) -> int:
    return int(driver.execute_script("""
        const nav = performance.getEntriesByType('navigation').map(e => e.transferSize);
        const res = performance.getEntriesByType('resource').map(e => e.transferSize);
        return nav.concat(res).reduce((a, b) => a + b, 0);"""))


def map_data_bytes(driver) -> int:
    return int(driver.execute_script("""
        return performance.getEntriesByType('resource').filter(e => e.name.indexOf('/api/v1/map/') >= 0)
            .map(e => e.transferSize).reduce((a, b) => a + b, 0);"""))


def wait_ready(driver, target: int, limit: float) -> float | None:
    driver.execute_script(f"window.__bench.target = {target};")
    deadline = time.time() + limit
    while time.time() < deadline:
        ready = driver.execute_script("return window.__bench.readyAt;")
        if ready is not None:
            return ready / 1000
        time.sleep(0.05)
    return None


def sign_in(driver, base: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element("id", "username").send_keys("bench")
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("id", "submit").click()
    time.sleep(1)


def measure_ours(base: str, total: int, offline_or_maintenance: int, runs: int) -> dict:
    ready, first_bytes, first_map_bytes, repeat_bytes, repeat_map_bytes, longest = [], [], [], [], [], []
    filter_ms: list[float] = []
    for _ in range(runs):
        driver = browser()
        try:
            sign_in(driver, base)
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            driver.get(f"{base}/map?layers=wards,security")
            ready.append(wait_ready(driver, total, 60) or float("inf"))
            time.sleep(0.5)
            first_bytes.append(transferred(driver))
            first_map_bytes.append(map_data_bytes(driver))
            longest.append(driver.execute_script("return window.__bench.longest;"))
            for _toggle in range(4):
                for expected in (offline_or_maintenance, total):
                    started = time.perf_counter()
                    driver.execute_script("document.querySelector(\"#map-status input[value='online']\").click();")
                    while driver.execute_script("return window.__drawn();") != expected:
                        if time.perf_counter() - started > 10:
                            break
                        time.sleep(0.005)
                    filter_ms.append((time.perf_counter() - started) * 1000)
            driver.get(f"{base}/map?layers=wards,security")
            wait_ready(driver, total, 60)
            time.sleep(0.5)
            repeat_bytes.append(transferred(driver))
            repeat_map_bytes.append(map_data_bytes(driver))
        finally:
            driver.quit()
    filter_ms.sort()
    return {"ready_s": round(statistics.median(ready), 3), "ready_runs_s": [round(r, 3) for r in ready],
            "ready_spread_s": spread(ready), "filter_spread_ms": spread(filter_ms, 1),
            "bytes": int(statistics.median(first_bytes)), "map_data_bytes": int(statistics.median(first_map_bytes)),
            "repeat_bytes": int(statistics.median(repeat_bytes)),
            "repeat_map_data_bytes": int(statistics.median(repeat_map_bytes)),
            "filter_p95_ms": round(filter_ms[int(0.95 * (len(filter_ms) - 1))], 1),
            "filter_median_ms": round(statistics.median(filter_ms), 1),
            "longest_task_ms": round(max(longest), 1)}


PEER_APP = '''
import os, sys
sys.path.insert(0, {root!r})
import dash, dash_leaflet as dl, plotly.graph_objects as go
from dash import dcc, html
from data_access.map_layers import camera_points
points = camera_points.uncached("thanh-hoa", "security")
app = dash.Dash(__name__, serve_locally=True)
kind = os.environ["PEER"]
if kind == "naive":
    markers = [dl.Marker(position=[lat, lon]) for lon, lat in zip(points.lon, points.lat)]
    app.layout = html.Div(dl.Map([*markers], center=[19.8066, 105.7877], zoom=12, style={{"height": "900px"}}))
else:
    figure = go.Figure(go.Scattermap(lon=points.lon, lat=points.lat, mode="markers",
                                     marker={{"size": 5, "color": "#1d4ed8"}}))
    figure.update_layout(map={{"style": "white-bg", "center": {{"lon": 105.7877, "lat": 19.8066}}, "zoom": 11}},
                         height=900, margin={{"l": 0, "r": 0, "t": 0, "b": 0}})
    app.layout = html.Div(dcc.Graph(id="peer", figure=figure))
app.run(host="127.0.0.1", port=int(os.environ["PORT"]), debug=False)
'''


def measure_peer(kind: str, env: dict, total: int, runs: int, limit: float) -> dict:
    from selenium.common.exceptions import TimeoutException, WebDriverException

    port = free_port()
    script = Path(tempfile.mkdtemp()) / "peer.py"
    script.write_text(PEER_APP.format(root=str(ROOT)))
    server = subprocess.Popen([sys.executable, str(script)], env={**env, "PEER": kind, "PORT": str(port)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times, sizes = [], []
    try:
        wait_for_port(port)
        for _ in range(runs):
            driver = browser()
            seconds, size = None, None
            try:
                # The page may keep the renderer (and every WebDriver call) busy far past the
                # limit: the watchdog kills the browser from outside at the limit.
                with Watchdog(driver, limit):
                    driver.set_page_load_timeout(limit)
                    started = time.perf_counter()
                    driver.get(f"http://127.0.0.1:{port}/")
                    if kind == "naive":
                        seconds = wait_ready(driver, total, max(1.0, limit - (time.perf_counter() - started)))
                    else:
                        while time.perf_counter() - started < limit:
                            if driver.execute_script("const g = document.querySelector('#peer .js-plotly-plot');"
                                                     "return !!(g && g._fullData && document.querySelector("
                                                     "'#peer canvas'));"):
                                seconds = driver.execute_script("return performance.now();") / 1000
                                break
                            time.sleep(0.05)
                    size = transferred(driver) if seconds is not None else None
            except (TimeoutException, WebDriverException):
                seconds = None
            finally:
                hard_quit(driver)
            times.append(seconds)
            sizes.append(size)
            if times[-1] is None:
                break
    finally:
        server.terminate()
        server.wait(timeout=10)
    finished = [t for t in times if t is not None]
    if len(finished) < len(times) or not finished:
        return {"ready_s": f">={limit:g}", "finished": False}
    return {"ready_s": round(statistics.median(finished), 3), "bytes": int(statistics.median(sizes)),
            "finished": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-limit", type=float, default=60)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ioc-map-bench-"))
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{folder / 'ioc.db'}",
           "KPI_DATABASE_URL": f"sqlite:///{folder / 'kpi.db'}", "TILE_URL": "", "DEMO_PASSWORD": PASSWORD,
           "SECRET_KEY": "map-benchmark-" + "0123456789abcdef" * 3,
           "APP_ENV": "development"}
    os.environ.update({k: env[k] for k in ("IOC_DATABASE_URL", "KPI_DATABASE_URL")})
    subprocess.run([sys.executable, "manage.py", "demo", "--city", "thanh-hoa", "--now",
                    datetime(2026, 11, 20, 10).isoformat()], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "manage.py", "create-user", "bench", "--role", "staff", "--password-stdin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    from data_access.map_layers import camera_points

    cameras = camera_points.uncached("thanh-hoa", "security")
    total = len(cameras)
    down = int(cameras["status"].isin(["offline", "maintenance"]).sum())

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                               "--bind", f"127.0.0.1:{port}", "app:server"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        ours = measure_ours(f"http://127.0.0.1:{port}", total, down, args.runs)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"ours   : ready {ours['ready_s']} s (median of {args.runs}), page {ours['bytes']:,} B, "
          f"map data {ours['map_data_bytes']:,} B, repeat visit map data {ours['repeat_map_data_bytes']:,} B, "
          f"filter p95 {ours['filter_p95_ms']} ms, longest task {ours['longest_task_ms']} ms")
    naive = measure_peer("naive", env, total, 1, args.naive_limit)
    print(f"naive  : one dl.Marker per point: ready {naive['ready_s']} s")
    plotly_peer = measure_peer("plotly", env, total, args.runs, args.naive_limit)
    print(f"plotly : scatter_map: ready {plotly_peer['ready_s']} s, page {plotly_peer.get('bytes', '-')} B")
    naive_s = naive["ready_s"] if naive["finished"] else args.naive_limit
    speedup = naive_s / ours["ready_s"]
    result = {"points": total, **ours, "naive_ready_s": naive["ready_s"],
              "speedup": f">={speedup:.1f}" if not naive["finished"] else round(speedup, 1),
              "plotly_ready_s": plotly_peer["ready_s"], "plotly_bytes": plotly_peer.get("bytes")}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
