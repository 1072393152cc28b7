"""Background jobs are forked by a launcher that was forked while its process had one thread, so
a job never inherits a lock (an SQLite mutex, a cache lock) another thread held at that moment."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from components import jobs

# Held by the test's own thread while it asks for a job, as a page's query holds SQLite's mutex.
_busy = threading.Lock()


def _take_the_lock(path: str) -> None:
    got = _busy.acquire(timeout=5)
    Path(path).write_text(f"{'free' if got else 'stuck'} {os.getppid()}")


def _write_setting(path: str, name: str) -> None:
    Path(path).write_text(os.environ.get(name, "(unset)"))


def _count_engines(path: str) -> None:
    from data_access import db

    Path(path).write_text(str(len(db._engines)))


def _wait_for(path: Path, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"the job wrote nothing to {path} in {seconds} s")


@pytest.fixture
def launcher():
    started = jobs.JobLauncher({"take": _take_the_lock, "setting": _write_setting, "engines": _count_engines})
    started.ensure_started()
    yield started
    started.stop()


def test_a_job_does_not_inherit_a_lock_another_thread_holds(launcher, tmp_path):
    """Forked from the calling process, the job would find `_busy` held for ever ('stuck')."""
    out = tmp_path / "lock.txt"
    with _busy:
        launcher.start("take", str(out))
        state, parent = _wait_for(out).split()
    assert state == "free"
    assert int(parent) == launcher.pid != os.getpid()


def test_a_job_reads_the_callers_environment_of_the_moment_it_is_asked(launcher, tmp_path, monkeypatch):
    monkeypatch.setenv("IOC_TEST_JOB_SETTING", "after the launcher was forked")
    launcher.start("setting", str(tmp_path / "env.txt"), "IOC_TEST_JOB_SETTING")
    assert _wait_for(tmp_path / "env.txt") == "after the launcher was forked"


def test_a_job_starts_without_the_database_engines_of_the_process_that_forked_it(tmp_path, monkeypatch):
    """A pooled connection shared across a fork is used by two processes at once; the job opens its own."""
    from data_access import db

    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'ioc.sqlite'}")
    db.reset_engines()
    db.get_engine("ioc", writable=True)
    launcher = jobs.JobLauncher({"engines": _count_engines})
    launcher.ensure_started()
    try:
        launcher.start("engines", str(tmp_path / "engines.txt"))
        assert _wait_for(tmp_path / "engines.txt") == "0"
        assert len(db._engines) == 1
    finally:
        launcher.stop()
        db.reset_engines()


def test_a_dead_launcher_is_replaced_and_the_job_still_runs(launcher, tmp_path):
    first = launcher.pid
    os.kill(first, 9)
    launcher.start("setting", str(tmp_path / "env.txt"), "PATH")
    assert _wait_for(tmp_path / "env.txt") == os.environ["PATH"]
    assert launcher.pid not in (None, first)


def test_a_job_registered_after_the_launcher_was_forked_gets_a_new_launcher(launcher, tmp_path):
    first = launcher.pid
    launcher._registry["late"] = _write_setting
    launcher.start("late", str(tmp_path / "late.txt"), "PATH")
    assert _wait_for(tmp_path / "late.txt") == os.environ["PATH"]
    assert launcher.pid != first
    with pytest.raises(LookupError, match="nowhere"):
        launcher.start("nowhere")


def test_the_launcher_ends_with_its_process_connection(launcher):
    pid = launcher.pid
    launcher.stop()
    assert launcher.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_dash_background_jobs_go_through_the_launcher(tmp_path):
    """The manager every background callback uses starts its jobs with the launcher; the job's
    progress and result reach the cache the page polls."""
    manager = jobs.manager()
    out = tmp_path / "parent.txt"

    def job(set_progress, value):
        set_progress((1, 2, "1/2"))
        Path(out).write_text(str(os.getppid()))
        return value * 2

    name = "test-launcher-job"
    manager.func_registry[name] = manager.make_job_fn(job, True, name)
    try:
        key = f"test-launcher-{time.time_ns()}"
        pid = manager.call_job_fn(key, manager.func_registry[name], [21], {})
        assert pid != os.getpid()
        assert int(_wait_for(out)) == jobs.launcher().pid
        deadline = time.monotonic() + 15
        while not manager.result_ready(key) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(manager.get_progress(key)) == [1, 2, "1/2"]
        assert manager.get_result(key, None) == 42
    finally:
        del manager.func_registry[name]


def test_a_job_that_ends_while_dash_looks_at_it_is_ended_not_an_error(monkeypatch):
    """The kernel reaps a launched job as it ends, so Dash may find its pid alive and then the process
    gone: the result's poll got a 500 (NoSuchProcess) and the page never showed the import's report."""
    import psutil

    manager = jobs.manager()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # ended and reaped: no such process any more
    monkeypatch.setattr(psutil, "pid_exists", lambda _pid: True)  # as Dash saw it a moment before
    assert manager.terminate_job(pid) is None
    assert manager.job_running(pid) is False
