"""The polyfill Dash loads before React (@babel/polyfill 7, core-js 2), with the browser's own string
trimming and number parsing kept.

core-js 2 checks that `trim` removes U+180E, which Unicode 6.3 and ES2016 no longer call white
space; every current browser fails that check, so the polyfill replaces `String.prototype.trim`
(and trimStart/End/Left/Right), `parseInt` and `parseFloat` with its own, slower versions. plotly.js
calls them for every colour and number it draws: ~9 ms of a /services period change, measured
(the same functions put back: median 230 against 237 ms, p95 297 against 326). The polyfill is still
needed (Dash's renderer and dcc use its `regeneratorRuntime`), so this answers its address with
the polyfill between a line that keeps the browser's functions and one that puts them back."""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import dash
from dash import _dash_renderer
from dash.fingerprint import check_fingerprint
from flask import Response, request

from serving.asset_cache import YEAR_S

# What core-js 2 replaces only for that check: kept before it runs, put back after (where the browser has it).
NATIVES = ("String.prototype.trim", "String.prototype.trimStart", "String.prototype.trimEnd",
           "String.prototype.trimLeft", "String.prototype.trimRight", "window.parseInt", "window.parseFloat",
           "Number.parseInt", "Number.parseFloat")
_KEPT = "window.__iocNatives"


def polyfill_path() -> str:
    """The polyfill's path in the dash package, as Dash's script tag names it (without fingerprint)."""
    paths = [path for dependency in _dash_renderer._js_dist_dependencies
             for path in dependency["relative_package_path"]["prod"] if "polyfill" in path]
    return paths[0]


def _keep() -> str:
    return f"{_KEPT} = [{', '.join(NATIVES)}];\n"


def _put_back() -> str:
    lines = [f"  if (kept[{index}]) {{ {name} = kept[{index}]; }}" for index, name in enumerate(NATIVES)]
    return ("\n(function (kept) {\n" + "\n".join(lines) + f"\n  delete {_KEPT};\n}})({_KEPT});\n")


@functools.cache
def served() -> tuple[bytes, str]:
    """The polyfill between the two lines, and its ETag; made once per process."""
    polyfill = (Path(dash.__file__).resolve().parent / polyfill_path()).read_bytes()
    data = _keep().encode() + polyfill + _put_back().encode()
    return data, hashlib.sha1(data).hexdigest()


def serve_polyfill(prefix: str) -> Response | None:
    """The answer to the polyfill's address (fingerprinted or not); None for any other request."""
    suites = f"{prefix}_dash-component-suites/dash/"
    if not request.path.startswith(suites):
        return None
    path, fingerprinted = check_fingerprint(request.path[len(suites):])
    if path != polyfill_path():
        return None
    data, etag = served()
    response = Response(data, mimetype="application/javascript")
    response.set_etag(etag)
    if fingerprinted:  # kept a year, as Dash keeps its scripts: the address changes with Dash's version
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_S
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request)


def register(app: dash.Dash) -> None:
    prefix = app.config.routes_pathname_prefix
    app.server.before_request(lambda: serve_polyfill(prefix))
