"""Benchmark: how long the map's interactions take in a browser, from the input event to the
last DOM change they cause, against the same project at another commit (HEAD) in one run.

    python benchmarks/interactions.py [--reps 20] [--limit 300] [--base HEAD]

Interactions on /map (Thanh Hóa demo, default layers): ward layer toggle, metric change,
camera status filter, ward click, city switch, language switch; each repeated `--reps`
times. A MutationObserver in the page notes every DOM change; an interaction has ended when
no callback request is in flight and nothing changed for 100 ms; its time is input event →
last change (the quiet time is not counted). The peer is a `git worktree` of `--base` (the last
commit, by default) served the same way on the same databases; the worktree is removed at the end.

Headless Chromium (/usr/bin/chromium) through Selenium; servers on 127.0.0.1 only. Every
browser session runs under a watchdog (benchmarks/chromium.py) that kills it at `--limit`
seconds; an interaction cut short reports the repetitions it finished and `"cut": true`.
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.chromium import Watchdog, chrome_options, hard_quit, load_average  # noqa: E402
from benchmarks.map_load import free_port, sign_in, wait_for_port  # noqa: E402

PASSWORD = "map-load-measure-2026"  # benchmarks.map_load.sign_in signs in with it
CITIES = ("thanh-hoa", "chi-linh")
QUIET_MS = 100
SETTLE_LIMIT_S = 30

# Installed before the page's own scripts: counts callback requests in flight, notes the time of
# every DOM change, and takes the first click after `arm()` as the input event.
OBSERVER = """
window.__ia = {inflight: 0, last: 0, start: null, done: null, armed: false, changes: 0};
(function () {
  const ia = window.__ia;
  const fetched = window.fetch;
  window.fetch = function () {
    ia.inflight++;
    return fetched.apply(this, arguments).then(function (response) {
      return response.clone().text().then(function () { ia.inflight--; return response; });
    }, function (error) { ia.inflight--; throw error; });
  };
  new MutationObserver(function () { ia.last = performance.now(); ia.changes++; })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('click', function (event) {
    if (!ia.armed) { return; }
    ia.armed = false; ia.start = event.timeStamp; ia.last = event.timeStamp; ia.changes = 0;
  }, true);
  setInterval(function () {
    if (ia.start !== null && ia.done === null && ia.inflight === 0 && performance.now() - ia.last >= %(quiet)d) {
      ia.done = ia.last;
    }
  }, 5);
  window.__arm = function () { ia.armed = true; ia.start = null; ia.done = null; };
})();
""" % {"quiet": QUIET_MS}

WARD_PATHS = "document.querySelectorAll('.big-map path.leaflet-interactive')"


def browser():
    from selenium import webdriver

    driver = webdriver.Chrome(options=chrome_options())
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
    return driver


def settled(driver) -> float | None:
    """Milliseconds from the armed input event to the last change it caused (None: no end in time)."""
    deadline = time.time() + SETTLE_LIMIT_S
    while time.time() < deadline:
        done, start = driver.execute_script("return [window.__ia.done, window.__ia.start];")
        if done is not None and start is not None:
            return done - start
        time.sleep(0.05)
    return None


def page_ready(driver) -> None:
    """The map is drawn and its first callbacks are over: wards and counts shown, nothing in flight."""
    deadline = time.time() + SETTLE_LIMIT_S
    while time.time() < deadline:
        if driver.execute_script(f"return {WARD_PATHS}.length > 0 && !!document.querySelector('#map-counts div')"
                                 " && window.__ia.inflight === 0 && performance.now() - window.__ia.last > 300;"):
            return
        time.sleep(0.1)


def click_script(selector: str) -> str:
    return f"window.__arm(); document.querySelector({json.dumps(selector)}).click();"


def open_city_menu(driver) -> None:
    """Opens the shell's city dropdown (not timed: the choice of an option is the input)."""
    driver.execute_script("document.querySelector('#shell-city-select').scrollIntoView();")
    driver.find_element("css selector", "#shell-city-select").click()
    time.sleep(0.3)


def city_option_script(city_name: str) -> str:
    """Arms, then clicks the dropdown option whose text is the city's name."""
    return ("window.__arm(); const wanted = %s;"
            "const option = Array.from(document.querySelectorAll('[role=option]'))"
            ".find(function (o) { return o.textContent.trim() === wanted; });"
            "if (!option) { throw new Error('no option ' + wanted); } option.click();") % json.dumps(city_name)


def metric_names() -> list[str]:
    from domain import map_layers as registry

    return [item.name for item in registry.METRICS]


def city_names() -> dict[str, str]:
    from data_access.places import list_cities

    return {c["slug"]: c["name_vi"] for c in list_cities()}


def interactions(reps: int) -> dict[str, list]:
    """Per interaction the script of each repetition (None before a repetition: open the city menu)."""
    metrics = metric_names()
    names = city_names()

    def ward_click(index: int) -> str:
        return (f"window.__arm(); const paths = {WARD_PATHS}; const path = paths[{index} % paths.length];"
                "path.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));")
    return {
        "layer_toggle": [click_script("#map-layers input[value='wards']") for _ in range(reps)],
        "metric_change": [click_script(f"#map-metric input[value='{metrics[(i + 1) % len(metrics)]}']")
                          for i in range(reps)],
        "status_filter": [click_script("#map-status input[value='online']") for _ in range(reps)],
        "ward_click": [ward_click(7 * i + 3) for i in range(reps)],
        "city_switch": [("menu", city_option_script(names[CITIES[(i + 1) % 2]])) for i in range(reps)],
        "language_switch": [click_script(f"#shell-lang-select input[value='{('en', 'vi')[i % 2]}']")
                            for i in range(reps)],
    }


def measure(base: str, reps: int, limit: float) -> dict[str, dict]:
    """Every interaction, each in a fresh browser on a freshly loaded /map under a watchdog."""
    results = {}
    for name, steps in interactions(reps).items():
        driver = browser()
        times: list[float | None] = []
        cut = False
        try:
            with Watchdog(driver, limit) as dog:
                try:
                    sign_in(driver, base)
                    driver.get(f"{base}/map?city={CITIES[0]}&lang=vi")
                    page_ready(driver)
                    for step in steps:
                        if isinstance(step, tuple):
                            open_city_menu(driver)
                            step = step[1]
                        driver.execute_script(step)
                        times.append(settled(driver))
                        if name in ("city_switch", "language_switch"):
                            page_ready(driver)
                        time.sleep(0.2)
                except Exception:  # the watchdog's kill ends the session with a WebDriver error
                    if not dog.fired:
                        raise
            cut = dog.fired
        finally:
            hard_quit(driver)
        results[name] = summary(times, reps, cut)
        print(f"  {name:16s} {results[name]}", flush=True)
    return results


def summary(times: list[float | None], reps: int, cut: bool) -> dict:
    finished = sorted(t for t in times if t is not None)
    out = {"runs": len(finished), "of": reps, "cut": cut or len(finished) < reps}
    if not finished:
        return {**out, "min_ms": None, "median_ms": None, "p95_ms": None, "max_ms": None}
    p95 = finished[min(len(finished) - 1, round(0.95 * (len(finished) - 1)))]
    return {**out, "min_ms": round(finished[0], 1), "median_ms": round(statistics.median(finished), 1),
            "p95_ms": round(p95, 1), "max_ms": round(finished[-1], 1)}


def serve(cwd: Path, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                               "--bind", f"127.0.0.1:{port}", "app:server"], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for_port(port)
    return server, f"http://127.0.0.1:{port}"


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def run_variant(label: str, cwd: Path, env: dict, reps: int, limit: float) -> dict[str, dict]:
    print(f"{label} ({cwd})", flush=True)
    server, base = serve(cwd, env)
    try:
        return measure(base, reps, limit)
    finally:
        stop(server)


def worst(results: dict[str, dict]) -> tuple[str, float | None]:
    known = {name: r["p95_ms"] for name, r in results.items() if r["p95_ms"] is not None}
    if not known:
        return "", None
    name = max(known, key=known.get)
    return name, known[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--limit", type=float, default=300, help="seconds a browser session may take")
    parser.add_argument("--no-baseline", action="store_true", help="measure this tree only")
    parser.add_argument("--base", default="HEAD", help="the commit the peer is served from")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ioc-interactions-"))
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{folder / 'ioc.db'}",
           "KPI_DATABASE_URL": f"sqlite:///{folder / 'kpi.db'}", "TILE_URL": "", "DEMO_PASSWORD": PASSWORD,
           "SECRET_KEY": "interactions-benchmark-" + "0123456789abcdef" * 3, "APP_ENV": "development",
           "DEFAULT_CITY": CITIES[0], "DEFAULT_LANG": "vi"}
    os.environ.update({k: env[k] for k in ("IOC_DATABASE_URL", "KPI_DATABASE_URL")})
    worktree = folder / "baseline"
    try:
        subprocess.run([sys.executable, "manage.py", "demo", *[part for c in CITIES for part in ("--city", c)],
                        "--now", datetime(2026, 11, 20, 10).isoformat()], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "manage.py", "create-user", "bench", "--role", "staff", "--password-stdin"],
                       cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
        load_before = load_average()
        ours = run_variant("ours", ROOT, env, args.reps, args.limit)
        baseline = {}
        if not args.no_baseline:
            subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.base], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            baseline = run_variant(f"baseline ({args.base})", worktree, env, args.reps, args.limit)
        load_after = load_average()
    finally:
        if worktree.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{'interaction':16s} {'ours min/median/p95/max ms':>34s}   {'baseline min/median/p95/max ms':>34s}")
    for name, figures in ours.items():
        row = [f"{figures[k]}" for k in ("min_ms", "median_ms", "p95_ms", "max_ms")]
        peer = baseline.get(name)
        peer_row = [f"{peer[k]}" for k in ("min_ms", "median_ms", "p95_ms", "max_ms")] if peer else ["-"]
        print(f"{name:16s} {' / '.join(row):>34s}   {' / '.join(peer_row):>34s}")
    print(f"load average before {load_before}, after {load_after}")
    worst_name, worst_p95 = worst(ours)
    _, baseline_p95 = worst(baseline) if baseline else ("", None)
    result = {"interaction_p95_ms": worst_p95, "interaction_worst": worst_name,
              "per_interaction_p95_ms": {name: r["p95_ms"] for name, r in ours.items()},
              "baseline_interaction_p95_ms": baseline_p95,
              "baseline_per_interaction_p95_ms": {name: r["p95_ms"] for name, r in baseline.items()},
              "speedup": round(baseline_p95 / worst_p95, 1) if worst_p95 and baseline_p95 else None,
              "cut": [f"{label}:{name}" for label, results in (("ours", ours), ("baseline", baseline))
                      for name, r in results.items() if r["cut"]],
              "loadavg": [load_before, load_after]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
