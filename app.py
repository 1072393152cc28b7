"""Smart City IOC Dashboard: creates the Dash app and its server.

`python app.py` serves on HOST:PORT (default 127.0.0.1:8050); production runs
`gunicorn app:server`.
"""
from __future__ import annotations

import dash

import settings
from api import register_api
from components.shell import make_shell
from security.hooks import init_security
from serving import init_serving


def create_app() -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        title="IOC – Đô thị thông minh",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    app.layout = make_shell
    init_security(app)
    register_api(app.server)
    init_serving(app)
    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=settings.get("HOST"), port=settings.get_int("PORT"), debug=settings.debug_enabled())
