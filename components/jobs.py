"""Background jobs for long exports: Dash background callbacks run by a DiskcacheManager.

A job runs in its own process (forked from the worker that got the request), so several
presenters' exports run side by side up to the machine's cores, and the page stays live: it
polls for progress ("slide 3/7"), can cancel, and gets the file when it is ready. Progress and
results are kept on disk (JOBS_DIR), which every worker of the machine reads, so no extra
server is needed; a job is cut after JOB_TIME_LIMIT_S.
"""
from __future__ import annotations

import functools
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import settings
from data_access import db


@functools.cache
def manager():
    """The one background-callback manager (its cache folder is made on first use)."""
    import diskcache
    from dash import DiskcacheManager

    folder = Path(settings.get("JOBS_DIR") or settings.VAR_DIR / "jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=settings.get_int("JOB_TIME_LIMIT_S") * 2)


def in_job_process() -> None:
    """First thing a job does: a forked process must not use the connections of its parent."""
    db.forget_engines_after_fork()


class JobTimeLimit(Exception):
    """The job ran past its time limit and was cut."""


@contextmanager
def time_limit(seconds: int):
    """Raise JobTimeLimit inside the block after `seconds` (a job process runs in its main
    thread, where an alarm can interrupt it; elsewhere the block runs unlimited)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _cut(_signal, _frame):
        raise JobTimeLimit(f"longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _cut)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
