"""Working calendar (`/admin/calendar`, admins only): the days off and make-up working days
the government announces each year, recorded where the `holidays` library does not know
them yet. Deadlines of open citizen reports are recounted when a day is recorded or
removed (`loaders.calendar`)."""
from __future__ import annotations

from datetime import date

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from components import ids
from components.banners import error_banner
from components.shell import nav_names, tab_title
from data_access.calendar import calendar_overrides
from data_access.db import DatabaseUnavailable
from domain.city_time import city_today
from domain.formatting import format_date, format_datetime
from domain.i18n import normalise_lang, t
from domain.working_days import DAY_KINDS, holidays_in_year, make_up_days_in_year
from loaders.calendar import record_day
from security.policy import ADMIN, access
from security.session import current_identity

dash.register_page(__name__, path="/admin/calendar", **nav_names("admin_calendar"), order=11,
                   nav=False, title=tab_title("title.calendar"), access=ADMIN)


def layout(**_query) -> html.Div:
    return html.Div([
        html.H1(id={"type": ids.CALENDAR_BODY, "part": "heading"}, className="page-title"),
        html.P(id={"type": ids.CALENDAR_BODY, "part": "intro"}, className="note"),
        html.Div([
            dcc.DatePickerSingle(id=ids.CALENDAR_DAY, display_format="DD/MM/YYYY", first_day_of_week=1,
                                 min_date_allowed=date(2000, 1, 1), max_date_allowed=date(2100, 12, 31)),
            dcc.RadioItems(id=ids.CALENDAR_KIND, inline=True, className="segmented light"),
            dcc.Input(id=ids.CALENDAR_NOTE, type="text", maxLength=240, debounce=True, className="text-input"),
            html.Button(id=ids.CALENDAR_RECORD, className="button", n_clicks=0),
        ], className="period-controls panel"),
        html.Div(id=ids.CALENDAR_RESULT),
        html.Div(id={"type": ids.CALENDAR_BODY, "part": "tables"}),
    ])


@callback(
    Output({"type": ids.CALENDAR_BODY, "part": "heading"}, "children"),
    Output({"type": ids.CALENDAR_BODY, "part": "intro"}, "children"),
    Output(ids.CALENDAR_KIND, "options"), Output(ids.CALENDAR_NOTE, "placeholder"), Output(ids.CALENDAR_DAY, "placeholder"),
    Output(ids.CALENDAR_RECORD, "children"),
    Input(ids.LANG_SELECT, "value"),
)
@access(ADMIN)
def translate(lang: str | None):
    lang = normalise_lang(lang)
    return (t("calendar.heading", lang), t("calendar.intro", lang),
            [{"label": t(f"calendar.kind.{kind}", lang), "value": kind} for kind in DAY_KINDS],
            t("calendar.note", lang), t("calendar.pick_day", lang), t("calendar.record", lang))


@callback(
    Output({"type": ids.CALENDAR_BODY, "part": "tables"}, "children"), Output(ids.CALENDAR_RESULT, "children"),
    Input(ids.CALENDAR_RECORD, "n_clicks"), Input({"type": ids.CALENDAR_REMOVE, "day": ALL}, "n_clicks"),
    Input(ids.LANG_SELECT, "value"),
    State(ids.CALENDAR_DAY, "date"), State(ids.CALENDAR_KIND, "value"), State(ids.CALENDAR_NOTE, "value"),
)
@access(ADMIN)
def record_or_remove(_record, _removes, lang, day_text, kind, note):
    """Record the chosen day, or remove a recorded one, then show the calendar."""
    lang = normalise_lang(lang)
    message = None
    trigger = ctx.triggered_id
    try:
        if trigger == ids.CALENDAR_RECORD:
            message = (_apply(day_text, kind, note or "", lang) if day_text and kind
                       else error_banner(t("calendar.pick", lang)))
        elif isinstance(trigger, dict) and any(_removes or []):
            message = _apply(trigger["day"], None, "", lang)
        return _tables(lang), message
    except DatabaseUnavailable as exc:
        return dash.no_update, error_banner(str(exc))


def _apply(day_text: str | None, kind: str | None, note: str, lang: str):
    try:
        day = date.fromisoformat(str(day_text)[:10])
    except ValueError:
        return error_banner(t("calendar.pick", lang))
    change = record_day(day, kind, note, actor=current_identity().username)
    if change.errors:
        return error_banner("; ".join(change.errors))
    key = "calendar.removed" if kind is None else "calendar.done"
    text = t(key, lang).format(day=format_date(day, lang), kind=t(f"calendar.kind.{kind}", lang) if kind else "",
                               moved=change.moved_deadlines)
    return html.Div("✔ " + text, className="banner banner-info", role="status")


def _tables(lang: str) -> list:
    recorded = calendar_overrides()
    header = [t("calendar.day", lang), t("calendar.kind", lang), t("calendar.note", lang), t("calendar.by", lang),
              t("calendar.at", lang), ""]
    rows = [html.Tr([html.Td(format_date(o["day"], lang)), html.Td(t(f"calendar.kind.{o['kind']}", lang)),
                     html.Td(o["note"]), html.Td(o["recorded_by"]), html.Td(format_datetime(o["recorded_at"], lang)),
                     html.Td(html.Button(t("calendar.remove", lang), className="button secondary", n_clicks=0,
                                         id={"type": ids.CALENDAR_REMOVE, "day": o["day"].isoformat()}))])
            for o in recorded]
    this_year = city_today().year
    library = [html.Li(f"{format_date(day, lang)}: {t('calendar.kind.working_day', lang)}")
               for year in (this_year, this_year + 1) for day in sorted(make_up_days_in_year(year))]
    library += [html.Li(f"{format_date(day, lang)}")
                for year in (this_year, this_year + 1) for day in sorted(holidays_in_year(year))]
    return [
        html.Section([html.H2(t("calendar.recorded", lang), className="section-title"),
                      html.Table([html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(rows)],
                                 className="compare-table") if rows else html.P(t("calendar.none", lang), className="muted")],
                     className="panel calendar-recorded"),
        html.Section([html.H2(t("calendar.library", lang).format(year=f"{this_year}–{this_year + 1}"),
                              className="section-title"), html.Ul(library, className="calendar-library")],
                     className="panel"),
    ]
