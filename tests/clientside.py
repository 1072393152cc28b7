"""The app's clientside functions run in Node.js, as Dash calls them in the browser: unit tests
of the browser's rules without a browser."""
from __future__ import annotations

import json
import subprocess

NO_UPDATE = {"no_update": True}
# Enough of dash_clientside.Patch for a function to build one: the operations Dash sends.
PATCH = ("class Patch { constructor() { this.operations = []; }"
         " assign(location, value) { this.operations.push({operation: 'Assign', location: location,"
         " params: {value: value}}); return this; }"
         " build() { return {__dash_patch_update: '__dash_patch_update', operations: this.operations}; } }")


def run_script(function: str, *args, triggered: list | None = None):
    """Run `function` (a JavaScript expression) with `args`; `window.dash_clientside` holds no_update,
    the callback context and Patch."""
    context = {"no_update": NO_UPDATE, "callback_context": {"triggered": triggered or []}}
    program = (f"const window = {{dash_clientside: {json.dumps(context)}}};"
               f"window.dash_clientside.Patch = {PATCH};"
               f"process.stdout.write(JSON.stringify(({function})(...{json.dumps(list(args))})));")
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# A React whose elements are plain objects, {type, props, children}: children flattened, nulls left out.
FAKE_REACT = ("window.React = {createElement: function (type, attributes) {"
              " return {type: type, props: attributes || {}, children: Array.prototype.slice.call(arguments, 2)"
              ".flat().filter(function (c) { return c !== null; })}; }};")


def script_of(asset: str) -> str:
    """The text of assets/`asset`, to run in a program before the function tested."""
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "assets" / asset).read_text(encoding="utf-8")


def draw(asset: str, component: str, props: dict) -> dict:
    """`window.ioc_components[component]` of assets/`asset` (components/browser_component.py) drawn
    with `props` by a React whose elements are plain objects: {type, props, children}."""
    program = (f"(function (props) {{ {FAKE_REACT}"
               f" {script_of(asset)}; return window.ioc_components[{json.dumps(component)}](props); }})")
    return run_script(program, props)


def by_class(element: dict, name: str) -> list[dict]:
    """The elements of a drawn tree (`draw`) with class `name`, in document order."""
    found = [element] if name in (element.get("props", {}).get("className") or "").split() else []
    for child in element.get("children", []):
        if isinstance(child, dict):
            found += by_class(child, name)
    return found
