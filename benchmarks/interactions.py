"""Benchmark: how long the dashboard's interactions and page loads take in a browser, against
the same project at another commit (HEAD) in one run, and the fifty-presenter meeting.

    python benchmarks/interactions.py [--reps 20] [--page-runs 3] [--limit 300] [--base HEAD]
                                      [--no-baseline] [--no-presenters] [--only a,b] [--pages /,/map]

Interactions, each repeated `--reps` times, from the input event to the last DOM change they
cause: on /map (Thanh Hóa demo, default layers) ward layer toggle, metric change, camera status
filter, ward click, city switch, language switch; on /services the period (another one of the
dropdown), the period kind (year ↔ quarter) and the comparison; on / (overview) the year. A
MutationObserver in the page notes every DOM change; an interaction has ended when no callback
request is in flight and nothing changed for 100 ms; its time is input event → last change (the
quiet time is not counted). `answered_median_ms` is input event → the last server answer: the
rest is the browser drawing. `store_updates_median` counts the notifications of Dash's store
(`window.store`) from the input to the end: each runs the selector of every component on the page,
so it is what a change costs the renderer besides drawing.

Page loads of /, /map, /services and /operations, `--page-runs` times each: a fresh browser
(signed in, its cache emptied) opens the page (first), then opens it again (repeat, the browser's
cache warm); the time is navigation → the last DOM change before the page's content is there,
nothing is in flight and nothing changed for 300 ms.

The peer is a `git worktree` of `--base` (the last commit, by default) served the same way on the
same databases, at the same time; the two trees take turns, interaction by interaction and page
run by page run, the first going first on one turn and last on the next, so that neither is always
measured on the colder or busier machine. The worktree is removed at the end. Both are served by gunicorn as the README
runs it (`gunicorn.conf.py`, 2 workers of 4 threads). Unless `--no-presenters`, the meeting of
`benchmarks/presenters.py` (50 presenters, PostgreSQL and Redis, our side only) runs last and
gives `presenters_p95_s`.

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
from benchmarks.map_load import sign_in, start_gunicorn  # noqa: E402

PASSWORD = "map-load-measure-2026"  # benchmarks.map_load.sign_in signs in with it
CITIES = ("thanh-hoa", "chi-linh")
QUIET_MS = 100
SETTLE_LIMIT_S = 30

# Installed before the page's own scripts: counts callback requests in flight, notes the time of
# every DOM change, and takes the first click after `arm()` as the input event.
OBSERVER = """
window.__ia = {inflight: 0, last: 0, start: null, done: null, armed: false, changes: 0, answered: null,
               updates: 0, subscribed: false};
(function () {
  const ia = window.__ia;
  const fetched = window.fetch;
  window.fetch = function () {
    ia.inflight++;
    return fetched.apply(this, arguments).then(function (response) {
      return response.clone().text().then(function () {
        ia.inflight--; ia.answered = performance.now(); return response;
      });
    }, function (error) { ia.inflight--; throw error; });
  };
  new MutationObserver(function () { ia.last = performance.now(); ia.changes++; })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('click', function (event) {
    if (!ia.armed) { return; }
    ia.armed = false; ia.start = event.timeStamp; ia.last = event.timeStamp; ia.changes = 0; ia.answered = null;
  }, true);
  setInterval(function () {
    if (ia.start !== null && ia.done === null && ia.inflight === 0 && performance.now() - ia.last >= %(quiet)d) {
      ia.done = ia.last;
    }
  }, 5);
  window.__arm = function () {
    if (window.store && !ia.subscribed) {
      ia.subscribed = true;
      window.store.subscribe(function () { if (ia.start !== null && ia.done === null) { ia.updates++; } });
    }
    ia.armed = true; ia.start = null; ia.done = null; ia.updates = 0;
  };
})();
""" % {"quiet": QUIET_MS}

WARD_PATHS = "document.querySelectorAll('.big-map path.leaflet-interactive')"


def browser():
    from selenium import webdriver

    driver = webdriver.Chrome(options=chrome_options())
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
    return driver


def settled(driver) -> tuple[float | None, float | None, int | None]:
    """Milliseconds from the armed input event to the last change it caused, and to the last
    server answer it waited for (None: no end in time; no request: 0); the store's notifications
    meanwhile."""
    deadline = time.time() + SETTLE_LIMIT_S
    while time.time() < deadline:
        done, start, answered, updates = driver.execute_script(
            "return [window.__ia.done, window.__ia.start, window.__ia.answered, window.__ia.updates];")
        if done is not None and start is not None:
            return done - start, max(0.0, answered - start) if answered is not None else 0.0, updates
        time.sleep(0.05)
    return None, None, None


# What shows that a page's content is there (besides nothing in flight and a quiet DOM).
MAP_READY = f"{WARD_PATHS}.length > 0 && !!document.querySelector('#map-counts div')"
CONTENT = {  # element ids as in components/ids.py: filled by the page's callbacks
    "/": "!!document.querySelector('#overview-cards > *')",
    "/map": MAP_READY,
    "/services": "!!document.querySelector('#services-cards > *')",
    "/operations": "(document.querySelector('#ops-updated') || {textContent: ''}).textContent.trim().length > 0",
}
PAGE_QUIET_MS = 300


def page_ready(driver, content: str = MAP_READY) -> float | None:
    """Milliseconds from navigation to the last DOM change once the page's content is there,
    nothing is in flight and nothing changed for PAGE_QUIET_MS (None: not in SETTLE_LIMIT_S)."""
    deadline = time.time() + SETTLE_LIMIT_S
    while time.time() < deadline:
        last = driver.execute_script(f"return ({content}) && window.__ia.inflight === 0 && performance.now() - "
                                     f"window.__ia.last > {PAGE_QUIET_MS} ? window.__ia.last : null;")
        if last is not None:
            return last
        time.sleep(0.05)
    return None


def click_script(selector: str) -> str:
    return f"window.__arm(); document.querySelector({json.dumps(selector)}).click();"


def open_menu(driver, selector: str) -> None:
    """Opens a dropdown (not timed: the choice of an option is the input)."""
    driver.execute_script(f"document.querySelector({json.dumps(selector)}).scrollIntoView();")
    driver.find_element("css selector", selector).click()
    time.sleep(0.3)


# The options of the dropdown that is open. Not every `[role=option]`: Dash's radio items (the
# language, the theme, the period kind) are options too, and a step once clicked those.
OPEN_OPTIONS = ".dash-dropdown-content [role=option]"


def city_option_script(city_name: str) -> str:
    """Arms, then clicks the open dropdown's option whose text is the city's name."""
    return ("window.__arm(); const wanted = %s;"
            f"const option = Array.from(document.querySelectorAll('{OPEN_OPTIONS}'))"
            ".find(function (o) { return o.textContent.trim() === wanted; });"
            "if (!option) { throw new Error('no option ' + wanted); } option.click();") % json.dumps(city_name)


def other_option_script(index: int) -> str:
    """Arms, then clicks the `index`-th option of the open dropdown that is not the chosen one."""
    return ("window.__arm(); const options = Array.from(document.querySelectorAll("
            f"'{OPEN_OPTIONS}[aria-selected=false]'));"
            "if (!options.length) { throw new Error('no other option'); }"
            f"options[{index} % options.length].click();")


def metric_names() -> list[str]:
    from domain import map_layers as registry

    return [item.name for item in registry.METRICS]


def city_names() -> dict[str, str]:
    from data_access.places import list_cities

    return {c["slug"]: c["name_vi"] for c in list_cities()}


def interactions(reps: int) -> dict[str, tuple[str, list]]:
    """Per interaction: the page it starts on, and the script of each repetition (a pair
    (dropdown, script): open that dropdown first, untimed)."""
    from components import ids
    from components.period_controls import COMPARISONS

    metrics = metric_names()
    names = city_names()
    services = ids.period_ids("services")
    map_page = f"/map?city={CITIES[0]}&lang=vi"

    def ward_click(index: int) -> str:
        return (f"window.__arm(); const paths = {WARD_PATHS}; const path = paths[{index} % paths.length];"
                "path.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));")
    return {
        "layer_toggle": (map_page, [click_script("#map-layers input[value='wards']") for _ in range(reps)]),
        "metric_change": (map_page, [click_script(f"#map-metric input[value='{metrics[(i + 1) % len(metrics)]}']")
                                     for i in range(reps)]),
        "status_filter": (map_page, [click_script("#map-status input[value='online']") for _ in range(reps)]),
        "ward_click": (map_page, [ward_click(7 * i + 3) for i in range(reps)]),
        "city_switch": (map_page, [(f"#{ids.CITY_SELECT}", city_option_script(names[CITIES[(i + 1) % 2]]))
                                   for i in range(reps)]),
        "language_switch": (map_page, [click_script(f"#shell-lang-select input[value='{('en', 'vi')[i % 2]}']")
                                       for i in range(reps)]),
        "services_period": ("/services?lang=vi", [(f"#{services['period']}", other_option_script(i))
                                                  for i in range(reps)]),
        "services_kind": ("/services?lang=vi", [
            click_script(f"#{services['kind']} input[value='{('quarter', 'year')[i % 2]}']") for i in range(reps)]),
        "services_comparison": ("/services?lang=vi", [
            click_script(f"#{services['compare']} input[value='{COMPARISONS[(i + 1) % len(COMPARISONS)]}']")
            for i in range(reps)]),
        "overview_year": ("/?lang=vi", [(f"#{ids.OVERVIEW_YEAR}", other_option_script(i)) for i in range(reps)]),
    }


def content_of(path: str) -> str:
    return CONTENT[path.split("?")[0]]


def measure_interaction(base: str, path: str, steps: list, reps: int, limit: float) -> dict:
    """One interaction's repetitions in a fresh browser on its freshly loaded page, under a watchdog."""
    driver = browser()
    times: list[float | None] = []
    answers: list[float | None] = []
    updates: list[int | None] = []
    cut, error = False, None
    try:
        with Watchdog(driver, limit) as dog:
            try:
                sign_in(driver, base)
                driver.get(f"{base}{path}")
                page_ready(driver, content_of(path))
                for step in steps:
                    if isinstance(step, tuple):
                        open_menu(driver, step[0])
                        step = step[1]
                    driver.execute_script(step)
                    took, answered, notified = settled(driver)
                    times.append(took)
                    answers.append(answered)
                    updates.append(notified)
                    page_ready(driver, content_of(path))
                    time.sleep(0.2)
            except Exception as exc:  # the watchdog's kill, or a page that broke: reported, not raised
                error = None if dog.fired else f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        cut = dog.fired
    finally:
        hard_quit(driver)
    result = summary(times, reps, cut or error is not None)
    answered = sorted(a for a in answers if a is not None)
    result["answered_median_ms"] = round(statistics.median(answered), 1) if answered else None
    notified = [n for n in updates if n is not None]
    result["store_updates_median"] = statistics.median(notified) if notified else None
    if error:
        result["error"] = error
    return result


def page_run(base: str, path: str, limit: float) -> tuple[float | None, float | None]:
    """Seconds of a first and a repeat load of the page in a fresh browser (None: that load failed)."""
    loads: list[float | None] = [None, None]
    driver = browser()
    try:
        with Watchdog(driver, limit) as dog:
            try:
                sign_in(driver, base)
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                for index in (0, 1):
                    driver.get(f"{base}{path}?lang=vi")
                    ready = page_ready(driver, CONTENT[path])
                    loads[index] = ready / 1000 if ready is not None else None
            except Exception as exc:  # the watchdog's kill, or a page that broke: the run is missing
                if not dog.fired:
                    print(f"  {path}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", flush=True)
    finally:
        hard_quit(driver)
    return loads[0], loads[1]


def in_turn(index: int, trees: dict[str, str]) -> list[tuple[str, str]]:
    """The trees in the order of the `index`-th turn: the first tree goes first on even turns and
    last on odd ones, so neither is always the one measured on a colder or busier machine (the same
    commit measured first loaded its pages 15-25 % slower)."""
    order = list(trees.items())
    return order if index % 2 == 0 else order[::-1]


def measure(trees: dict[str, str], reps: int, limit: float, only: set[str] | None = None) -> dict[str, dict]:
    """Per tree (label → base URL), every interaction (or those in `only`); the trees take turns."""
    results: dict[str, dict] = {label: {} for label in trees}
    chosen = [(name, spec) for name, spec in interactions(reps).items() if not only or name in only]
    for index, (name, (path, steps)) in enumerate(chosen):
        for label, base in in_turn(index, trees):
            results[label][name] = measure_interaction(base, path, steps, reps, limit)
            print(f"  {label:8s} {name:20s} {results[label][name]}", flush=True)
    return results


PAGES = ("/", "/map", "/services", "/operations")


def measure_pages(trees: dict[str, str], runs: int, limit: float,
                  pages: tuple[str, ...] = PAGES) -> dict[str, dict]:
    """Per tree, the first and repeat load of each page, `runs` times, each pair in a fresh browser;
    the trees take turns run by run."""
    loads = {label: {path: ([], []) for path in pages} for label in trees}
    turn = 0
    for path in pages:
        for _ in range(runs):
            for label, base in in_turn(turn, trees):
                first, repeat = page_run(base, path, limit)
                loads[label][path][0].append(first)
                loads[label][path][1].append(repeat)
            turn += 1
    out: dict[str, dict] = {}
    for label, by_path in loads.items():
        out[label] = {path: {"first": spread_s(first), "repeat": spread_s(repeat)}
                      for path, (first, repeat) in by_path.items()}
        for path, figures in out[label].items():
            print(f"  {label:8s} {path:20s} first {figures['first']}, repeat {figures['repeat']}", flush=True)
    return out


def spread_s(values: list[float | None]) -> dict:
    finished = sorted(v for v in values if v is not None)
    if not finished:
        return {"min_s": None, "median_s": None, "max_s": None, "runs": 0, "of": len(values)}
    return {"min_s": round(finished[0], 3), "median_s": round(statistics.median(finished), 3),
            "max_s": round(finished[-1], 3), "runs": len(finished), "of": len(values)}


def summary(times: list[float | None], reps: int, cut: bool) -> dict:
    finished = sorted(t for t in times if t is not None)
    out = {"runs": len(finished), "of": reps, "cut": cut or len(finished) < reps}
    if not finished:
        return {**out, "min_ms": None, "median_ms": None, "p95_ms": None, "max_ms": None}
    p95 = finished[min(len(finished) - 1, round(0.95 * (len(finished) - 1)))]
    return {**out, "min_ms": round(finished[0], 1), "median_ms": round(statistics.median(finished), 1),
            "p95_ms": round(p95, 1), "max_ms": round(finished[-1], 1)}


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def presenters_p95(limit: float) -> dict | None:
    """`benchmarks/presenters.py --no-peer`: the meeting's p95 in seconds and its errors (None: it failed)."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "presenters.py"), "--no-peer"], cwd=ROOT,
                          capture_output=True, text=True, timeout=max(limit, 900))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        print(f"presenters: failed ({done.returncode}): {done.stderr.strip()[-300:]}", flush=True)
        return None
    result = json.loads(lines[-1])
    print(f"presenters: p95 {result['presenters_p95_s']} s, errors {result['errors']}", flush=True)
    return {"p95_s": result["presenters_p95_s"], "errors": result["errors"]}


def worst(results: dict[str, dict]) -> tuple[str, float | None]:
    known = {name: r["p95_ms"] for name, r in results.items() if r["p95_ms"] is not None}
    if not known:
        return "", None
    name = max(known, key=known.get)
    return name, known[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--page-runs", type=int, default=3, help="first and repeat loads of each page")
    parser.add_argument("--limit", type=float, default=300, help="seconds a browser session may take")
    parser.add_argument("--no-baseline", action="store_true", help="measure this tree only")
    parser.add_argument("--no-presenters", action="store_true", help="skip the fifty-presenter meeting")
    parser.add_argument("--base", default="HEAD", help="the commit the peer is served from")
    parser.add_argument("--only", default="", help="comma-separated interactions to measure (default: all)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages to load ('' for none)")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name} or None
    pages = tuple(path for path in args.pages.split(",") if path)

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
        trees = {"ours": ROOT}
        if not args.no_baseline:
            subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.base], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            trees["baseline"] = worktree
        for label, cwd in trees.items():
            print(f"{label} ({cwd})", flush=True)
        servers = {}
        try:
            for label, cwd in trees.items():
                servers[label] = start_gunicorn(cwd, env)
            bases = {label: base for label, (_, base) in servers.items()}
            measured = measure(bases, args.reps, args.limit, only)
            loaded = measure_pages(bases, args.page_runs, args.limit, pages)
        finally:
            for server, _ in servers.values():
                stop(server)
        ours, ours_pages = measured["ours"], loaded["ours"]
        baseline, baseline_pages = measured.get("baseline", {}), loaded.get("baseline", {})
        load_after = load_average()
    finally:
        if worktree.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)
    presenters = None if args.no_presenters else presenters_p95(args.limit)

    print(f"{'interaction':20s} {'ours min/median/p95/max ms':>34s}   {'baseline min/median/p95/max ms':>34s}")
    for name, figures in ours.items():
        row = [f"{figures[k]}" for k in ("min_ms", "median_ms", "p95_ms", "max_ms")]
        peer = baseline.get(name)
        peer_row = [f"{peer[k]}" for k in ("min_ms", "median_ms", "p95_ms", "max_ms")] if peer else ["-"]
        print(f"{name:20s} {' / '.join(row):>34s}   {' / '.join(peer_row):>34s}")
    print(f"load average before {load_before}, after {load_after}")
    worst_name, worst_p95 = worst(ours)
    _, baseline_p95 = worst(baseline) if baseline else ("", None)

    def medians(pages: dict, which: str) -> dict:
        return {path: figures[which]["median_s"] for path, figures in pages.items()}
    result = {"interaction_p95_ms": worst_p95, "interaction_worst": worst_name,
              "page_first_s": medians(ours_pages, "first"), "page_repeat_s": medians(ours_pages, "repeat"),
              "presenters_p95_s": presenters["p95_s"] if presenters else None,
              "baseline_interaction_p95_ms": baseline_p95,
              "speedup": round(baseline_p95 / worst_p95, 1) if worst_p95 and baseline_p95 else None,
              "per_interaction_p95_ms": {name: r["p95_ms"] for name, r in ours.items()},
              "baseline_per_interaction_p95_ms": {name: r["p95_ms"] for name, r in baseline.items()},
              "baseline_page_first_s": medians(baseline_pages, "first"),
              "baseline_page_repeat_s": medians(baseline_pages, "repeat"),
              "pages": ours_pages, "presenters": presenters,
              "cut": [f"{label}:{name}" for label, results in (("ours", ours), ("baseline", baseline))
                      for name, r in results.items() if r["cut"]],
              "loadavg": [load_before, load_after]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
