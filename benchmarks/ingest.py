"""Benchmark: the live feed, broker → ingester → row visible in the IOC database.

    python benchmarks/ingest.py [--messages 50000] [--peer-messages 5000] [--broker mqtt://127.0.0.1:1883]

Builds Chí Linh's demo in a temporary folder, starts `manage.py ingest-mqtt` as its
own process (as in production) and publishes readings with QoS 1 at a steady rate
(sensors report at a pace, not in one burst; `--rate`). Every message carries one
value and its index in its timestamp, so a poller that reads the new rows every 20 ms
knows when each message became visible: latency is publish → row visible (±20 ms),
rate is rows per second from the first publish to the last row, lost = messages
whose row never appeared.

The peer is the same ingester on one connection writing one transaction per message
(`--batch 1 --links 1`), on a smaller run, to show what batching and links buy. The last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.feed import CITY, build_demo, ingester, publish_and_watch  # noqa: E402  (project on the path)


def run_once(engine, ioc_url: str, broker: str, messages: int, batch: int, rate: float, links: int) -> dict:
    """Start an ingester process, publish `messages` readings at `rate` a second, measure."""
    with ingester(ioc_url, broker, batch=batch, links=links):
        return publish_and_watch(engine, broker, messages, rate).figures()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--peer-messages", type=int, default=5_000)
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--rate", type=float, default=2500, help="Messages published per second (sustained).")
    parser.add_argument("--links", type=int, default=4, help="Broker connections of the ingester.")
    args = parser.parse_args()
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
    result = dict(batched, peer_rate_per_s=peer["rate_per_s"], peer_p95_s=peer["p95_s"],
                  ratio=round(batched["rate_per_s"] / peer["rate_per_s"], 1) if peer["rate_per_s"] else None)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
