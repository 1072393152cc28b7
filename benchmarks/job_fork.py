"""Background jobs forked while other threads use SQLite: how many never finish.

Three threads query SQLite and a diskcache (as a serving process's pages and progress polls do)
while jobs are started, each of which queries SQLite and writes its result to the diskcache.
Side by side in one run: jobs forked from the busy process itself (what Dash's DiskcacheManager
does) and jobs forked by the launcher (components/jobs.py), forked before the threads started.
A job that has not written its result within --wait seconds is counted as hung and killed.

    python benchmarks/job_fork.py [--jobs 300] [--threads 3] [--wait 5]

Last line JSON: {"forked_from_caller": {"hung": .., "jobs": ..}, "launcher": {...}, "load": ..}
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import diskcache  # noqa: E402

from components.jobs import JobLauncher  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--wait", type=float, default=5.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="job-fork-"))
    database = folder / "rows.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table t (a integer)")
        connection.executemany("insert into t values (?)", [(i,) for i in range(20_000)])
    cache = diskcache.Cache(str(folder / "cache"))

    def job(number: int) -> None:
        with sqlite3.connect(database) as own:
            own.execute("select count(*) from t").fetchall()
        cache.set(f"done-{number}", 1)

    launcher = JobLauncher({"job": job})
    launcher.ensure_started()
    stop = threading.Event()

    def busy() -> None:
        shared = sqlite3.connect(database, check_same_thread=False)
        while not stop.is_set():
            shared.execute("select sum(a) from t").fetchall()
            cache.get("anything")

    for _ in range(args.threads):
        threading.Thread(target=busy, daemon=True).start()

    def from_caller(number: int) -> int:
        pid = os.fork()
        if pid == 0:
            try:
                job(number)
            finally:
                os._exit(0)
        return pid

    def by_launcher(number: int) -> int:
        return launcher.start("job", number)

    results = {}
    for name, start in (("forked_from_caller", from_caller), ("launcher", by_launcher)):
        hung = 0
        began = time.monotonic()
        for number in range(args.jobs):
            key = f"done-{number}"
            cache.delete(key)
            pid = start(number)
            deadline = time.monotonic() + args.wait
            while cache.get(key) is None and time.monotonic() < deadline:
                time.sleep(0.005)
            if cache.get(key) is None:
                hung += 1
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if name == "forked_from_caller":
                os.waitpid(pid, 0)
        results[name] = {"hung": hung, "jobs": args.jobs, "seconds": round(time.monotonic() - began, 1)}
        print(f"{name}: {hung} of {args.jobs} jobs hung ({results[name]['seconds']} s)", flush=True)
    stop.set()
    launcher.stop()
    results["threads"] = args.threads
    results["load"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
