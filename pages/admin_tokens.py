"""API tokens (`/admin/tokens`, admins only): the tokens the city's other systems read the API
with. Create one (it is shown once, here, and never stored in the browser), see each token's
scopes, expiry, last use and use count, revoke one. Every change is audited with the admin's
name (`security.api_tokens`); the callbacks are admin-only (`@access(ADMIN)`, checked by the
request hook before they run)."""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from flask import request

from components import ids
from components.banners import error_banner
from components.shell import nav_names, tab_title
from data_access.db import DatabaseUnavailable
from domain.formatting import format_datetime, format_number
from domain.i18n import normalise_lang, t
from security.api_tokens import MAX_EXPIRY_DAYS, TokenError, create, list_tokens, revoke
from security.policy import ADMIN, TOKEN_SCOPES, access
from security.session import current_identity

dash.register_page(__name__, path="/admin/tokens", **nav_names("admin_tokens"), order=13,
                   nav=False, title=tab_title("title.tokens"), access=ADMIN)

COLUMNS = ("name", "scopes", "status", "created", "by", "expires", "last_used", "uses", "")


def layout(**_query) -> html.Div:
    return html.Div([
        html.H1(id={"type": ids.TOKENS_BODY, "part": "heading"}, className="page-title"),
        html.P(id={"type": ids.TOKENS_BODY, "part": "intro"}, className="note"),
        html.Div([
            dcc.Input(id=ids.TOKENS_NAME, type="text", maxLength=64, className="text-input"),
            dcc.Checklist(id=ids.TOKENS_SCOPES, value=sorted(TOKEN_SCOPES)[:1], inline=True,
                          className="segmented light"),
            dcc.Input(id=ids.TOKENS_EXPIRES, type="number", min=1, max=MAX_EXPIRY_DAYS, step=1,
                      className="text-input"),
            html.Button(id=ids.TOKENS_CREATE, className="button", n_clicks=0),
        ], className="period-controls panel"),
        html.Div(id=ids.TOKENS_RESULT),
        html.Section([html.H2(id={"type": ids.TOKENS_BODY, "part": "list"}, className="section-title"),
                      html.Div(id={"type": ids.TOKENS_BODY, "part": "table"})], className="panel"),
    ])


@callback(
    Output({"type": ids.TOKENS_BODY, "part": "heading"}, "children"),
    Output({"type": ids.TOKENS_BODY, "part": "intro"}, "children"),
    Output({"type": ids.TOKENS_BODY, "part": "list"}, "children"),
    Output(ids.TOKENS_NAME, "placeholder"), Output(ids.TOKENS_SCOPES, "options"),
    Output(ids.TOKENS_EXPIRES, "placeholder"), Output(ids.TOKENS_CREATE, "children"),
    Input(ids.LANG_SELECT, "value"),
)
@access(ADMIN)
def translate(lang: str | None):
    lang = normalise_lang(lang)
    return (t("tokens.heading", lang), t("tokens.intro", lang), t("tokens.list", lang), t("tokens.name", lang),
            [{"label": f"{t(f'tokens.scope.{scope}', lang)} ({scope})", "value": scope} for scope in sorted(TOKEN_SCOPES)],
            t("tokens.expires", lang), t("tokens.create", lang))


@callback(
    Output({"type": ids.TOKENS_BODY, "part": "table"}, "children"), Output(ids.TOKENS_RESULT, "children"),
    Input(ids.TOKENS_CREATE, "n_clicks"), Input({"type": ids.TOKENS_REVOKE, "name": ALL}, "n_clicks"),
    Input(ids.LANG_SELECT, "value"),
    State(ids.TOKENS_NAME, "value"), State(ids.TOKENS_SCOPES, "value"), State(ids.TOKENS_EXPIRES, "value"),
)
@access(ADMIN)
def create_or_revoke(_clicks, revokes, lang, name, scopes, expires_days):
    """Create a token (shown once in the answer) or revoke one, then list them all."""
    lang = normalise_lang(lang)
    message = None
    trigger = ctx.triggered_id
    try:
        if trigger == ids.TOKENS_CREATE:
            message = _create_token(name, scopes, expires_days, lang)
        elif isinstance(trigger, dict) and any(revokes or []):
            revoke(trigger["name"], actor=current_identity().username, ip=_address())
            message = html.Div("✔ " + t("tokens.revoked", lang).format(name=trigger["name"]),
                               className="banner banner-info", role="status")
        return _table(lang), message
    except TokenError as exc:
        return _table(lang), error_banner(str(exc))
    except DatabaseUnavailable as exc:
        return dash.no_update, error_banner(str(exc))


def _address() -> str:
    return request.remote_addr or ""


def _create_token(name: str | None, scopes: list[str] | None, expires_days, lang: str):
    if not (name or "").strip() or not scopes:
        return error_banner(t("tokens.pick", lang))
    days = int(expires_days) if isinstance(expires_days, (int, float)) else None
    token = create(name, list(scopes), actor=current_identity().username, expires_days=days, ip=_address())
    return html.Div([html.P("✔ " + t("tokens.created", lang).format(name=name.strip())),
                     html.Pre(html.Code(token), className="token-once")],
                    className="banner banner-info", role="status")


def _when(moment, lang: str, none: str = "") -> str:
    return format_datetime(moment, lang) if moment else none


def _table(lang: str):
    tokens = list_tokens()
    if not tokens:
        return html.P(t("tokens.none", lang), className="muted")
    header = [t(f"tokens.col.{column}", lang) if column else "" for column in COLUMNS]
    rows = [html.Tr([
        html.Td(token["name"]), html.Td(" ".join(token["scopes"])),
        html.Td(t(f"tokens.status.{token['status']}", lang)), html.Td(_when(token["created_at"], lang)),
        html.Td(token["created_by"]), html.Td(_when(token["expires_at"], lang, t("tokens.never", lang))),
        html.Td(_when(token["last_used_at"], lang)), html.Td(format_number(token["use_count"], lang)),
        html.Td(html.Button(t("tokens.revoke", lang), className="button secondary", n_clicks=0,
                            id={"type": ids.TOKENS_REVOKE, "name": token["name"]})
                if token["status"] == "active" else ""),
    ]) for token in tokens]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(rows)],
                      className="compare-table")
