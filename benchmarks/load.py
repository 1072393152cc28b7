"""Benchmark: many screens polling at once, against gunicorn + PostgreSQL + Redis, and the
same load against a peer with no cache and one sync worker, in the same run.

    python benchmarks/load.py [--screens 200,1000,2000] [--poll 30] [--duration 60]

It builds Thanh Hóa's demo in two temporary PostgreSQL databases (dropped at the end),
starts the app with `gunicorn -c gunicorn.conf.py` (APP_ENV=production, Redis cache in
Redis database 13 under the usual `ioc:` prefix, removed at the end), and drives screens
from one asyncio process (aiohttp), localhost only. Half the screens are public kiosks
(anonymous: the /public page's callback and /api/v1/public/kpi), half are wall screens
signed in as a leader (the operations page's refresh callback and the overview
callback). Each screen polls every `--poll` seconds from a random start, for
`--duration` seconds; a request counts as an error when it is not 200 or takes more
than 10 s; requests/s counts the answered ones (200). Saturation (first): 16 clients ask back
to back for 20 s. Before the runs, 5 s of the same unmeasured (workers import what their
first requests need; caches fill). The operations refresh is not cached by design (it
probes the database to decide what to redraw), so it is reported apart too.

The cache hit rate is read from the server's own /metrics (ioc_cache_lookups_total,
all workers) over the 1,000-screen run. Worker RSS is read from /proc after the runs.
The client shares the 2 cores with the server, so the figures are on the safe side.
The last line is JSON; its top-level p95_ms, errors and hit_rate are the 1,000-screen run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = "redis://127.0.0.1:6379/13"
DEMO_NOW = "2026-11-20T10:00"
CITY = "thanh-hoa"
REQUEST_TIMEOUT_S = 10.0
# The peer of the serving benchmarks: the same app with no cache and one sync worker.
PEER_ENV = {"REDIS_URL": "", "CACHE_ENABLED": "0", "WEB_WORKERS": "1", "WEB_THREADS": "1"}
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


# --- databases ---------------------------------------------------------------------------------

def create_databases() -> tuple[list[str], dict[str, str]]:
    import psycopg
    from psycopg import sql

    names = [f"bench_ioc_{uuid.uuid4().hex[:8]}", f"bench_kpi_{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return names, {"IOC_DATABASE_URL": f"{base}/{names[0]}", "KPI_DATABASE_URL": f"{base}/{names[1]}"}


def build_demo(urls: dict[str, str], password: str) -> float:
    """Thanh Hóa's demo in the databases at `urls`, every demo account with `password`; seconds taken."""
    started = time.perf_counter()
    build = subprocess.run([PYTHON, "manage.py", "demo", "--city", CITY, "--seed", "2022", "--now", DEMO_NOW],
                           cwd=ROOT, env={**os.environ, **urls, "DEMO_PASSWORD": password, "APP_ENV": "development"},
                           capture_output=True, text=True, timeout=900)
    if build.returncode != 0:
        raise SystemExit(f"demo build failed: {build.stderr[-2000:]}")
    return time.perf_counter() - started


def drop_databases(names: list[str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def tear_down(servers: list, names: list[str]) -> None:
    """Stop every server a run started, drop its databases and empty its Redis keys."""
    for server in servers:
        server.stop()
    drop_databases(names)
    clear_redis()


def clear_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match="ioc:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])


# --- servers -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base: str
    log: Path
    metrics_token: str

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(round(int(match.group(1)) / 1024, 1))
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_server(name: str, env_extra: dict[str, str], folder: Path) -> Server:
    port = free_port()
    token = secrets.token_hex(16)
    env = {**os.environ, **env_extra, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "HOST": "127.0.0.1", "PORT": str(port), "METRICS_TOKEN": token, "TILE_URL": ""}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = folder / f"{name}.log"
    process = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "app:server"], cwd=ROOT, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return Server(name, process, base, log, token)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{name} server not ready after 90 s: {log.read_text()[-2000:]}")


def sign_in(base: str, username: str, password: str) -> str:
    """The session cookie of a signed-in user (the cookie is Secure in production, so it is
    carried by hand over plain localhost HTTP)."""
    with urllib.request.urlopen(base + "/login", timeout=10) as response:
        page = response.read().decode()
        cookie = _session_cookie(response.headers.get_all("Set-Cookie") or [])
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf": csrf, "next": "/"}).encode()
    request = urllib.request.Request(base + "/login", data=body, headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as redirect:
        response = redirect
    signed = _session_cookie(response.headers.get_all("Set-Cookie") or [])
    if response.status != 303 or not signed:
        raise SystemExit(f"cannot sign in as {username}: HTTP {response.status}")
    return signed


def _session_cookie(headers: list[str]) -> str:
    for header in headers:
        if header.startswith("ioc_session="):
            return header.split(";", 1)[0]
    return ""


def scrape_lookups(server: Server) -> dict[str, float]:
    request = urllib.request.Request(server.base + "/metrics",
                                     headers={"Authorization": f"Bearer {server.metrics_token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    found = {}
    for line in text.splitlines():
        match = re.match(r'ioc_cache_lookups_total\{result="(\w+)"\} ([0-9.e+]+)', line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


# --- the screens -------------------------------------------------------------------------------

def dependencies(base: str, cookie: str) -> list[dict]:
    request = urllib.request.Request(base + "/_dash-dependencies", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _component_id(text: str):
    return json.loads(text) if text.startswith("{") else text


def _outputs(output: str):
    if not output.startswith(".."):
        component, prop = output.rsplit(".", 1)
        return {"id": _component_id(component), "property": prop}
    parts = output[2:-2].split("...")
    return [{"id": _component_id(part.rsplit(".", 1)[0]), "property": part.rsplit(".", 1)[1]} for part in parts]


def callback_body(deps: list[dict], output_id: str, values: dict[str, object]) -> dict:
    """A /_dash-update-component body for the callback that outputs `output_id`, with input
    values from `values` (by component id; others None), as the browser would send it."""
    for dep in deps:
        if f"..{output_id}." in dep["output"] or dep["output"].startswith(output_id + "."):
            def filled(items):
                return [{"id": _component_id(item["id"]), "property": item["property"],
                         "value": values.get(item["id"])} for item in items]
            inputs = filled(dep["inputs"])
            return {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs,
                    "state": filled(dep.get("state", [])),
                    "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
    raise SystemExit(f"no callback outputs {output_id!r}; has the page changed?")


@dataclass
class Screen:
    kind: str
    requests: list[tuple[str, str, str, dict | None]]   # (name, method, path, json body)
    cookie: str = ""


def make_screens(deps: list[dict], leader_cookie: str, count: int) -> list[Screen]:
    from components import ids
    from domain.city_time import city_today

    common = {ids.CITY_SELECT: CITY, ids.LANG_SELECT: "vi", ids.THEME_SELECT: "light"}
    year = city_today().year
    kiosk = [("public_page", "POST", "/_dash-update-component", callback_body(deps, ids.PUBLIC_BODY, common)),
             ("public_kpi_api", "GET", f"/api/v1/public/kpi?city={CITY}&year={year - 1}", None)]
    wall = [("operations_refresh", "POST", "/_dash-update-component",
             callback_body(deps, ids.OPS_UPDATED, {**common, ids.OPS_INTERVAL: 1})),
            ("overview", "POST", "/_dash-update-component",
             callback_body(deps, ids.OVERVIEW_CARDS, {**common, ids.OVERVIEW_YEAR: year - 1}))]
    return [Screen("kiosk", kiosk) if i % 2 == 0 else Screen("wall", wall, leader_cookie) for i in range(count)]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    by_name: dict[str, list[float]] = field(default_factory=dict)
    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    stale: int = 0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def _ask(session, base: str, screen: Screen, name: str, method: str, path: str, body, tally: Tally) -> None:
    import aiohttp

    headers = {"Cookie": screen.cookie} if screen.cookie else {}
    started = time.perf_counter()
    try:
        async with session.request(method, base + path, json=body, headers=headers) as response:
            await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            tally.latencies_ms.append(elapsed)
            tally.by_name.setdefault(name, []).append(elapsed)
            if response.headers.get("X-IOC-Stale"):
                tally.stale += 1
            if response.status == 200:
                tally.ok += 1
            else:
                tally.error(f"http_{response.status}")
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        tally.error(type(exc).__name__)


async def run_screens(base: str, screens: list[Screen], poll_s: float, duration_s: float) -> tuple[Tally, float]:
    import aiohttp

    tally = Tally()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        started = time.monotonic()
        end = started + duration_s

        async def one(screen: Screen) -> None:
            await asyncio.sleep(random.uniform(0, poll_s))
            while time.monotonic() < end:
                tick = time.monotonic()
                for name, method, path, body in screen.requests:
                    await _ask(session, base, screen, name, method, path, body, tally)
                await asyncio.sleep(max(0.0, poll_s - (time.monotonic() - tick)))
        await asyncio.gather(*(one(screen) for screen in screens))
        return tally, time.monotonic() - started


async def saturate(base: str, screens: list[Screen], clients: int, duration_s: float) -> tuple[Tally, float]:
    import aiohttp

    tally = Tally()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        started = time.monotonic()
        end = started + duration_s

        async def client(index: int) -> None:
            screen = screens[index % len(screens)]
            while time.monotonic() < end:
                for name, method, path, body in screen.requests:
                    await _ask(session, base, screen, name, method, path, body, tally)
        await asyncio.gather(*(client(i) for i in range(clients)))
        return tally, time.monotonic() - started


def summary(tally: Tally, elapsed_s: float) -> dict:
    def pct(values: list[float], q: float) -> float | None:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else None
    values = tally.latencies_ms
    return {"requests": len(values), "rps": round(tally.ok / elapsed_s, 1), "p50_ms": pct(values, 0.50),
            "p95_ms": pct(values, 0.95), "p99_ms": pct(values, 0.99), "errors": tally.errors,
            "error_kinds": tally.error_kinds, "stale": tally.stale,
            "mean_ms": round(statistics.fmean(values), 1) if values else None,
            "p95_ms_by_request": {name: pct(times, 0.95) for name, times in sorted(tally.by_name.items())}}


def hit_rate(before: dict[str, float], after: dict[str, float]) -> tuple[float | None, dict[str, int]]:
    delta = {key: int(after.get(key, 0) - before.get(key, 0)) for key in set(after) | set(before)}
    total = sum(delta.values())
    return (round(delta.get("hit", 0) / total, 4) if total else None), delta


# --- the run -----------------------------------------------------------------------------------

def measure(server: Server, deps_cookie: str, counts: list[int], poll_s: float, duration_s: float,
            with_metrics: bool) -> dict:
    deps = dependencies(server.base, deps_cookie)
    # Warm-up, not measured: every worker imports what its first requests need, caches fill.
    # The peer gets one client only, so that no backlog of queued requests is left behind.
    warm = 16 if with_metrics else 1
    asyncio.run(saturate(server.base, make_screens(deps, deps_cookie, warm), warm, 5.0))
    drain(server)
    results = {}
    screens = make_screens(deps, deps_cookie, 16)
    tally, elapsed = asyncio.run(saturate(server.base, screens, 16, 20.0))
    results["saturation"] = summary(tally, elapsed)
    s = results["saturation"]
    print(f"{server.name:<5} saturation (16 clients back to back): {s['rps']} req/s, p50 {s['p50_ms']} ms, "
          f"p95 {s['p95_ms']} ms, errors {s['errors']}; p95 by request {s['p95_ms_by_request']}", flush=True)
    for count in counts:
        drain(server)
        screens = make_screens(deps, deps_cookie, count)
        before = scrape_lookups(server) if with_metrics else {}
        tally, elapsed = asyncio.run(run_screens(server.base, screens, poll_s, duration_s))
        result = summary(tally, elapsed)
        if with_metrics:
            result["hit_rate"], result["cache_lookups"] = hit_rate(before, scrape_lookups(server))
        results[str(count)] = result
        print(f"{server.name:<5} {count:>5} screens: {result['requests']:>6} req, {result['rps']:>6} req/s, "
              f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
              f"errors {result['errors']} {result['error_kinds'] or ''}"
              + (f", hit rate {result['hit_rate']}" if with_metrics else "")
              + f"; p95 by request {result['p95_ms_by_request']}", flush=True)
    return results


def drain(server: Server, limit_s: float = 90.0) -> None:
    """Wait until requests queued by an earlier load (clients gone, server still busy) are done."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", default="200,1000,2000")
    parser.add_argument("--peer-screens", default=None, help="default: the same as --screens")
    parser.add_argument("--poll", type=float, default=30.0, help="seconds between a screen's polls")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each load runs")
    args = parser.parse_args()
    counts = [int(n) for n in args.screens.split(",")]
    peer_counts = [int(n) for n in (args.peer_screens or args.screens).split(",")]
    folder = Path(tempfile.mkdtemp(prefix="ioc-load-"))
    password = secrets.token_urlsafe(16)
    names, urls = create_databases()
    servers: list[Server] = []
    try:
        print(f"demo on PostgreSQL built in {build_demo(urls, password):.1f} s", flush=True)
        clear_redis()
        ours = start_server("ours", {**urls, "REDIS_URL": REDIS_URL}, folder)
        servers.append(ours)
        cookie = sign_in(ours.base, "lanhdao", password)
        ours_results = measure(ours, cookie, counts, args.poll, args.duration, with_metrics=True)
        rss = ours.rss_mb()
        print(f"ours: {len(rss)} workers, RSS {rss} MB", flush=True)
        ours.stop()
        peer = start_server("peer", {**urls, **PEER_ENV}, folder)
        servers.append(peer)
        peer_cookie = sign_in(peer.base, "lanhdao", password)
        peer_results = measure(peer, peer_cookie, peer_counts, args.poll, args.duration, with_metrics=False)
        peer.stop()
    finally:
        tear_down(servers, names)
    headline = ours_results.get("1000") or ours_results[str(counts[-1])]
    ours_rps, peer_rps = ours_results["saturation"]["rps"], peer_results["saturation"]["rps"]
    if peer_rps:
        ratio = f"{ours_rps / peer_rps:.1f}"
    else:  # nothing answered in 20 s: the peer's throughput is below one request per 20 s
        ratio = f">={ours_rps / (1 / 20.0):.0f}"
    print(f"saturation throughput: ours {ours_rps} req/s, peer {peer_rps} req/s (ratio {ratio})")
    print(json.dumps({"p95_ms": headline["p95_ms"], "errors": headline["errors"], "hit_rate": headline.get("hit_rate"),
                      "poll_s": args.poll, "duration_s": args.duration, "ours": ours_results,
                      "peer": peer_results, "worker_rss_mb": rss,
                      "throughput_ratio": ratio}))


if __name__ == "__main__":
    main()
