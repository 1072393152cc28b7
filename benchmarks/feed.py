"""The live feed as the benchmarks drive it (`ingest.py`, `alerts.py`): a scratch demo database,
`manage.py ingest-mqtt` in its own process (as in production), readings published with QoS 1 at a
steady rate, and a poller that notes when each row becomes visible.

Every message carries one value and its index in its timestamp (`start` minus the index in
milliseconds), so the poller, reading the new rows every 20 ms, knows when each message became
visible: latency is from when the message was due (at the rate offered) to its row visible (±20 ms),
rate is rows per second from the first message due to the last row, lost = messages whose row never
appeared. Every wait here has a time limit.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CITY = "chi-linh"


def build_demo(folder: Path) -> str:
    """Chí Linh's demo in `folder` (SQLite), made the app's databases; the IOC database's URL."""
    from demo.build import build_city
    from domain.city_time import utc_now
    from tests.conftest import use_databases

    urls = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    use_databases(*urls)
    build_city(CITY, seed=2022, now=utc_now())
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


NEW_ROWS = "SELECT id, measured_at FROM reading WHERE id > :after ORDER BY id"


def new_rows(connection, after_id: int) -> list[tuple[int, datetime]]:
    """Readings with an id above `after_id`. Plain SQL, whose values SQLAlchemy hands over as the
    driver gives them: the poller reads every row the ingester writes, and converting each through
    the column types would make the measuring process compete with the ingester for the CPU."""
    from sqlalchemy import text

    rows = connection.execute(text(NEW_ROWS), {"after": after_id}).all()
    connection.rollback()  # end the read, so the next poll sees what was committed since
    return [(row_id, _utc(at)) for row_id, at in rows]


def _utc(value) -> datetime:
    """A stored instant as the column type reads it (SQLite gives UTC text, PostgreSQL aware values)."""
    from data_access.models import UtcDateTime

    return UtcDateTime().process_result_value(datetime.fromisoformat(value) if isinstance(value, str) else value,
                                              None)


def ingest_values(index: int, sensor_id: str, kind: str) -> dict:
    """The ingest benchmark's values: PM2.5 for air stations, pH for water stations."""
    return {"pm25": 20 + index % 50} if kind == "air" else {"ph": 7.0 + (index % 10) / 20}


class ProcessOutput:
    """The lines a child process prints (stdout and stderr together), read by a thread of their
    own, so waiting for a line has a time limit even when the process stays silent."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self._condition = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._condition:
                self.lines.append(line.rstrip("\n"))
                self._condition.notify_all()
        with self._condition:
            self._condition.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float) -> bool:
        """True once `predicate(lines)` holds; False at the time limit or when the process ended."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return predicate(self.lines)
                self._condition.wait(min(left, 0.5))
            return True

    def tail(self, lines: int = 5) -> str:
        with self._condition:
            return " | ".join(self.lines[-lines:])


def start_process(arguments: list[str], env: dict) -> tuple[subprocess.Popen, ProcessOutput]:
    """A `manage.py` command as its own process (unbuffered, so its lines arrive as printed)."""
    process = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *arguments],
                               env={**env, "PYTHONUNBUFFERED": "1"}, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    return process, ProcessOutput(process)


def end_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate, then kill when it does not end within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def start_ingester(ioc_url: str, broker: str, *, batch: int, links: int, options: tuple[str, ...] = (),
                   timeout: float = 60) -> subprocess.Popen:
    """`manage.py ingest-mqtt` once subscribed to the broker (it logs 'subscribed' once per link)."""
    env = dict(os.environ, IOC_DATABASE_URL=ioc_url, MQTT_URL=broker)
    process, output = start_process(["ingest-mqtt", "--client-id", f"bench-ingest-{uuid.uuid4().hex[:8]}",
                                     "--batch", str(batch), "--links", str(links), "--session-expiry", "0",
                                     *options], env)
    if not output.wait_for(lambda lines: sum("subscribed" in line for line in lines) >= links, timeout):
        end_process(process)
        raise SystemExit(f"ingester did not subscribe within {timeout:g} s: {output.tail()}")
    return process


@contextmanager
def ingester(ioc_url: str, broker: str, *, batch: int, links: int, options: tuple[str, ...] = (),
             timeout: float = 60) -> Iterator[subprocess.Popen]:
    """`start_ingester`, terminated on leaving."""
    process = start_ingester(ioc_url, broker, batch=batch, links=links, options=options, timeout=timeout)
    try:
        yield process
    finally:
        end_process(process)


@dataclass
class FeedRun:
    """One publishing run: when each message was due (at the rate offered), when it was handed to the
    connection, and when its row became visible."""
    messages: int
    due_at: list[float]
    visible_at: dict[int, float]
    rows: int
    stations: list[tuple[str, str]] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)

    def figures(self) -> dict:
        """Counts, rates and latencies (from when each message was due); `tail_p95_s` is the p95 of
        the last fifth of the messages, where a backlog that grows through the run shows first."""
        visible, due_at, sent_at = self.visible_at, self.due_at, self.sent_at
        latencies = sorted(visible[i] - due for i, due in enumerate(due_at) if i in visible)
        tail = sorted(visible[i] - due_at[i] for i in range(len(due_at) * 4 // 5, len(due_at)) if i in visible)
        last_visible = max(visible.values()) if visible else time.perf_counter()
        return {
            "messages": self.messages, "rows": self.rows, "lost": max(0, self.messages - len(visible)),
            "rate_per_s": round(len(visible) / (last_visible - due_at[0]), 1) if due_at else None,
            "publish_rate_per_s": round(len(sent_at) / (sent_at[-1] - sent_at[0] + 1e-9), 1) if sent_at else None,
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": _p95(latencies), "tail_p95_s": _p95(tail),
            **({"lost_first": [i for i in range(self.messages) if i not in visible][:10]}
               if len(visible) < self.messages else {}),
        }


def _p95(ordered: list[float]) -> float | None:
    return round(ordered[int(0.95 * (len(ordered) - 1))], 3) if ordered else None


MAX_UNACKNOWLEDGED = 60_000  # MQTT packet ids are 16 bits: the publisher waits before running out


async def publish_paced(address, outgoing: list[tuple[str, str]], rate: float,
                        ack_timeout_s: float = 60) -> tuple[list[float], list[float]]:
    """Publish (topic, body) pairs with QoS 1 at `rate` a second on one connection, then wait until
    the broker has acknowledged them all; returns when each message was due and when it was sent.
    Latency counts from the first, so a publisher (or broker) falling behind the rate cannot hide a
    slow ingester; the second says whether it fell behind.

    It stands for a fleet of sensors, each on its own connection, so it must not be what limits the
    run: gmqtt sends and acknowledges a message for about 40 µs of CPU where paho (the ingester's
    client) spends 100 µs, a whole core at 10,000 a second on a machine of two."""
    import gmqtt
    from gmqtt.mqtt.constants import MQTTv311
    from gmqtt.storage import PersistentStorage

    from live.broker import QOS

    class Unacknowledged(PersistentStorage):
        """The messages the broker has not acknowledged yet, counted."""

        def __bool__(self) -> bool:
            return True  # gmqtt keeps `persistent_storage or PersistentStorage()`: never let it swap this one

        def count(self) -> int:
            return len(self._messages)

    unacknowledged = Unacknowledged()
    client = gmqtt.Client(f"bench-pub-{uuid.uuid4().hex[:8]}", persistent_storage=unacknowledged)
    if address.username:
        client.set_auth_credentials(address.username, address.password)
    await client.connect(address.host, address.port, ssl=address.tls, keepalive=60, version=MQTTv311)
    due_at: list[float] = []
    sent_at: list[float] = []
    try:
        first = time.perf_counter()
        for i, (topic, body) in enumerate(outgoing):
            due = first + i / rate
            if due > time.perf_counter():
                await asyncio.sleep(due - time.perf_counter())
            while unacknowledged.count() >= MAX_UNACKNOWLEDGED:
                await asyncio.sleep(0.005)
            due_at.append(due)
            sent_at.append(time.perf_counter())
            client.publish(topic, body, qos=QOS)
        await asyncio.wait_for(unacknowledged.wait_empty(), ack_timeout_s)
    finally:
        await client.disconnect()
    return due_at, sent_at


def publish_and_watch(engine, broker: str, messages: int, rate: float,
                      values: Callable[[int, str, str], dict] = ingest_values, settle_s: float = 120) -> FeedRun:
    """Publish `messages` readings at `rate` a second (message i to station i mod n, with
    `values(i, sensor_id, kind)`) while noting when each row shows up; waits at most `settle_s`
    after the last publish for the rows."""
    from domain.city_time import utc_now
    from live.broker import parse_mqtt_url
    from loaders.topics import READING

    address = parse_mqtt_url(broker)
    stations = sensors(engine)
    baseline = max_reading_id(engine)
    start = utc_now()
    visible_at: dict[int, float] = {}
    stop = threading.Event()

    def poll() -> None:
        """Note when each message's row first shows up (its index is in measured_at)."""
        last = baseline
        connection = engine.connect()
        try:
            while not stop.is_set():
                rows = new_rows(connection, last)
                moment = time.perf_counter()
                for row_id, measured_at in rows:
                    visible_at.setdefault(round((start - measured_at).total_seconds() * 1000), moment)
                    last = row_id
                time.sleep(0.02)
        finally:
            connection.close()

    # Built before the clock starts: the sensors make their messages, the benchmark only sends them.
    outgoing = [(READING.topic(city=CITY, sensor_id=sensor_id),
                 json.dumps({"measured_at": (start - timedelta(milliseconds=i)).isoformat(),
                             "values": values(i, sensor_id, kind)}))
                for i, (sensor_id, kind) in ((i, stations[i % len(stations)]) for i in range(messages))]
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        due_at, sent_at = asyncio.run(publish_paced(address, outgoing, rate))
        deadline = time.perf_counter() + settle_s
        while time.perf_counter() < deadline and len(visible_at) < messages:
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        stop.set()
        poller.join(30)
    return FeedRun(messages, due_at, dict(visible_at), max_reading_id(engine) - baseline, stations, sent_at)
