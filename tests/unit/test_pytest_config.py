"""pytest.ini's warning filters hide what dash[testing]'s server shutdown leaves, nothing else."""
from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _thread_filter() -> re.Pattern:
    config = configparser.ConfigParser()
    config.read(ROOT / "pytest.ini")
    lines = [line.strip() for line in config["pytest"]["filterwarnings"].splitlines() if line.strip()]
    (line,) = [line for line in lines if line.endswith(":pytest.PytestUnhandledThreadExceptionWarning")]
    return re.compile(line.split(":", 1)[1].rsplit(":", 1)[0], re.I)


def _report(last_line: str) -> str:
    """The message pytest gives for an exception that ended a request thread of the test server."""
    return ("Exception in thread Thread-48 (process_request_thread)\n\nTraceback (most recent call last):\n"
            '  File "socketserver.py", line 834, in write\n    self._sock.sendall(b)\n'
            f"{last_line}\n\nEnable tracemalloc to get traceback where the object was allocated.\n")


def test_the_shutdowns_systemexit_in_a_request_thread_is_hidden_any_other_exception_is_not():
    hidden = _thread_filter()
    assert hidden.match(_report("SystemExit"))
    assert not hidden.match(_report("ValueError: no such ward"))
    assert not hidden.match(_report("SystemExitError: made up"))
    assert not hidden.match(_report("SystemExit").replace("process_request_thread", "alert_worker"))
