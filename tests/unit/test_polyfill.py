"""Dash's polyfill is served with the browser's own trim and parse functions kept (serving/polyfill.py)."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import dash
import pytest

from serving import polyfill


def _script_addresses(page: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', page)


def test_the_page_loads_the_polyfill_first_from_the_address_answered_with_the_lines_around_it(client_as):
    client = client_as("staff")
    scripts = _script_addresses(client.get("/services").get_data(as_text=True))
    assert "polyfill" in scripts[0]  # before React and every other script
    answer = client.get(scripts[0])
    assert answer.status_code == 200 and answer.mimetype == "application/javascript"
    original = (Path(dash.__file__).resolve().parent / polyfill.polyfill_path()).read_bytes()
    body = answer.get_data()
    assert original in body
    before, _, after = body.partition(original)
    assert b"String.prototype.trim" in before and b"String.prototype.trim = kept[" in after
    assert answer.cache_control.max_age == 365 * 24 * 3600 and answer.headers["ETag"]  # as Dash keeps its scripts
    again = client.get(scripts[0], headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    bare = client.get("/_dash-component-suites/dash/" + polyfill.polyfill_path())  # no fingerprint: asked again
    assert bare.get_data() == body and bare.cache_control.no_cache


def test_other_dash_scripts_are_dashs_own(client_as):
    client = client_as("staff")
    react = next(a for a in _script_addresses(client.get("/services").get_data(as_text=True)) if "react-dom" in a)
    answer = client.get(react)
    assert answer.status_code == 200 and b"__iocNatives" not in answer.get_data()


NODE_CHECK = """
globalThis.window = globalThis;
const before = {trim: String.prototype.trim, trimStart: String.prototype.trimStart, parseInt: parseInt,
                parseFloat: parseFloat, numberParseInt: Number.parseInt};
require(process.argv[1]);
process.stdout.write(JSON.stringify({
  trim: String.prototype.trim === before.trim, trimStart: String.prototype.trimStart === before.trimStart,
  parseInt: parseInt === before.parseInt, parseFloat: parseFloat === before.parseFloat,
  numberParseInt: Number.parseInt === before.numberParseInt,
  regenerator: typeof regeneratorRuntime, kept: typeof window.__iocNatives,
  works: [' 12px '.trim(), parseInt(' 0x1F'), parseFloat('3.5e2 ')]}));
"""


def _run_in_node(script: bytes, tmp_path: Path) -> dict:
    file = tmp_path / "polyfill.js"
    file.write_bytes(script)
    done = subprocess.run(["node", "-e", NODE_CHECK, str(file)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("served", [True, False], ids=["served", "dash-as-shipped"])
def test_after_the_served_polyfill_the_functions_are_the_browsers_own(served, tmp_path):
    """The polyfill as Dash ships it replaces them (so the lines around it are what keeps them); both
    leave regeneratorRuntime, which Dash's renderer needs, and the functions give the same answers."""
    original = (Path(dash.__file__).resolve().parent / polyfill.polyfill_path()).read_bytes()
    result = _run_in_node(polyfill.served()[0] if served else original, tmp_path)
    kept = ("trim", "trimStart", "parseInt", "parseFloat", "numberParseInt")
    assert all(result[name] for name in kept) if served else not any(result[name] for name in kept)
    assert result["regenerator"] == "object" and result["kept"] == "undefined"
    assert result["works"] == ["12px", 31, 350]
