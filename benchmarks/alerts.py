"""Benchmark: alert rules on the live feed, broker → ingester → alert → e-mail and webhook received.

    python benchmarks/alerts.py [--readings 50000] [--rate 2000] [--rules 50] [--every 5]

Builds Chí Linh's demo in a temporary folder and runs the production pair, each as its own
process: `manage.py ingest-mqtt` (its `AlertStream` hook checks thresholds, windowed means and
anomalies on each written batch and delivers what it opens at once) and `manage.py alerts run
--every S` (evaluates every rule, escalates, delivers the outbox).
A local SMTP sink (aiosmtpd) and a local webhook receiver (http.server, checking each POST's
X-IOC-Signature with the shared secret) note when each notification arrives.

The ingest benchmark's readings (`benchmarks/feed.py`: one value a message, Chí Linh's five
stations in turn, at a steady rate) carry values made for the rules (`LEVELS`): one air station
over the QCVN PM2.5 and PM10 limits all along (a sustained breach), one water station under its
pH limit, one air station far above its own same-hour-of-week baseline (an anomaly; the benchmark
writes the baselines, `BASELINES`), the others calm. The rules cycle through `TEMPLATES`: those
marked to fire must each open one alert on one known station, the others none. Just before the
run, calm readings older than any of the run's are written (`CALM`), so nothing fires before the
first publish.

Measured in the same run:
- ingest rate (rows visible per second, as `benchmarks/ingest.py`) with the rules, then with the
  same readings through fresh processes of the same kind, every rule disabled;
- publish → notification received: from the publish of the reading that made a rule breach (the
  first of its station and parameter; every later one breaches too) to the e-mail or webhook
  arriving, over every expected notification (min / median / p95 / max);
- duplicates: notifications beyond the first of an alert opening (same rule, station, parameter,
  channel and recipient) while the breach goes on, watched for one more round after the last
  expected one arrived and through the run without rules; closings and escalations are counted too
  (none is expected);
- lost: expected notifications not received `--notify-limit` seconds after the last publish;
- unexpected: openings of rules that must not fire.

Every wait has a time limit, and a watchdog ends the whole run (its processes included) at
`--time-limit`. The last line is JSON.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.chromium import load_average, spread  # noqa: E402  (project on the path)
from benchmarks.feed import CITY, build_demo, end_process, publish_and_watch, sensors, start_ingester, start_process
from benchmarks.map_load import free_port

SECRET = "bench-alerts-shared-secret"
MARK = "BENCH"
WEEKS = 4  # the anomaly rules' baseline: the same hour of the last WEEKS weeks


@dataclass(frozen=True)
class Template:
    """A rule of the benchmark: `station` is a role (`ROLES`) or "" for every station; `fires` says
    whether it must open an alert, on the breaching station of its parameter."""
    fires: bool
    kind: str
    parameter: str = ""
    station: str = ""
    params: dict = field(default_factory=dict)


# Interleaved, so that the first few rules (a small run) already hold both kinds of outcome.
TEMPLATES = (
    Template(True, "sensor_threshold", "pm25"),  # QCVN 05:2023 24-hour PM2.5 limit, any station
    Template(False, "sensor_threshold", "pm25", "air_calm"),
    Template(True, "anomaly", "pm25", "air_anomaly"),
    Template(False, "sensor_threshold", "pm25", "", {"limit": "250"}),
    Template(True, "sensor_threshold", "ph", "water_breach", {"limit": "6", "direction": "below"}),
    Template(False, "sensor_threshold", "ph", "", {"limit": "9"}),
    Template(True, "sensor_threshold", "pm25", "air_breach"),
    Template(False, "anomaly", "pm25", "air_calm"),
    Template(True, "sensor_threshold", "pm25", "air_breach", {"window_minutes": "10"}),  # not streamed
    Template(False, "sensor_threshold", "pm10", "air_anomaly"),
    Template(True, "sensor_threshold", "pm10"),  # QCVN PM10 limit, any station
    Template(False, "anomaly", "ph", "water_calm"),
    Template(False, "camera_outage_cluster", params={"min_cameras": "500", "within_minutes": "60"}),
)
# Which station plays which part: (kind, rank of its id among the city's stations of that kind).
ROLES = {"air_calm": ("air", 0), "air_breach": ("air", 1), "air_anomaly": ("air", 2),
         "water_calm": ("water", 0), "water_breach": ("water", 1)}
BREACHING = {"pm25": "air_breach", "pm10": "air_breach", "ph": "water_breach"}
# What the run publishes, by role and parameter: values spread over [low, high].
LEVELS = {("air_calm", "pm25"): (18, 24), ("air_calm", "pm10"): (30, 40),
          ("air_breach", "pm25"): (85, 95), ("air_breach", "pm10"): (165, 185),
          ("air_anomaly", "pm25"): (36, 40), ("air_anomaly", "pm10"): (30, 40),
          ("water_calm", "ph"): (7.0, 7.4), ("water_breach", "ph"): (5.0, 5.4)}
CALM = {("air_calm", "pm25"): 21, ("air_calm", "pm10"): 35, ("air_breach", "pm25"): 20,
        ("air_breach", "pm10"): 35, ("air_anomaly", "pm25"): 12, ("air_anomaly", "pm10"): 35,
        ("water_calm", "ph"): 7.2, ("water_breach", "ph"): 7.2}
BASELINES = {("air_calm", "pm25"): (19, 21, 23), ("air_anomaly", "pm25"): (11, 12, 13),
             ("water_calm", "ph"): (7.1, 7.2, 7.3)}


def assign_roles(stations: list[tuple[str, str]]) -> dict[str, str]:
    """Role → station id (the city's stations of each kind, sorted by id)."""
    by_kind: dict[str, list[str]] = {}
    for sensor_id, kind in sorted(stations):
        by_kind.setdefault(kind, []).append(sensor_id)
    try:
        return {role: by_kind[kind][rank] for role, (kind, rank) in ROLES.items()}
    except (KeyError, IndexError):
        raise SystemExit(f"{CITY} needs 3 air and 2 water stations, it has {by_kind}") from None


def reading_values(roles: dict[str, str], station_count: int):
    """`values(i, sensor_id, kind)` for `publish_and_watch`: an air station sends PM2.5 and PM10
    in turn, a water station pH, each within its role's `LEVELS`."""
    role_of = {sensor_id: role for role, sensor_id in roles.items()}

    def values(index: int, sensor_id: str, kind: str) -> dict:
        parameter = ("pm25" if (index // station_count) % 2 == 0 else "pm10") if kind == "air" else "ph"
        low, high = LEVELS[(role_of[sensor_id], parameter)]
        return {parameter: round(low + (high - low) * (index % 7) / 6, 2)}

    return values


def rule_rows(count: int, roles: dict[str, str], enabled: bool = True) -> list[dict]:
    """The benchmark's `count` rules as rows of a rule file, cycling through `TEMPLATES`."""
    rows = []
    for number in range(count):
        template = TEMPLATES[number % len(TEMPLATES)]
        row = {"name": f"bench {number:02d} {template.kind} {template.parameter or 'cameras'}",
               "kind": template.kind, "city": CITY, "severity": "high",
               "recipients": f"role:staff,email:bench{number:02d}@alerts.test > role:leader",
               "escalate_after_min": "30", "enabled": "yes" if enabled else "no",
               "message_vi": "Cảnh báo {rule}: {station} {parameter} = {value}",
               "message_en": MARK + "|{rule}|{station}|{parameter}", **template.params}
        if template.parameter:
            row["parameter"] = template.parameter
        if template.station:
            row["station"] = roles[template.station]
        rows.append(row)
    return rows


def expected_alerts(rows: list[dict], roles: dict[str, str]) -> dict[tuple[str, str, str], str]:
    """(rule, station, parameter) of every alert that must open → the rule's e-mail recipient."""
    expected = {}
    for number, row in enumerate(rows):
        template = TEMPLATES[number % len(TEMPLATES)]
        if template.fires:
            station = roles[template.station or BREACHING[template.parameter]]
            expected[(row["name"], station, template.parameter)] = f"bench{number:02d}@alerts.test"
    return expected


def import_rules(rows: list[dict]) -> None:
    from loaders.alerts import import_rules as write_rules

    report = write_rules("bench-rules.json", json.dumps(rows).encode(), actor="benchmark")
    if report.errors:
        raise SystemExit("benchmark rules refused: " + "; ".join(f"row {e.row}: {e.reason}" for e in report.errors))


def write_calm_readings(engine, roles: dict[str, str], at: datetime) -> None:
    """Calm readings of every station at `at`, and the anomaly baselines: three values in the
    same hour (of `at` and the next one) of each of the last `WEEKS` weeks."""
    from sqlalchemy.dialects.sqlite import insert

    from data_access.models import Reading

    rows = [{"sensor_id": roles[role], "measured_at": at, "parameter": parameter, "value": value}
            for (role, parameter), value in CALM.items()]
    hour = at.replace(minute=0, second=0, microsecond=0)
    for (role, parameter), values in BASELINES.items():
        for start in (hour, hour + timedelta(hours=1)):
            for week in range(1, WEEKS + 1):
                rows += [{"sensor_id": roles[role], "parameter": parameter, "value": value,
                          "measured_at": start - timedelta(weeks=week) + timedelta(minutes=minute)}
                         for minute, value in zip((7, 19, 31), values)]
    with engine.begin() as connection:
        connection.execute(insert(Reading.__table__).on_conflict_do_nothing(), rows)


# --- receivers ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    at: float  # time.perf_counter() when it arrived
    channel: str
    recipient: str
    event: str
    rule: str
    station: str
    parameter: str


class Inbox:
    """Every notification the SMTP sink and the webhook receiver took, with its arrival time."""

    def __init__(self):
        self.notes: list[Note] = []
        self.bad_signatures = 0
        self.unreadable = 0
        self._lock = threading.Lock()

    def take(self, channel: str, recipient: str, event: str, text: str) -> None:
        moment = time.perf_counter()
        line = next((line for line in text.splitlines() if line.startswith(MARK + "|")), None)
        with self._lock:
            if line is None:
                self.unreadable += 1
                return
            _mark, rule, station, parameter = (line.split("|") + ["", "", ""])[:4]
            self.notes.append(Note(moment, channel, recipient, event, rule, station, parameter))

    def rejected(self) -> None:
        with self._lock:
            self.bad_signatures += 1

    def snapshot(self) -> list[Note]:
        with self._lock:
            return list(self.notes)


class SmtpSink:
    """aiosmtpd's handler: each message is noted once per recipient; its event is the last
    parenthesis of the subject ("[IOC high] rule: label (opened)")."""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        event = str(message["Subject"] or "").rsplit("(", 1)[-1].rstrip(")")
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        for recipient in envelope.rcpt_tos:
            self.inbox.take("email", recipient, event, text)
        return "250 Message accepted for delivery"


def start_smtp_sink(inbox: Inbox):
    from aiosmtpd.controller import Controller

    controller = Controller(SmtpSink(inbox), hostname="127.0.0.1", port=free_port(), ready_timeout=30)
    controller.start()
    return controller


def start_webhook_receiver(inbox: Inbox) -> ThreadingHTTPServer:
    """A webhook relay's stand-in: a body whose X-IOC-Signature is wrong is answered 401 and counted."""
    from loaders.alerts import webhook_signature

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not hmac.compare_digest(self.headers.get("X-IOC-Signature", ""), webhook_signature(SECRET, body)):
                inbox.rejected()
                self.send_response(401)
            else:
                payload = json.loads(body)
                inbox.take("webhook", "webhook", payload.get("event", ""), payload["alert"]["message"]["en"])
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- running ------------------------------------------------------------------------------------------

class RunLimit:
    """Ends the benchmark at `limit` seconds whatever it waits for: its processes are killed, the
    scratch folder removed, and the last line says the limit was reached."""

    def __init__(self, limit: float, folder: str):
        self.limit, self.folder = limit, folder
        self.processes: list[subprocess.Popen] = []
        self._timer = threading.Timer(limit, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
        print(json.dumps({"error": f"time limit of {self.limit:g} s reached", "loadavg": load_average()}),
              flush=True)
        os._exit(3)

    def cancel(self) -> None:
        self._timer.cancel()


def start_alert_service(env: dict, every: int, limit: RunLimit):
    """`manage.py alerts run --every S` (it prints one line a round: `first_round` waits for one)."""
    process, output = start_process(["alerts", "run", "--every", str(every)], env)
    limit.processes.append(process)
    return process, output


def first_round(process, output, timeout: float = 60) -> None:
    if not output.wait_for(lambda lines: any("=" in line or "nothing to do" in line for line in lines), timeout):
        end_process(process)
        raise SystemExit(f"`alerts run` did not finish a round within {timeout:g} s: {output.tail()}")


def breach_indexes(run, values) -> dict[tuple[str, str], int]:
    """(station, parameter) → index of the first message that carried it."""
    first: dict[tuple[str, str], int] = {}
    for index in range(run.messages):
        sensor_id, kind = run.stations[index % len(run.stations)]
        for parameter in values(index, sensor_id, kind):
            first.setdefault((sensor_id, parameter), index)
    return first


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def measure(engine, ioc_url: str, args, env: dict, inbox: Inbox, roles: dict[str, str], rows: list[dict],
            limit: RunLimit) -> tuple[dict, dict]:
    """Both runs: the readings with the rules enabled, then the same readings with every rule
    disabled, through a fresh ingester (its streaming hook reads the rules at its first batch, after
    they were switched off) and a fresh `alerts run`. The second ingester starts while the first
    run's last round is watched."""
    from domain.city_time import utc_now

    import_rules(rows)
    expected = expected_alerts(rows, roles)
    wanted = {(channel, key) for key in expected for channel in ("email", "webhook")}
    seeded_at = utc_now()
    write_calm_readings(engine, roles, seeded_at)
    values = reading_values(roles, len(sensors(engine)))
    service, service_output = start_alert_service(env, args.every, limit)
    processes = [service]
    try:
        processes.append(start_ingester(ioc_url, args.broker, batch=2000, links=args.links))
        limit.processes.append(processes[-1])
        first_round(service, service_output)
        early = [note for note in inbox.snapshot() if note.event == "opened"]
        # Every reading of the run (its timestamps go back `readings` ms from its start) is newer than the calm ones.
        time.sleep(max(0.0, (seeded_at + timedelta(milliseconds=args.readings + 500) - utc_now()).total_seconds()))
        run = publish_and_watch(engine, args.broker, args.readings, args.rate, values)

        def arrived() -> set:
            return {(note.channel, (note.rule, note.station, note.parameter))
                    for note in inbox.snapshot() if note.event == "opened"}

        complete = wait_until(lambda: wanted <= arrived(),
                              max(0.0, args.notify_limit - (time.perf_counter() - run.due_at[-1])))
        held_from = time.monotonic()
        processes.append(start_ingester(ioc_url, args.broker, batch=2000, links=args.links))
        limit.processes.append(processes[-1])
        time.sleep(max(0.0, args.every + 2 - (time.monotonic() - held_from)))  # one more round of the breach
        # Rules are switched off with nothing evaluating them: a round under way would open their alerts again.
        for process in processes[:2]:
            end_process(process)
        openings: dict[tuple, list[Note]] = {}
        for note in inbox.snapshot():
            if note.event == "opened":
                openings.setdefault((note.channel, note.recipient, note.rule, note.station, note.parameter),
                                    []).append(note)
        import_rules(rule_rows(len(rows), roles, enabled=False))
        bare_service, bare_output = start_alert_service(env, args.every, limit)
        processes.append(bare_service)
        first_round(bare_service, bare_output)
        bare = publish_and_watch(engine, args.broker, args.readings, args.rate, values)
    finally:
        for process in processes:
            end_process(process)
    first = breach_indexes(run, values)
    latencies = []
    for channel, (rule, station, parameter) in sorted(wanted):
        recipient = expected[(rule, station, parameter)] if channel == "email" else "webhook"
        notes = openings.get((channel, recipient, rule, station, parameter), [])
        if notes:
            latencies.append(min(note.at for note in notes) - run.due_at[first[(station, parameter)]])
    unexpected = sorted({(rule, station, parameter) for (_c, _r, rule, station, parameter) in openings}
                        - set(expected))
    with_rules = {"feed": run.figures(), "expected": len(wanted), "complete_in_time": complete,
                  "latencies": latencies, "early_openings": len(early),
                  "unexpected": [" / ".join(key) for key in unexpected], "outbox": outbox_counts(engine)}
    return with_rules, bare.figures()


def outbox_counts(engine) -> dict:
    from sqlalchemy import func, select

    from data_access.models import AlertOutbox

    with engine.connect() as connection:
        return {f"{channel}.{status}": count for channel, status, count in connection.execute(
            select(AlertOutbox.channel, AlertOutbox.status, func.count()).group_by(AlertOutbox.channel,
                                                                                   AlertOutbox.status))}


def tally(inbox: Inbox, expected: int, received_first: int) -> dict:
    """Duplicates (beyond the first of each opening), other events, lost."""
    notes = inbox.snapshot()
    per_opening = Counter((n.channel, n.recipient, n.rule, n.station, n.parameter)
                          for n in notes if n.event == "opened")
    return {"duplicates": sum(count - 1 for count in per_opening.values()),
            "other_events": dict(Counter(n.event for n in notes if n.event != "opened")),
            "lost": expected - received_first, "bad_signatures": inbox.bad_signatures, "unreadable": inbox.unreadable}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=2000, help="Readings published per second (sustained).")
    parser.add_argument("--rules", type=int, default=50, help="Active rules (cycled from TEMPLATES).")
    parser.add_argument("--every", type=int, default=5,
                        help="Seconds between rounds of `alerts run` (ALERT_EVERY_S; 5 is the least it takes).")
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--links", type=int, default=1, help="Broker connections of the ingester.")
    parser.add_argument("--notify-limit", type=float, default=60,
                        help="Seconds after the last publish an expected notification may take; later = lost.")
    parser.add_argument("--time-limit", type=float, default=900, help="The whole benchmark ends at this limit.")
    args = parser.parse_args()
    from data_access.db import get_engine

    folder = tempfile.mkdtemp(prefix="ioc-alerts-bench-")
    limit = RunLimit(args.time_limit, folder)
    inbox = Inbox()
    smtp = start_smtp_sink(inbox)
    webhook = start_webhook_receiver(inbox)
    try:
        started = time.perf_counter()
        ioc_url = build_demo(Path(folder))
        print(f"demo {CITY} built in {time.perf_counter() - started:.1f} s")
        engine = get_engine("ioc", writable=True)
        env = dict(os.environ, IOC_DATABASE_URL=ioc_url, ALERT_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                   ALERT_WEBHOOK_URL=f"http://127.0.0.1:{webhook.server_address[1]}/ioc-alerts",
                   ALERT_WEBHOOK_SECRET=SECRET)
        os.environ.update({key: env[key] for key in ("ALERT_SMTP_URL", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET")})
        roles = assign_roles(sensors(engine))
        rows = rule_rows(args.rules, roles)
        with_rules, without_rules = measure(engine, ioc_url, args, env, inbox, roles, rows, limit)
        print(f"with {args.rules} rules: {with_rules['feed']}")
        print(f"without rules: {without_rules}")
    finally:
        smtp.stop()
        webhook.shutdown()
        limit.cancel()
        shutil.rmtree(folder, ignore_errors=True)
    latencies = sorted(with_rules["latencies"])
    counts = tally(inbox, with_rules["expected"], len(latencies))
    print(f"notifications: {with_rules['expected']} expected, {len(latencies)} received; "
          f"latency {spread(latencies)}; {counts}; unexpected openings {with_rules['unexpected']}; "
          f"before the first publish {with_rules['early_openings']}; outbox {with_rules['outbox']}")
    rate, rate_without = with_rules["feed"]["rate_per_s"], without_rules["rate_per_s"]
    result = {
        "ingest_rate_per_s": rate, "ingest_rate_no_rules_per_s": rate_without,
        "alert_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        "duplicates": counts["duplicates"], "lost": counts["lost"], "loadavg": load_average(),
        "rate_ratio": round(rate / rate_without, 3) if rate and rate_without else None,
        "alert_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "alert_min_s": round(latencies[0], 3) if latencies else None,
        "alert_max_s": round(latencies[-1], 3) if latencies else None,
        "expected": with_rules["expected"], "unexpected": len(with_rules["unexpected"]),
        "readings_lost": with_rules["feed"]["lost"] + without_rules["lost"],
        "rules": args.rules, "readings": args.readings, "rate": args.rate, "every_s": args.every,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
