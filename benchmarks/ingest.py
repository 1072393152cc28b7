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
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CITY = "chi-linh"


def build_demo(folder: Path) -> str:
    from demo.build import build_city
    from tests.conftest import use_databases

    urls = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    use_databases(*urls)
    build_city(CITY, seed=2022, now=datetime.now())
    return urls[0]


def sensors(engine) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from data_access.models import Sensor

    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(Sensor.id, Sensor.kind).where(Sensor.city_slug == CITY))]


def max_reading_id(engine) -> int:
    from sqlalchemy import func, select

    from data_access.models import Reading

    with engine.connect() as connection:
        return connection.execute(select(func.max(Reading.id))).scalar() or 0


def new_rows(engine, after_id: int) -> list[tuple[int, datetime]]:
    from sqlalchemy import select

    from data_access.models import Reading

    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(Reading.id, Reading.measured_at).where(Reading.id > after_id).order_by(Reading.id))]


def run_once(engine, ioc_url: str, broker: str, messages: int, batch: int, rate: float, links: int) -> dict:
    """Start an ingester process, publish `messages` readings at `rate` a second, measure."""
    from live.broker import QOS, make_client, parse_mqtt_url, topic_reading

    address = parse_mqtt_url(broker)
    client_id = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, IOC_DATABASE_URL=ioc_url, MQTT_URL=broker)
    ingester = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "ingest-mqtt", "--client-id", client_id,
                                 "--batch", str(batch), "--links", str(links)], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_subscription(ingester, links)
        stations = sensors(engine)
        baseline = max_reading_id(engine)
        start = datetime.now().astimezone()
        start_local = start.astimezone().replace(tzinfo=None)
        visible_at: dict[int, float] = {}
        stop = threading.Event()

        def poll() -> None:
            """Note when each message's row first shows up (its index is in measured_at)."""
            last = baseline
            while not stop.is_set():
                rows = new_rows(engine, last)
                moment = time.perf_counter()
                for row_id, measured_at in rows:
                    visible_at.setdefault(round((start_local - measured_at).total_seconds() * 1000), moment)
                    last = row_id
                time.sleep(0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        publisher = make_client(address, f"bench-pub-{uuid.uuid4().hex[:8]}")
        publisher.max_inflight_messages_set(1000)
        publisher.connect(address.host, address.port)
        publisher.loop_start()
        published_at = []
        infos = []
        first = time.perf_counter()
        for i in range(messages):
            ahead = first + i / rate - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
            sensor_id, kind = stations[i % len(stations)]
            values = {"pm25": 20 + i % 50} if kind == "air" else {"ph": 7.0 + (i % 10) / 20}
            body = json.dumps({"measured_at": (start - timedelta(milliseconds=i)).isoformat(), "values": values})
            published_at.append(time.perf_counter())
            infos.append(publisher.publish(topic_reading(CITY, sensor_id), body, qos=QOS))
        for info in infos:
            info.wait_for_publish(60)
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and len(visible_at) < messages:
            time.sleep(0.1)
        time.sleep(1.0)
        stop.set()
        poller.join()
        publisher.loop_stop()
        publisher.disconnect()
        landed = max_reading_id(engine) - baseline
        latencies = sorted(visible_at[i] - sent for i, sent in enumerate(published_at) if i in visible_at)
        last_visible = max(visible_at.values()) if visible_at else time.perf_counter()
        return {
            "messages": messages, "rows": landed, "lost": max(0, messages - len(visible_at)),
            "rate_per_s": round(len(visible_at) / (last_visible - published_at[0]), 1),
            "publish_rate_per_s": round(messages / (published_at[-1] - published_at[0] + 1e-9), 1),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        }
    finally:
        ingester.terminate()
        ingester.wait(30)


def wait_for_subscription(process: subprocess.Popen, links: int, timeout: float = 60) -> None:
    """The ingester logs 'subscribed' once per link when its topics are in place."""
    deadline = time.monotonic() + timeout
    subscribed = 0
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        subscribed += "subscribed" in line
        if subscribed == links:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return
        if process.poll() is not None:
            raise SystemExit(f"ingester exited: {line}")
    raise SystemExit("ingester did not subscribe in time")


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
