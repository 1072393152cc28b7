"""How long a browser keeps the app's own files (assets/): Dash writes their addresses with the
file's modification time (`/assets/app.css?m=1796090057.89`), so an address never names two
contents and a browser may keep it for a year without asking again. Flask answered them `no-cache`:
every page load asked again for each of the ~20 files (an answer `304` each, in the queue of the
page's own requests, 25 to 80 ms on the 2-core machine). An address without `m=` is still
revalidated."""
from __future__ import annotations

from flask import Flask, Response, request

YEAR_S = 365 * 24 * 3600


def keep_fingerprinted(response: Response) -> Response:
    if request.path.startswith("/assets/") and request.args.get("m") and response.status_code in (200, 304):
        control = response.cache_control
        control.no_cache = None
        control.public = True
        control.max_age = YEAR_S
        control.immutable = True
    return response


def register(server: Flask) -> None:
    server.after_request(keep_fingerprinted)
