"""What production serving needs around the app: health probes, one JSON log line per
request, Prometheus metrics, the browser's smaller plotly.js, Dash's polyfill without its slower
string and number functions, the app's own files kept by the browser. `init_serving(app)` wires
them in (called by app.py)."""
from __future__ import annotations

import dash


def init_serving(app: dash.Dash) -> None:
    from serving import asset_cache, observability, plotly_bundle, polyfill, probes, response_cache

    probes.register(app.server)
    plotly_bundle.register(app.server)
    polyfill.register(app)
    asset_cache.register(app.server)
    observability.register(app.server)
    response_cache.register(app)
