"""Alerts (`/alerts`): the alerts of the rules addressed to the signed-in user (their role or
their name among the rule's recipients; admins see all), open, acknowledged and closed, filtered by
status, severity and rule kind; acknowledge one with a note, or snooze its reminders.

Who may see and act is decided on the server in every callback, from the session (never from what
the browser sends): the list is read for the session's role and name, and acknowledging or
snoozing checks the alert's rule again (`loaders.alerts`). The list refreshes every OPS_REFRESH_S.

A notification links to its alert (`/alerts?alert=ID`): the page opens with it chosen, its row
marked and scrolled to (closed ones included in the filter); an id that is not a number, or not an
alert this user may see, is named in a notice and otherwise ignored.
"""
from __future__ import annotations

import re
from datetime import timedelta

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html

import settings
from components import ids
from components.banners import error_banner, ignored_notice
from components.shell import nav_names, request_lang, tab_title
from data_access.alerts import alerts_for
from data_access.db import DatabaseUnavailable
from domain import alerts as rules
from domain.city_time import utc_now
from domain.formatting import format_datetime
from domain.i18n import dropdown_labels, normalise_lang, t
from domain.incidents import SEVERITIES
from loaders.alerts import AlertDenied, AlertError, acknowledge, snooze
from security.session import current_identity

dash.register_page(__name__, path="/alerts", **nav_names("alerts"), order=2, nav=True,
                   title=tab_title("title.alerts"))

SNOOZE_HOURS = (1, 4, 24)
DEFAULT_STATUSES = ("open", "acknowledged")


def _options(prefix: str, values, lang: str) -> list[dict]:
    return [{"label": t(f"{prefix}.{value}", lang), "value": value} for value in values]


def linked_alert(value, role: str, username: str) -> tuple[dict | None, tuple[str, str] | None]:
    """(the alert `?alert=` names, or None; (the value, the text key saying why) when it was ignored).
    Read for the session's user, so an alert of a rule not addressed to them is as unknown as a missing one."""
    if value is None or value == "":
        return None, None
    text = str(value).strip()[:40]
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) == 0:
        return None, (text, "alerts.link_bad")
    found = alerts_for(role, username, alert_id=int(text))
    return (found[0], None) if found else (None, (text, "alerts.link_unknown"))


def layout(lang: str | None = None, alert: str | None = None, **_query) -> html.Div:
    lang = request_lang(lang)
    refresh_ms = max(2, settings.get_int("OPS_REFRESH_S")) * 1000
    identity = current_identity()
    focus, notice = None, None
    try:
        focus, ignored = linked_alert(alert, identity.role, identity.username)
    except DatabaseUnavailable as exc:
        notice, ignored = error_banner(str(exc)), None
    if ignored is not None:
        notice = ignored_notice([f"alert={ignored[0]}: {t(ignored[1], lang)}"], lang)
    elif focus is not None:
        notice = html.P(t("alerts.focus", lang).format(id=focus["id"]), className="notice", role="status")
    statuses = list(DEFAULT_STATUSES) + (["closed"] if focus and focus["status"] == "closed" else [])
    return html.Div([
        html.H1(t("alerts.heading", lang), className="page-title"),
        dcc.Interval(id=ids.ALERTS_INTERVAL, interval=refresh_ms),
        dcc.Store(id=ids.ALERTS_FOCUS, data=focus["id"] if focus else None),
        html.Div(notice, id=ids.ALERTS_NOTICE),
        html.Div([
            dcc.Checklist(id=ids.ALERTS_STATUS, options=_options("alerts.status", rules.STATUSES, lang),
                          value=statuses, inline=True, className="segmented light"),
            dcc.Dropdown(id=ids.ALERTS_SEVERITY, options=_options("ops.severity", SEVERITIES, lang), multi=True,
                         placeholder=t("alerts.severity", lang), className="admin-select",
                         labels=dropdown_labels(lang)),
            dcc.Dropdown(id=ids.ALERTS_KIND, options=_options("alerts.kind", rules.KINDS, lang), multi=True,
                         placeholder=t("alerts.kind", lang), className="admin-select", labels=dropdown_labels(lang)),
        ], className="period-controls"),
        html.Div([
            dcc.Dropdown(id=ids.ALERTS_PICK, placeholder=t("alerts.pick", lang), className="admin-select",
                         labels=dropdown_labels(lang), value=focus["id"] if focus else None,
                         options=[_pick_option(focus)] if focus else []),
            dcc.Input(id=ids.ALERTS_NOTE, type="text", maxLength=500, placeholder=t("alerts.note", lang),
                      className="text-input", style={"minWidth": "18rem"}),
            html.Button(t("alerts.acknowledge", lang), id=ids.ALERTS_ACK, className="button", n_clicks=0),
            dcc.Dropdown(id=ids.ALERTS_SNOOZE_HOURS, value=SNOOZE_HOURS[0], clearable=False, className="admin-select",
                         options=[{"label": t("alerts.hours", lang).format(n=h), "value": h} for h in SNOOZE_HOURS],
                         labels=dropdown_labels(lang)),
            html.Button(t("alerts.snooze", lang), id=ids.ALERTS_SNOOZE, className="button secondary", n_clicks=0),
        ], className="period-controls panel"),
        html.Div(id=ids.ALERTS_RESULT),
        html.Div(id=ids.ALERTS_TABLE, className="panel table-scroll"),
    ])


def _pick_option(alert: dict) -> dict:
    return {"label": f"{alert['id']} · {alert['rule']}", "value": alert["id"]}


def _handling(alert: dict, lang: str) -> str:
    parts = []
    if alert["acknowledged_by"]:
        parts.append(t("alerts.ack_by", lang).format(user=alert["acknowledged_by"],
                                                     at=format_datetime(alert["acknowledged_at"], lang))
                     + (f": {alert['ack_note']}" if alert["ack_note"] else ""))
    if alert["snoozed_until"] and alert["snoozed_until"] > utc_now():
        parts.append(t("alerts.snoozed_until", lang).format(at=format_datetime(alert["snoozed_until"], lang)))
    if alert["escalation_level"]:
        parts.append(t("alerts.escalated", lang).format(n=alert["escalation_level"] + 1))
    if alert["closed_at"]:
        parts.append(t("alerts.closed_at", lang).format(at=format_datetime(alert["closed_at"], lang)))
    return "; ".join(parts)


def alerts_table(alerts: list[dict], lang: str, focus: int | None = None):
    if not alerts:
        return html.P(t("alerts.none", lang), className="notice")
    columns = ("id", "severity", "rule", "message", "baseline", "opened", "status", "handled")
    head = html.Thead(html.Tr([html.Th(t(f"alerts.col.{c}", lang)) for c in columns]))
    body = html.Tbody([html.Tr([
        html.Td(alert["id"]),
        html.Td(t(f"ops.severity.{alert['severity']}", lang), className=f"severity severity-{alert['severity']}"),
        html.Td(alert["rule"]),
        html.Td(alert["message"][lang]),
        html.Td("" if alert["baseline"] is None else f"{alert['baseline']:.4g}"),
        html.Td(format_datetime(alert["opened_at"], lang)),
        html.Td(t(f"alerts.status.{alert['status']}", lang)),
        html.Td(_handling(alert, lang)),
    ], className=f"alert-row alert-{alert['status']}" + (" alert-focus" if alert["id"] == focus else ""),
        **{"data-alert": str(alert["id"])}) for alert in alerts])
    return html.Table([head, body], className="data-table alerts-table")


def _act(trigger, alert_id, note, hours, lang: str):
    """Acknowledge or snooze for the session's user; the banner saying what happened."""
    identity = current_identity()
    try:
        if trigger == ids.ALERTS_ACK:
            acknowledge(int(alert_id), username=identity.username, role=identity.role, note=note or "")
            return html.Div("✔ " + t("alerts.acknowledged", lang).format(id=alert_id), className="banner banner-info")
        until = utc_now() + timedelta(hours=int(hours if hours in SNOOZE_HOURS else SNOOZE_HOURS[0]))
        snooze(int(alert_id), username=identity.username, role=identity.role, until=until)
        return html.Div("✔ " + t("alerts.snoozed", lang).format(id=alert_id, until=format_datetime(until, lang)),
                        className="banner banner-info")
    except AlertDenied:
        return error_banner(t("alerts.denied", lang))
    except (AlertError, ValueError) as exc:
        return error_banner(t("alerts.cannot", lang).format(reason=exc))


@callback(Output(ids.ALERTS_TABLE, "children"), Output(ids.ALERTS_PICK, "options"), Output(ids.ALERTS_RESULT, "children"),
          Input(ids.ALERTS_STATUS, "value"), Input(ids.ALERTS_SEVERITY, "value"), Input(ids.ALERTS_KIND, "value"),
          Input(ids.ALERTS_INTERVAL, "n_intervals"), Input(ids.ALERTS_ACK, "n_clicks"),
          Input(ids.ALERTS_SNOOZE, "n_clicks"), Input(ids.LANG_SELECT, "value"),
          State(ids.ALERTS_PICK, "value"), State(ids.ALERTS_NOTE, "value"), State(ids.ALERTS_SNOOZE_HOURS, "value"),
          State(ids.ALERTS_FOCUS, "data"))
def show_alerts(statuses, severities, kinds, _tick, _ack, _snooze, lang, alert_id, note, hours, focus):
    """Act when asked, then list the alerts this session's user may see (the linked one marked: it is
    only a row of that list, so a crafted `focus` shows nothing more)."""
    lang = normalise_lang(lang)
    identity = current_identity()
    result = dash.no_update
    if ctx.triggered_id in (ids.ALERTS_ACK, ids.ALERTS_SNOOZE) and alert_id is not None:
        result = _act(ctx.triggered_id, alert_id, note, hours, lang)
    keep = lambda chosen, allowed: [value for value in (chosen or []) if value in allowed]  # noqa: E731
    try:
        alerts = alerts_for(identity.role, identity.username, keep(statuses, rules.STATUSES),
                            keep(severities, SEVERITIES), keep(kinds, rules.KINDS))
    except DatabaseUnavailable as exc:
        return dash.no_update, dash.no_update, error_banner(str(exc))
    focus = focus if isinstance(focus, int) and not isinstance(focus, bool) else None
    options = [_pick_option(a) for a in alerts if a["status"] != "closed" or a["id"] == focus]
    return alerts_table(alerts, lang, focus), options, result


# The linked alert's row is scrolled into view once, when it first appears (not at every refresh,
# which would pull back a reader who scrolled on).
clientside_callback(
    """function(_children, focus) {
        const box = document.getElementById('%(table)s');
        if (!focus || !box || box.dataset.scrolled === String(focus)) { return window.dash_clientside.no_update; }
        const row = box.querySelector('tr[data-alert="' + focus + '"]');
        if (row) {
            box.dataset.scrolled = String(focus);
            row.scrollIntoView({block: 'center'});
        }
        return window.dash_clientside.no_update;
    }""" % {"table": ids.ALERTS_TABLE},
    Output(ids.ALERTS_FOCUS, "data"),
    Input(ids.ALERTS_TABLE, "children"), State(ids.ALERTS_FOCUS, "data"),
    prevent_initial_call=True,
)
