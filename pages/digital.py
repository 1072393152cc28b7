"""Digital transformation (`/digital`): connectivity, e-documents, e-meetings,
video conferencing, e-accounts and linked health facilities, for a period."""
from __future__ import annotations

from datetime import datetime

import dash
from dash import ALL, Input, Output, State, callback, dash_table, dcc, html

import settings
from components import ids
from components.banners import error_banner, ignored_notice
from components.export import download, export_buttons, requested_format
from components.formatting import table_locale, table_number_format
from components.i18n import normalise_lang, t
from components.kpi_card import make_kpi_card, next_target
from components.period_controls import (combined_key, comparison_period, make_period_controls, parse_query,
                                        register_period_callbacks)
from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import BY_CODE
from data_access.kpi import city_targets, compute_kpis, documents_by_unit, kpi_sources

dash.register_page(__name__, path="/digital", name="Chuyển đổi số", name_en="Digital", order=3, nav=True,
                   title="Chuyển đổi số – IOC")

PERIOD_IDS = ids.period_ids("digital")
register_period_callbacks(PERIOD_IDS)

UNIT_COLUMNS = ("unit", "sent", "signed", "signed_rate")
GROUPS = {
    "digital.connectivity": ("internet.household_rate", "internet.business_rate", "infra.fibre_km",
                             "wifi.access_points", "wifi.free_stations"),
    "digital.government": ("docs.sent", "docs.signed_rate", "meetings.electronic_rate",
                           "meetings.video_conference_ward_rate", "gov.email_account_rate"),
    "digital.citizens": ("citizens.e_account_rate", "citizens.egov_app_rate", "health.facilities_linked_rate"),
}


def layout(**query) -> html.Div:
    lang = normalise_lang(settings.get("DEFAULT_LANG"))
    period, compare, notices = parse_query(query)
    return html.Div([
        html.Div([html.H1(t("digital.heading", lang), className="page-title"),
                  make_period_controls(PERIOD_IDS, period, compare, lang)], className="page-head"),
        ignored_notice(notices, lang),
        dcc.Loading(html.Div(id=ids.DIGITAL_BODY), type="dot", delay_show=400),
        html.Div([
            html.Div([html.H2(t("digital.by_unit", lang), id=ids.DIGITAL_UNITS_TITLE, className="section-title"),
                      html.Div(export_buttons(ids.DIGITAL_EXPORT), className="export-buttons")], className="page-head"),
            html.Div(id=ids.DIGITAL_UNITS), dcc.Download(id=ids.DIGITAL_DOWNLOAD),
        ], className="panel"),
    ])


@callback(Output(ids.DIGITAL_BODY, "children"), Output(ids.DIGITAL_UNITS, "children"),
          Output(ids.DIGITAL_UNITS_TITLE, "children"),
          Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
          Input(PERIOD_IDS["period"], "value"), Input(PERIOD_IDS["to"], "value"),
          Input(PERIOD_IDS["compare"], "value"))
def render_digital(city: str, lang: str, period_key: str, last_key: str | None, compare: str):
    lang = normalise_lang(lang)
    try:
        period = periods.parse(combined_key(period_key, last_key))
        other = comparison_period(period, compare)
        values, previous = compute_kpis(city, period), compute_kpis(city, other)
        sources, targets = kpi_sources(city, period), city_targets(city)
        units = documents_by_unit(city, period)
    except (DatabaseUnavailable, periods.PeriodError) as exc:
        return error_banner(str(exc)), None, t("digital.by_unit", lang)
    sections = []
    for group, codes in GROUPS.items():
        cards = [make_kpi_card(BY_CODE[code], values[code], previous[code], next_target(targets, code, period.year),
                               sources[code], lang, compared_label=f"{t('card.vs', lang)} {other.key}")
                 for code in codes]
        sections.append(html.Section([html.H2(t(group, lang), className="section-title"),
                                      html.Div(cards, className="card-grid wide")], className="panel",
                                     style={"marginBottom": "16px"}))
    table = dash_table.DataTable(
        data=units.to_dict("records"), sort_action="native", page_size=30, id="digital-unit-table",
        style_cell={"textAlign": "right"}, style_cell_conditional=[{"if": {"column_id": "unit"}, "textAlign": "left"}],
        columns=[{"name": t(f"digital.col.{c}", lang), "id": c, "type": "text" if c == "unit" else "numeric",
                  "format": table_number_format(c)} for c in UNIT_COLUMNS],
        locale_format=table_locale(lang))
    return sections, table, f"{t('digital.by_unit', lang)} · {period.key}"


@callback(Output(ids.DIGITAL_DOWNLOAD, "data"), Input({"type": ids.DIGITAL_EXPORT, "format": ALL}, "n_clicks"),
          State(ids.CITY_SELECT, "value"), State(PERIOD_IDS["period"], "value"), State(PERIOD_IDS["to"], "value"),
          State(ids.LANG_SELECT, "value"), prevent_initial_call=True)
def export_units(clicks, city: str, period_key: str, last_key: str | None, lang: str):
    """The agency table as CSV or XLSX, as on screen."""
    file_format = requested_format(clicks)
    if file_format is None:
        return dash.no_update
    lang = normalise_lang(lang)
    period = periods.parse(combined_key(period_key, last_key))
    frame = documents_by_unit(city, period)[list(UNIT_COLUMNS)]
    frame.columns = [t(f"digital.col.{c}", lang) for c in UNIT_COLUMNS]
    name = f"van-ban-theo-don-vi_{city}_{period.key}_{datetime.now():%Y%m%d}"
    return download(frame, name, file_format, f"/digital {city} {period.key}")
