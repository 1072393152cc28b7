"""Digital transformation (`/digital`): connectivity, e-documents, e-meetings,
video conferencing, e-accounts and linked health facilities, for a period."""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, dcc, html

from components import ids
from components.banners import error_banner, ignored_notice
from components.export import export_buttons, table_export
from components.grid import COUNT, RATE, TEXT_KIND, GridColumn, data_grid, grid_id, shown_rows
from components.kpi_card import make_kpi_card, next_target
from components.period_controls import (
    combined_key,
    comparison_period,
    make_period_controls,
    read_query,
    register_period_callbacks,
)
from components.shell import nav_names, request_lang, tab_title
from data_access.db import DatabaseUnavailable
from data_access.kpi import city_targets, compute_kpis, documents_by_unit, kpi_sources
from domain import periods
from domain.formatting import format_period
from domain.i18n import normalise_lang, t
from domain.indicators import BY_CODE
from security.session import audit_current_user
from serving.response_cache import cache_response

dash.register_page(__name__, path="/digital", **nav_names("digital"), order=3, nav=True,
                   period="any", title=tab_title("title.digital"))

PERIOD_IDS = ids.period_ids("digital")
register_period_callbacks(PERIOD_IDS)

UNIT_COLUMNS = ("unit", "sent", "signed", "signed_rate")
COLUMN_KINDS = {"unit": TEXT_KIND, "sent": COUNT, "signed": COUNT, "signed_rate": RATE}
GROUPS = {
    "digital.connectivity": ("internet.household_rate", "internet.business_rate", "infra.fibre_km",
                             "wifi.access_points", "wifi.free_stations"),
    "digital.government": ("docs.sent", "docs.signed_rate", "meetings.electronic_rate",
                           "meetings.video_conference_ward_rate", "gov.email_account_rate"),
    "digital.citizens": ("citizens.e_account_rate", "citizens.egov_app_rate", "health.facilities_linked_rate"),
}


def layout(**query) -> html.Div:
    lang = request_lang(query.get("lang"))
    chosen = read_query(query)
    return html.Div([
        html.Div([html.H1(t("digital.heading", lang), className="page-title"),
                  make_period_controls(PERIOD_IDS, chosen.period, chosen.compare, lang, chosen.given)],
                 className="page-head"),
        ignored_notice(chosen.notices, lang),
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
@cache_response()
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
                               sources[code], lang, compared_label=f"{t('card.vs', lang)} {format_period(other, lang)}")
                 for code in codes]
        sections.append(html.Section([html.H2(t(group, lang), className="section-title"),
                                      html.Div(cards, className="card-grid wide")], className="panel",
                                     style={"marginBottom": "16px"}))
    columns = [GridColumn(c, t(f"digital.col.{c}", lang), COLUMN_KINDS[c]) for c in UNIT_COLUMNS]
    table = data_grid(ids.DIGITAL_UNIT_GRID, units.to_dict("records"), columns, lang, page_size=30, key="unit")
    return sections, table, f"{t('digital.by_unit', lang)} · {format_period(period, lang)}"


@callback(Output(ids.DIGITAL_DOWNLOAD, "data"), Input({"type": ids.DIGITAL_EXPORT, "format": ALL}, "n_clicks"),
          State(ids.CITY_SELECT, "value"), State(PERIOD_IDS["period"], "value"), State(PERIOD_IDS["to"], "value"),
          State(ids.LANG_SELECT, "value"), State(grid_id(ids.DIGITAL_UNIT_GRID), "virtualRowData"),
          prevent_initial_call=True)
def export_units(clicks, city: str, period_key: str, last_key: str | None, lang: str, shown: list | None = None):
    """The agency table as CSV or XLSX, as on screen: the rows the reader's filters left, in their order."""
    lang = normalise_lang(lang)
    period = periods.parse(combined_key(period_key, last_key))

    def frame():
        table = shown_rows(documents_by_unit(city, period), "unit", shown)[list(UNIT_COLUMNS)]
        table.columns = [t(f"digital.col.{c}", lang) for c in UNIT_COLUMNS]
        return table

    return table_export(clicks, frame, f"van-ban-theo-don-vi_{city}_{period.key}",
                        lambda file_format: audit_current_user("export", f"/digital {city} {period.key} {file_format}"))
