"""Benchmark: the live feed, broker → ingester → row visible in the IOC database.

    python benchmarks/ingest.py [--messages 50000] [--peer-messages 5000] [--broker mqtt://127.0.0.1:1883]
                                [--ceiling-steps 2500,5000,7500,10000,12500] [--step-seconds 20]

Builds Chí Linh's demo in a temporary folder, starts `manage.py ingest-mqtt` as its
own process (as in production) and publishes readings with QoS 1 at a steady rate
(sensors report at a pace, not in one burst; `--rate`). Every message carries one
value and its index in its timestamp, so a poller that reads the new rows every 20 ms
knows when each message became visible: latency is due → row visible (±20 ms),
rate is rows per second from the first message due to the last row, lost = messages
whose row never appeared.

The peer is the same ingester writing one transaction per message (`--batch 1`), on a smaller
run, to show what batching buys.

Then the sustained ceiling: the ingester is offered each rate of `--ceiling-steps` in turn for
`--step-seconds`, on a fresh process each, until a step's p95 passes 1 s, a message is lost or
the last fifth of the step's messages took over a second at p95 (the ingester fell behind and its
backlog grew); `ceiling_per_s` is the highest offered rate that held (0 when none did). The last
line is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.feed import CITY, build_demo, ingester, publish_and_watch  # noqa: E402  (project on the path)


def run_once(engine, ioc_url: str, broker: str, messages: int, batch: int, rate: float, links: int) -> dict:
    """Start an ingester process, publish `messages` readings at `rate` a second, measure; with what
    the ingester counted meanwhile other than accepted readings (rejections, duplicates), which
    says where a lost reading went."""
    from data_access.operations import ingest_counters

    before = ingest_counters()
    with ingester(ioc_url, broker, batch=batch, links=links):
        figures = publish_and_watch(engine, broker, messages, rate).figures()
    after = ingest_counters()
    others = {name: after[name] - before.get(name, 0) for name in after
              if name != "accepted.reading" and after[name] != before.get(name, 0)}
    return dict(figures, **({"ingester_counted": others} if others else {}))


CEILING_P95_S = 1.0


def held(step: dict) -> bool:
    """Whether the ingester kept up with one offered rate: nothing lost, p95 within a second, and
    still within a second at the end of the step (a queue that grows would pass the first p95 on a
    short step, but not the last fifth's)."""
    return (step["lost"] == 0 and all(step[key] is not None and step[key] <= CEILING_P95_S
                                      for key in ("p95_s", "tail_p95_s")))


def ceiling(steps: list[dict]) -> float:
    """The highest offered rate held before the first that was not (steps in increasing order)."""
    best = 0.0
    for step in steps:
        if not held(step):
            break
        best = step["offered_per_s"]
    return best


def find_ceiling(engine, ioc_url: str, broker: str, rates: list[float], step_s: float, links: int) -> list[dict]:
    """Offer each rate in turn (a fresh ingester each) and stop after the first that does not hold."""
    steps = []
    for rate in sorted(rates):
        step = dict(run_once(engine, ioc_url, broker, max(1, int(rate * step_s)), batch=2000, rate=rate,
                             links=links), offered_per_s=rate)
        steps.append(step)
        print(f"offered {rate:g}/s: {step}")
        if not held(step):
            break
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--peer-messages", type=int, default=5_000)
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--rate", type=float, default=2500, help="Messages published per second (sustained).")
    parser.add_argument("--links", type=int, default=1, help="Broker connections of the ingester.")
    parser.add_argument("--ceiling-steps", default="2500,5000,7500,10000,12500",
                        help="Offered rates (messages a second) tried in turn for the sustained ceiling.")
    parser.add_argument("--step-seconds", type=float, default=20.0, help="How long each ceiling step publishes.")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.ceiling_steps.split(",") if rate.strip()]
    from data_access.db import get_engine

    with tempfile.TemporaryDirectory(prefix="ioc-ingest-bench-") as folder:
        started = time.perf_counter()
        ioc_url = build_demo(Path(folder))
        print(f"demo {CITY} built in {time.perf_counter() - started:.1f} s")
        engine = get_engine("ioc")
        batched = run_once(engine, ioc_url, args.broker, args.messages, batch=2000, rate=args.rate,
                           links=args.links)
        print(f"batched ingester: {batched}")
        peer = run_once(engine, ioc_url, args.broker, args.peer_messages, batch=1, rate=args.rate, links=1)
        print(f"peer, one transaction per message: {peer}")
        steps = find_ceiling(engine, ioc_url, args.broker, rates, args.step_seconds, args.links)
    result = dict(batched, peer_rate_per_s=peer["rate_per_s"], peer_p95_s=peer["p95_s"],
                  ratio=round(batched["rate_per_s"] / peer["rate_per_s"], 1) if peer["rate_per_s"] else None,
                  ceiling_per_s=ceiling(steps), ceiling_steps=[
                      {key: step[key] for key in ("offered_per_s", "rate_per_s", "p95_s", "tail_p95_s", "lost")}
                      for step in steps],
                  loadavg=[round(value, 2) for value in os.getloadavg()])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
