"""Administration (`/admin`, admin role only): users, their roles and accounts, their open
sessions, and the audit log. Every change is written to the audit log with the admin's name.
A role change or a disabled account ends the user's sessions at once; the last active admin
cannot be demoted or disabled (both enforced in `security.accounts`)."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, dcc, html

from components import ids
from components.banners import error_banner
from components.grid import MOMENT, TEXT_KIND, GridColumn, data_grid
from components.shell import nav_names, request_lang, tab_title
from data_access.db import DatabaseUnavailable
from domain.i18n import dropdown_labels, normalise_lang, t
from security.accounts import ROLES, UserError, audit, list_users, recent_audit, update_user
from security.policy import ADMIN, access
from security.session import current_identity, end_user_sessions
from security.session_store import user_sessions

dash.register_page(__name__, path="/admin", **nav_names("admin"), order=9, nav=True,
                   title=tab_title("title.admin"), access=ADMIN)

USERS = "admin-users"
AUDIT = "admin-audit"
USER = "admin-user"
ROLE = "admin-role"
ACTIVE = "admin-active"
APPLY = "admin-apply"
RESULT = "admin-result"
SESSIONS = "admin-sessions"
SESSIONS_SHOW = "admin-sessions-show"
SESSIONS_END = "admin-sessions-end"
# Each table's columns and how their values are written (instants sort in time order).
SESSION_COLUMNS = {"session": TEXT_KIND, "started": MOMENT, "seen": MOMENT, "ip": TEXT_KIND, "browser": TEXT_KIND}
USER_COLUMNS = {"username": TEXT_KIND, "name": TEXT_KIND, "role": TEXT_KIND, "active": TEXT_KIND, "locked": MOMENT,
                "last_login": MOMENT}
AUDIT_COLUMNS = {"at": MOMENT, "actor": TEXT_KIND, "action": TEXT_KIND, "detail": TEXT_KIND, "ip": TEXT_KIND}


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = request_lang(lang)
    return html.Div([
        html.H1(t("admin.heading", lang), className="page-title"),
        html.Div([dcc.Link(f"{t('calendar.open', lang)} →", href="/admin/calendar", className="button secondary"),
                  dcc.Link(f"{t('quality.open', lang)} →", href="/admin/quality", className="button secondary"),
                  dcc.Link(f"{t('tokens.open', lang)} →", href="/admin/tokens", className="button secondary"),
                  dcc.Link(f"{t('alert_rules.open', lang)} →", href="/admin/alert-rules",
                           className="button secondary")],
                 className="period-controls"),
        html.Div([
            html.Div([
                dcc.Dropdown(id=USER, placeholder=t("admin.user", lang), className="admin-select",
                             labels=dropdown_labels(lang)),
                dcc.Dropdown(id=ROLE, options=[{"label": t(f"role.{role}", lang), "value": role} for role in ROLES],
                             placeholder=t("admin.role", lang), className="admin-select", labels=dropdown_labels(lang)),
                dcc.RadioItems(id=ACTIVE, options=[{"label": t("admin.active", lang), "value": "active"},
                                                   {"label": t("admin.disabled", lang), "value": "disabled"}],
                               inline=True, className="segmented light"),
                html.Button(t("admin.apply", lang), id=APPLY, className="button", n_clicks=0),
            ], className="period-controls"),
            html.Div(id=RESULT, style={"marginTop": "8px"}),
            html.Div(id=USERS, style={"marginTop": "12px"}),
        ], className="panel"),
        html.Div([
            html.H2(t("admin.sessions", lang), className="section-title"),
            html.Div([html.Button(t("admin.sessions_show", lang), id=SESSIONS_SHOW, className="button secondary",
                                  n_clicks=0),
                      html.Button(t("admin.sessions_end", lang), id=SESSIONS_END, className="button", n_clicks=0)],
                     className="period-controls"),
            html.Div(id=SESSIONS, style={"marginTop": "8px"}),
        ], className="panel", style={"marginTop": "16px"}),
        html.Div([html.H2(t("admin.audit", lang), className="section-title"), html.Div(id=AUDIT)],
                 className="panel", style={"marginTop": "16px"}),
    ])


def _grid(name: str, rows: list[dict], columns: dict[str, str], lang: str):
    """A sortable, filterable table with human column names (the admin's tables)."""
    return data_grid(name, rows, [GridColumn(c, t(f"admin.col.{c}", lang), kind, wrap=c == "detail")
                                  for c, kind in columns.items()], lang)


def _tables(lang: str):
    users = list_users()
    rows = [{"username": u["username"], "name": u["display_name"], "role": t(f"role.{u['role']}", lang),
             "active": t("admin.active" if u["active"] else "admin.disabled", lang),
             "locked": u["locked_until"], "last_login": u["last_login_at"]} for u in users]
    return (_grid(ids.ADMIN_USERS_GRID, rows, USER_COLUMNS, lang),
            _grid(ids.ADMIN_AUDIT_GRID, recent_audit(200), AUDIT_COLUMNS, lang),
            [{"label": u["username"], "value": u["username"]} for u in users])


@callback(Output(USERS, "children"), Output(AUDIT, "children"), Output(USER, "options"), Output(RESULT, "children"),
          Input(APPLY, "n_clicks"), Input(ids.LANG_SELECT, "value"),
          State(USER, "value"), State(ROLE, "value"), State(ACTIVE, "value"))
@access(ADMIN)
def manage_users(n_clicks: int, lang: str | None, username: str | None, role: str | None, active: str | None):
    """Apply a role or account change (when asked), then show users and the audit log."""
    lang = normalise_lang(lang)
    message = None
    try:
        if ctx.triggered_id == APPLY and n_clicks and username:
            values = {}
            if role:
                values["role"] = role
            if active:
                values["active"] = active == "active"
            if values:
                update_user(username, **values)
                audit(current_identity().username, "user_changed", f"{username} {values}")
                message = html.Div("✔ " + t("admin.changed", lang).format(user=username), className="banner banner-info")
        users, events, options = _tables(lang)
    except (DatabaseUnavailable, UserError) as exc:
        return dash.no_update, dash.no_update, dash.no_update, error_banner(str(exc))
    return users, events, options, message


@callback(Output(SESSIONS, "children"), Input(SESSIONS_SHOW, "n_clicks"), Input(SESSIONS_END, "n_clicks"),
          State(USER, "value"), State(ids.LANG_SELECT, "value"), prevent_initial_call=True)
@access(ADMIN)
def user_sessions_panel(_show: int, _end: int, username: str | None, lang: str | None):
    """The chosen user's open sessions; "end all" ends them at once on every worker (audited)."""
    lang = normalise_lang(lang)
    if not username:
        return html.Div(t("admin.pick_user", lang), className="notice")
    notice = None
    try:
        if ctx.triggered_id == SESSIONS_END:
            ended = end_user_sessions(username)
            audit(current_identity().username, "sessions_ended", f"{username} {ended}")
            notice = html.Div("✔ " + t("admin.sessions_ended", lang).format(n=ended, user=username),
                              className="banner banner-info")
        rows = user_sessions(username)
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))
    if not rows:
        return [notice, html.P(t("admin.sessions_none", lang).format(user=username))]
    return [notice, _grid(ids.ADMIN_SESSIONS_GRID, rows, SESSION_COLUMNS, lang)]
