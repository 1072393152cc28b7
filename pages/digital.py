"""Digital transformation (`/digital`): connectivity, e-documents, e-meetings,
video conferencing, e-accounts and linked health facilities, for a period."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

import settings
from components import ids
from components.banners import error_banner, ignored_notice
from components.i18n import normalise_lang, t
from components.kpi_card import make_kpi_card, next_target
from components.period_controls import (comparison_period, make_period_controls, parse_query,
                                        register_period_callbacks)
from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import BY_CODE
from data_access.kpi import city_targets, compute_kpis, kpi_sources

dash.register_page(__name__, path="/digital", name="Chuyển đổi số", name_en="Digital", order=3, nav=True,
                   title="Chuyển đổi số – IOC")

PERIOD_IDS = ids.period_ids("digital")
register_period_callbacks(PERIOD_IDS)

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
    ])


@callback(Output(ids.DIGITAL_BODY, "children"), Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
          Input(PERIOD_IDS["period"], "value"), Input(PERIOD_IDS["compare"], "value"))
def render_digital(city: str, lang: str, period_key: str, compare: str):
    lang = normalise_lang(lang)
    try:
        period = periods.parse(period_key)
        other = comparison_period(period, compare)
        values, previous = compute_kpis(city, period), compute_kpis(city, other)
        sources, targets = kpi_sources(city, period), city_targets(city)
    except (DatabaseUnavailable, periods.PeriodError) as exc:
        return error_banner(str(exc))
    sections = []
    for group, codes in GROUPS.items():
        cards = [make_kpi_card(BY_CODE[code], values[code], previous[code], next_target(targets, code, period.year),
                               sources[code], lang, compared_label=f"{t('card.vs', lang)} {other.key}")
                 for code in codes]
        sections.append(html.Section([html.H2(t(group, lang), className="section-title"),
                                      html.Div(cards, className="card-grid wide")], className="panel",
                                     style={"marginBottom": "16px"}))
    return sections
