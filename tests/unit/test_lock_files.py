"""Installs are reproducible: each lock file holds every pin of its requirements file at the same
version, every package it installs has a hash, and the Makefile installs the locks, not the pins.
A pin changed without `make lock` fails here, not on a user's machine."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")
LOCKS = {"requirements.txt": "requirements.lock", "requirements-test.txt": "requirements-test.lock",
         "requirements-bench.txt": "requirements-bench.lock"}


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Name → version of a requirements file, following its `-r` includes."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= pins(path.parent / line[3:].strip())
        elif match := PIN.match(line):
            found[_name(match[1])] = match[2]
    return found


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """Name → (version, number of hashes) of a pip-compile lock file."""
    found, current = {}, None
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = _name(match[1])
            found[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


@pytest.mark.parametrize("pinned, lock", LOCKS.items())
def test_every_pin_is_locked_at_its_version_with_hashes(pinned, lock):
    wanted, have = pins(ROOT / pinned), locked(ROOT / lock)
    assert wanted, f"{pinned} pins nothing"
    assert {name: version for name, version in wanted.items() if have.get(name, ("",))[0] != version} == {}
    assert [name for name, (_version, hashes) in have.items() if hashes == 0] == []


def test_the_test_lock_keeps_the_runtime_versions_where_it_can():
    """Tests run the packages production runs; the only exceptions are forced by test tools."""
    runtime, tests = locked(ROOT / "requirements.lock"), locked(ROOT / "requirements-test.lock")
    assert set(runtime) <= set(tests)
    differing = {name for name in runtime if runtime[name][0] != tests[name][0]}
    assert differing <= {"urllib3"}, differing  # selenium 4.2 needs urllib3 1.26


def test_the_makefile_installs_the_locks_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    for lock in ("requirements.lock", "requirements-test.lock"):
        assert f"pip install -q --require-hashes -r {lock}" in makefile
    assert not re.search(r"pip install[^\n]*-r requirements(-test)?\.txt", makefile)


def test_parsers_read_extras_and_includes(tmp_path):
    (tmp_path / "base.txt").write_text("Dash[testing]==4.4.1  # a comment\nflask_compress==1.25\n")
    (tmp_path / "more.txt").write_text("-r base.txt\nselenium==4.2.0\n")
    assert pins(tmp_path / "more.txt") == {"dash": "4.4.1", "flask-compress": "1.25", "selenium": "4.2.0"}
    (tmp_path / "x.lock").write_text("dash==4.4.1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
                                     "    # via -r x.txt\nplotly==7.1.0\n")
    assert locked(tmp_path / "x.lock") == {"dash": ("4.4.1", 2), "plotly": ("7.1.0", 0)}
