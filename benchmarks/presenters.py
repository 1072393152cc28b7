"""Benchmark: a paperless meeting, fifty staff changing the period and the comparison on
`/services` and `/digital` at once, against gunicorn + PostgreSQL + Redis, and the same
meeting against a peer with no cache and one sync worker, in the same run.

    python benchmarks/presenters.py [--presenters 50] [--changes 12] [--think 1.0]

It builds Thanh Hóa's demo in two temporary PostgreSQL databases (dropped at the end) and
starts the app as README recommends for 2 cores (`gunicorn -c gunicorn.conf.py`,
APP_ENV=production, Redis cache in Redis database 13, removed at the end), the helpers of
`benchmarks/load.py`. Each presenter signs in as its own staff user and makes `--changes`
changes, each a random page (services or digital), period kind (year, quarter, month), period
of that kind and comparison (previous period, same period last year), with a random think time
of up to 2 × `--think` seconds between them. A change is what the browser sends for it: the
page's body callback (the period controls work in the browser, components/period_controls.py);
its time is what the presenter waits for. A change counts as an error when a request is not
200 or takes more than 10 s. The client shares the 2 cores with the server. Before the runs,
5 s of the same unmeasured (workers import what their first requests need).

The last line is JSON: `{"presenters": .., "presenters_p95_s": .., "presenters_p50_s": ..,
"errors": .., "peer_p95_s": .., "speedup": .., "loadavg": ..}` (speedup: the peer's p95 over
ours).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import (  # noqa: E402
    CITY,
    PEER_ENV,
    PYTHON,
    REDIS_URL,
    REQUEST_TIMEOUT_S,
    Server,
    build_demo,
    callback_body,
    clear_redis,
    create_databases,
    dependencies,
    drain,
    sign_in,
    start_server,
    tear_down,
)

PAGES = ("services", "digital")
KINDS = ("year", "quarter", "month")
COMPARISONS = ("previous", "last_year")


def periods_of(kind: str) -> list[str]:
    """The keys the period control offers for `kind` (the demo's years, newest first)."""
    from components.period_controls import period_options

    return [option["value"] for option in period_options(kind)][:8]


def change_requests(deps: list[dict], page: str, kind: str, period: str, compare: str) -> list[dict]:
    """The callback bodies the browser posts when a presenter picks `period` on `page`."""
    from components import ids

    page_ids = ids.period_ids(page)
    body_output = ids.SERVICES_CARDS if page == "services" else ids.DIGITAL_BODY
    values = {ids.CITY_SELECT: CITY, ids.LANG_SELECT: "vi", ids.THEME_SELECT: "dark",
              page_ids["kind"]: kind, page_ids["period"]: period, page_ids["to"]: None,
              page_ids["compare"]: compare}
    return [callback_body(deps, body_output, values)]


@dataclass
class Meeting:
    change_s: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def _post(session, base: str, cookie: str, body: dict, meeting: Meeting) -> bool:
    import aiohttp

    try:
        async with session.post(base + "/_dash-update-component", json=body, headers={"Cookie": cookie}) as answer:
            await answer.read()
            if answer.status != 200:
                meeting.error(f"http_{answer.status}")
                return False
            return True
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        meeting.error(type(exc).__name__)
        return False


async def run_meeting(base: str, deps: list[dict], cookies: list[str], changes: int, think_s: float,
                      seed: int) -> Meeting:
    """Every presenter's changes, concurrently; a bounded loop (each presenter stops after `changes`)."""
    import aiohttp

    meeting = Meeting()
    choices = {kind: periods_of(kind) for kind in KINDS}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        async def presenter(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            await asyncio.sleep(rng.uniform(0, think_s))
            for _ in range(changes):
                kind = rng.choice(KINDS)
                bodies = change_requests(deps, rng.choice(PAGES), kind, rng.choice(choices[kind]),
                                         rng.choice(COMPARISONS))
                started = time.perf_counter()
                answers = await asyncio.gather(*(_post(session, base, cookies[index], body, meeting)
                                                 for body in bodies))
                if all(answers):
                    meeting.change_s.append(time.perf_counter() - started)
                await asyncio.sleep(rng.uniform(0, 2 * think_s))
        await asyncio.gather(*(presenter(i) for i in range(len(cookies))))
    return meeting


def percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else None


def summary(meeting: Meeting) -> dict:
    values = meeting.change_s
    return {"changes": len(values), "errors": meeting.errors, "error_kinds": meeting.error_kinds,
            "min_s": round(min(values), 3) if values else None, "p50_s": percentile(values, 0.5),
            "p95_s": percentile(values, 0.95), "max_s": round(max(values), 3) if values else None}


def add_presenters(urls: dict[str, str], count: int, password: str) -> list[str]:
    """Staff accounts presenter-01 … presenter-NN (one session each, as at a real meeting)."""
    names = [f"presenter-{i + 1:02d}" for i in range(count)]
    script = ("import sys\nfrom security.accounts import create_user\nfrom security.passwords import hash_password\n"
              "digest = hash_password(sys.argv[1])\n"
              "for name in sys.argv[2:]:\n    create_user(name, digest, 'staff')\n")
    done = subprocess.run([PYTHON, "-c", script, password, *names], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **urls, "APP_ENV": "development"}, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"cannot create presenters: {done.stderr[-2000:]}")
    return names


def measure(server: Server, names: list[str], password: str, changes: int, think_s: float) -> dict:
    cookies = [sign_in(server.base, name, password) for name in names]
    deps = dependencies(server.base, cookies[0])
    asyncio.run(run_meeting(server.base, deps, cookies[:5], 3, 0.1, seed=0))  # warm-up, not measured
    drain(server)
    load_before = os.getloadavg()[0]
    result = summary(asyncio.run(run_meeting(server.base, deps, cookies, changes, think_s, seed=1)))
    result["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(f"{server.name:<5} {len(names)} presenters: {result['changes']} changes, p50 {result['p50_s']} s, "
          f"p95 {result['p95_s']} s, max {result['max_s']} s, errors {result['errors']} "
          f"{result['error_kinds'] or ''}, load {result['loadavg']}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presenters", type=int, default=50)
    parser.add_argument("--changes", type=int, default=12, help="changes each presenter makes")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a presenter's changes")
    parser.add_argument("--no-peer", action="store_true", help="measure this project only")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ioc-presenters-"))
    password = secrets.token_urlsafe(16)
    names, urls = create_databases()
    servers: list[Server] = []
    try:
        build_demo(urls, password)
        presenters = add_presenters(urls, args.presenters, password)
        clear_redis()
        ours = start_server("ours", {**urls, "REDIS_URL": REDIS_URL}, folder)
        servers.append(ours)
        ours_result = measure(ours, presenters, password, args.changes, args.think)
        ours.stop()
        peer_result = None
        if not args.no_peer:
            peer = start_server("peer", {**urls, **PEER_ENV}, folder)
            servers.append(peer)
            peer_result = measure(peer, presenters, password, args.changes, args.think)
            peer.stop()
    finally:
        tear_down(servers, names)
    peer_p95 = peer_result["p95_s"] if peer_result else None
    speedup = round(peer_p95 / ours_result["p95_s"], 1) if peer_p95 and ours_result["p95_s"] else None
    print(json.dumps({"presenters": args.presenters, "presenters_p95_s": ours_result["p95_s"],
                      "presenters_p50_s": ours_result["p50_s"], "errors": ours_result["errors"],
                      "peer_p95_s": peer_p95, "peer_errors": peer_result["errors"] if peer_result else None,
                      "speedup": speedup, "loadavg": ours_result["loadavg"], "ours": ours_result,
                      "peer": peer_result}))


if __name__ == "__main__":
    main()
