"""The plotly.js the browser runs: the basic bundle (scatter, bar, pie) of the very version plotly.py
carries, 1.2 MB instead of the full 4.8 MB Dash serves. Every chart the pages draw is a scatter or
a bar (tests/unit/test_plotly_bundle.py checks the pages, and that the versions match); parsing the
full bundle held each page with a chart ~200 ms. Exported PDF and PNG are drawn on the server
(kaleido), with all of plotly. dcc.Graph loads plotly.js from Dash's address for it, so this
answers that address (a rule without variable parts wins over Dash's component-suites rule)."""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Flask, Response, request

BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-basic.min.js"
DASH_ADDRESS = "/_dash-component-suites/plotly/package_data/plotly.min.js"


@functools.cache
def _bundle() -> tuple[bytes, str]:
    """The bundle and its ETag, read and hashed once per process (every page with a chart asks)."""
    data = BUNDLE.read_bytes()
    return data, hashlib.sha1(data).hexdigest()


def serve_bundle() -> Response:
    """Revalidated by its ETag on each page, as Dash serves its own unfingerprinted scripts; an
    ordinary response, so it is compressed like them."""
    data, etag = _bundle()
    response = Response(data, mimetype="application/javascript")
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def register(server: Flask) -> None:
    server.add_url_rule(DASH_ADDRESS, "plotly_basic_bundle", serve_bundle, methods=["GET"])
