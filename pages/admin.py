"""Administration (`/admin`, admin role only): users, their roles and accounts,
and the audit log. Every change is written to the audit log with the admin's name."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dash_table, dcc, html

from components.banners import error_banner
from components.formatting import format_datetime
from data_access.db import DatabaseUnavailable
from data_access.users import ROLES, UserError, audit, list_users, recent_audit, update_user
from security.policy import ADMIN, access
from security.session import current_identity

dash.register_page(__name__, path="/admin", name="Quản trị", name_en="Admin", order=9, nav=True,
                   title="Quản trị – IOC", access=ADMIN)

USERS = "admin-users"
AUDIT = "admin-audit"
USER = "admin-user"
ROLE = "admin-role"
ACTIVE = "admin-active"
APPLY = "admin-apply"
RESULT = "admin-result"


def layout(**_query) -> html.Div:
    return html.Div([
        html.H1("Quản trị người dùng / Users", className="page-title"),
        html.Div([
            html.Div([
                dcc.Dropdown(id=USER, placeholder="Người dùng / User", className="admin-select"),
                dcc.Dropdown(id=ROLE, options=list(ROLES), placeholder="Vai trò / Role", className="admin-select"),
                dcc.RadioItems(id=ACTIVE, options=[{"label": "Hoạt động / Active", "value": "active"},
                                                   {"label": "Khóa / Disabled", "value": "disabled"}],
                               inline=True, className="segmented light"),
                html.Button("Áp dụng / Apply", id=APPLY, className="button", n_clicks=0),
            ], className="period-controls"),
            html.Div(id=RESULT, style={"marginTop": "8px"}),
            html.Div(id=USERS, style={"marginTop": "12px"}),
        ], className="panel"),
        html.Div([html.H2("Nhật ký / Audit log", className="section-title"), html.Div(id=AUDIT)],
                 className="panel", style={"marginTop": "16px"}),
    ])


def _tables():
    users = list_users()
    rows = [{"username": u["username"], "name": u["display_name"], "role": u["role"],
             "active": "✔" if u["active"] else "✖", "locked": format_datetime(u["locked_until"]) if u["locked_until"] else "",
             "last_login": format_datetime(u["last_login_at"])} for u in users]
    events = [{**event, "at": format_datetime(event["at"])} for event in recent_audit(200)]
    style = {"fontFamily": "inherit", "textAlign": "left"}
    return (dash_table.DataTable(rows, sort_action="native", page_size=20, style_cell=style),
            dash_table.DataTable(events, page_size=20, style_cell=style),
            [{"label": u["username"], "value": u["username"]} for u in users])


@callback(Output(USERS, "children"), Output(AUDIT, "children"), Output(USER, "options"), Output(RESULT, "children"),
          Input(APPLY, "n_clicks"), State(USER, "value"), State(ROLE, "value"), State(ACTIVE, "value"))
@access(ADMIN)
def manage_users(n_clicks: int, username: str | None, role: str | None, active: str | None):
    """Apply a role or account change (when asked), then show users and the audit log."""
    message = None
    try:
        if n_clicks and username:
            values = {}
            if role:
                values["role"] = role
            if active:
                values["active"] = active == "active"
            if values:
                update_user(username, **values)
                audit(current_identity().username, "user_changed", f"{username} {values}")
                message = html.Div(f"✔ {username}: {values}", className="banner banner-info")
        users, events, options = _tables()
    except (DatabaseUnavailable, UserError) as exc:
        return dash.no_update, dash.no_update, dash.no_update, error_banner(str(exc))
    return users, events, options, message
