"""Smart City IOC Dashboard: creates the Dash app and its server.

`python app.py` serves on HOST:PORT (default 127.0.0.1:8050); production runs
`gunicorn app:server`.
"""
from __future__ import annotations

import os

import dash

import settings
from api import register_api
from components import jobs
from components.display import default_views, view_paths
from components.shell import ROUTING_INPUTS, make_shell
from security.hooks import init_security
from serving import init_serving
from serving.configuration import BadConfiguration, check_configuration
from serving.warmup import finish_dash_setup


def create_app() -> dash.Dash:
    check_configuration()
    app = dash.Dash(
        __name__,
        use_pages=True,
        title="IOC – Đô thị thông minh",
        update_title=None,
        suppress_callback_exceptions=True,
        routing_callback_inputs=ROUTING_INPUTS,  # a language switch draws the page again (components/shell.py)
        serve_locally=True,
        compress=settings.get_flag("COMPRESS_RESPONSES"),  # pre-gzipped map layers pass untouched
        # Phones lay the page out at their own width (assets/app.css has the phone layout).
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    unknown_views = [name for name in default_views() if name not in view_paths()]
    if unknown_views:
        raise BadConfiguration(f"WALL_VIEWS names no wall page: {', '.join(unknown_views)} "
                               f"(pages: {', '.join(sorted(view_paths()))})")
    app.layout = make_shell
    init_security(app)
    register_api(app.server)
    init_serving(app)
    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    finish_dash_setup(server)
    if not settings.debug_enabled() or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        jobs.start_launcher()  # forked before the server's threads (the reloader's watcher serves nothing)
    app.run(host=settings.get("HOST"), port=settings.get_int("PORT"), debug=settings.debug_enabled())
