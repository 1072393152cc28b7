"""Background jobs for long exports and imports: Dash background callbacks run by a DiskcacheManager.

A job runs in its own process, so several presenters' exports run side by side up to the
machine's cores, and the page stays live: it polls for progress ("slide 3/7"), can cancel, and
gets the file when it is ready. Progress and results are kept on disk (JOBS_DIR), which every
worker of the machine reads, so no extra server is needed; a job is cut after JOB_TIME_LIMIT_S.

A job is not forked from the serving process itself: that process runs many threads, and a
child forked while one of them is inside SQLite (a page's query, another job's progress poll)
inherits its held mutex and waits on it for ever (about one fork in a hundred, measured). Each
serving process instead forks, while it is still single-threaded, a launcher (`JobLauncher`)
that has the app imported and runs no threads; every job is forked from the launcher.
"""
from __future__ import annotations

import functools
import os
import signal
import threading
from contextlib import contextmanager
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Callable

import settings
from data_access import db

# Signals a serving process may have taken over (gunicorn's master and workers); a launcher and
# its jobs answer them the ordinary way. SIGINT and SIGCHLD are set by `_serve` itself.
_RESET_SIGNALS = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTTIN", "SIGTTOU",
                  "SIGALRM")


class JobLauncher:
    """A process forked from a single-threaded process, which forks a job each time it is asked.

    The launcher keeps the functions of `registry` as they were when it was forked, so it is
    started once every job function is registered (after the app is imported). A job gets the
    caller's environment of the moment it was asked for (settings are read from it)."""

    START_WAIT_S = 10

    def __init__(self, registry: dict[str, Callable]):
        self._registry = registry
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._pid: int | None = None

    @property
    def pid(self) -> int | None:
        return self._pid

    def ensure_started(self) -> None:
        with self._lock:
            if not self._running():
                self._fork_launcher()

    def start(self, name: str, *args) -> int:
        """Fork the job `registry[name](*args)` from the launcher; the job's process id. A launcher
        that died, does not answer within START_WAIT_S or does not know `name` is replaced once."""
        request = (name, args, dict(os.environ))
        with self._lock:
            for attempt in (1, 2):
                if not self._running():
                    self._fork_launcher()
                try:
                    self._conn.send(request)
                    if not self._conn.poll(self.START_WAIT_S):
                        raise TimeoutError(f"job launcher {self._pid} did not answer in {self.START_WAIT_S} s")
                    answer = self._conn.recv()
                except (OSError, EOFError):
                    self._replace()
                    if attempt == 2:
                        raise
                    continue
                if isinstance(answer, int):
                    return answer
                self._replace()  # forked before `name` was registered: a launcher forked now knows it
        raise LookupError(answer)

    def stop(self) -> None:
        """End the launcher (jobs it started run on)."""
        with self._lock:
            self._replace()

    def _running(self) -> bool:
        return self._conn is not None and self._pid is not None and _alive(self._pid)

    def _replace(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        if self._pid is not None and _alive(self._pid):
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
        self._pid = None

    def _fork_launcher(self) -> None:
        self._replace()
        mine, theirs = Pipe()
        pid = os.fork()
        if pid == 0:
            try:
                mine.close()
                _serve(theirs, self._registry)
            finally:
                os._exit(0)
        theirs.close()
        self._conn, self._pid = mine, pid


def _alive(pid: int) -> bool:
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def _serve(conn: Connection, registry: dict[str, Callable]) -> None:
    """The launcher's loop: a job forked per request, until the serving process goes away."""
    for name in _RESET_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server stops us
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished jobs are reaped by the kernel
    while True:
        try:
            name, args, environ = conn.recv()
        except (EOFError, OSError):
            return
        job = registry.get(name)
        if job is None:
            conn.send(f"no job {name!r}")
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                conn.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.environ.clear()
                os.environ.update(environ)
                in_job_process()
                job(*args)
            except BaseException:  # noqa: BLE001 - a job's own errors are its result; this is a crash
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        conn.send(pid)


@functools.cache
def manager():
    """The one background-callback manager (its cache folder is made on first use)."""
    import diskcache
    import psutil
    from dash import DiskcacheManager

    class LaunchedJobs(DiskcacheManager):
        """Dash's disk-cache manager, its jobs forked by the launcher instead of the serving process."""

        def call_job_fn(self, key, job_fn, args, context):
            name = next(name for name, registered in self.func_registry.items() if registered is job_fn)
            return launcher().start(name, key, self._make_progress_key(key), args, context)

        # A job the launcher forked is reaped by the kernel the moment it ends (the launcher ignores
        # SIGCHLD), so it can vanish between Dash's `pid_exists` and its next look at the process; Dash
        # then raised NoSuchProcess and the page's poll for the result failed. A job gone is a job ended.
        def terminate_job(self, job):
            try:
                super().terminate_job(job)
            except psutil.NoSuchProcess:
                pass

        def job_running(self, job):
            try:
                return super().job_running(job)
            except psutil.NoSuchProcess:
                return False

    folder = Path(settings.get("JOBS_DIR") or settings.VAR_DIR / "jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return LaunchedJobs(diskcache.Cache(str(folder)), expire=settings.get_int("JOB_TIME_LIMIT_S") * 2)


@functools.cache
def launcher() -> JobLauncher:
    """The serving process's job launcher, over the background callbacks registered with `manager()`."""
    return JobLauncher(manager().func_registry)


def start_launcher() -> None:
    """Fork the job launcher now, while the serving process is single-threaded (every way of serving
    calls this before it takes requests; otherwise the first job forks it from a busy process)."""
    launcher().ensure_started()


def in_job_process() -> None:
    """First thing a job does (the launcher runs it before every job): a forked process must not
    use the database connections of its parent."""
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
