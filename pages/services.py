"""Public services (`/services`): the Decision 766/QĐ-TTg groups computed from
dossier records for a period, compared with another, by ward, with export."""
from __future__ import annotations

from datetime import datetime

import dash
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, dash_table, dcc, html

import settings
from components import ids
from components.banners import error_banner, ignored_notice
from components.chart_panel import make_chart_panel
from components.charts import bar_chart
from components.export import download, export_buttons, requested_format
from components.formatting import format_datetime, table_locale, table_number_format
from components.i18n import normalise_lang, t
from components.kpi_card import make_kpi_card
from components.period_controls import (combined_key, comparison_period, make_period_controls, parse_query,
                                        register_period_callbacks)
from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import BY_CODE
from data_access.kpi import compute_kpis, data_as_of, kpi_sources, monthly_dossiers, services_by_ward
from data_access.lineage import has_lineage

dash.register_page(__name__, path="/services", name="Dịch vụ công", name_en="Public services", order=2,
                   nav=True, title="Dịch vụ công – IOC")

PERIOD_IDS = ids.period_ids("services")
register_period_callbacks(PERIOD_IDS)

# Decision 766 groups and the value at which each earns its full score (None = no threshold published).
GROUPS = (
    ("services.on_time_rate", None), ("services.procedures_online_rate", 80), ("services.online_submission_rate", 50),
    ("services.digitised_rate", 80), ("services.satisfaction_proxy", 90), ("services.feedback_on_time_rate", None),
    ("services.online_payment_rate", None), ("services.level3_dossiers", None),
    ("services.level3_on_time_rate", None), ("services.level4_dossiers", None), ("services.level4_on_time_rate", None),
)
TABLE_COLUMNS = ("ward", "dossiers", "online_rate", "on_time_rate", "digitised_rate", "level3", "level4")


def layout(**query) -> html.Div:
    lang = normalise_lang(settings.get("DEFAULT_LANG"))
    period, compare, notices = parse_query(query)
    return html.Div([
        html.Div([html.H1(t("services.heading", lang), id=ids.SERVICES_HEADING, className="page-title"),
                  make_period_controls(PERIOD_IDS, period, compare, lang)], className="page-head"),
        ignored_notice(notices, lang),
        dcc.Loading(html.Div(id=ids.SERVICES_CARDS, className="card-grid wide"), type="dot", delay_show=400),
        html.Div([make_chart_panel(ids.SERVICES_WARD_CHART), make_chart_panel(ids.SERVICES_MONTHLY)],
                 className="charts", style={"marginTop": "16px"}),
        html.Div([
            html.Div([html.H2(t("services.by_ward", lang), className="section-title"),
                      html.Div(export_buttons(ids.SERVICES_EXPORT), className="export-buttons")],
                     className="page-head"),
            html.Div(id=ids.SERVICES_TABLE), dcc.Download(id=ids.SERVICES_DOWNLOAD),
        ], className="panel", style={"marginTop": "16px"}),
    ])


@callback(
    Output(ids.SERVICES_CARDS, "children"), Output(ids.SERVICES_WARD_CHART, "figure"),
    Output(ids.SERVICES_MONTHLY, "figure"), Output(ids.SERVICES_TABLE, "children"),
    Output(ids.SERVICES_HEADING, "children"),
    Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"), Input(ids.THEME_SELECT, "value"),
    Input(PERIOD_IDS["period"], "value"), Input(PERIOD_IDS["to"], "value"),
    Input(PERIOD_IDS["compare"], "value"),
)
def render_services(city: str, lang: str, theme: str, period_key: str, last_key: str | None, compare: str):
    lang = normalise_lang(lang)
    try:
        period = periods.parse(combined_key(period_key, last_key))
        other = comparison_period(period, compare)
        values, previous = compute_kpis(city, period), compute_kpis(city, other)
        sources = kpi_sources(city, period)
        wards = services_by_ward(city, period)
        as_of = data_as_of(city)
        monthly = monthly_dossiers(city, period.year)
    except (DatabaseUnavailable, periods.PeriodError) as exc:
        message = error_banner(str(exc))
        return message, go.Figure(), go.Figure(), None, t("services.heading", lang)
    cards = [make_kpi_card(BY_CODE[code], values[code], previous[code], _threshold(threshold, period), sources[code],
                           lang, compared_label=f"{t('card.vs', lang)} {other.key}")
             for code, threshold in GROUPS]
    updated = format_datetime(as_of, lang) if as_of else "—"
    common = {"source": t("source.raw", lang), "updated": updated, "lang": lang, "theme": theme}
    ranked = wards.dropna(subset=["on_time_rate"]).sort_values("on_time_rate")
    shown = ranked if len(ranked) <= 10 else ranked.iloc[list(range(5)) + list(range(len(ranked) - 5, len(ranked)))]
    ward_chart = bar_chart(shown["ward"].tolist(), {t("services.on_time", lang): shown["on_time_rate"].round(2).tolist()},
                           title=f"{t('services.top_bottom', lang)} · {period.key}", unit="%", **common)
    bottom = set(ranked["gso_code"].head(5))
    ward_chart.update_traces(customdata=shown["gso_code"].tolist(),
                             marker_color=["#dc2626" if code in bottom else "#16a34a" for code in shown["gso_code"]])
    ward_chart.update_xaxes(dtick=None, tickformat=None, type="category")
    low = float(shown["on_time_rate"].min()) if len(shown) else 0.0
    ward_chart.update_yaxes(ticksuffix="%", range=[max(0.0, low - 1), 100.2])
    ward_chart.update_layout(showlegend=False)
    months = [row["month"] for row in monthly]
    month_chart = bar_chart(months, {t("services.received", lang): [row["received"] for row in monthly]},
                            title=f"{t('services.monthly', lang)} {period.year}", unit=t("services.per_month", lang),
                            **common)
    month_chart.add_trace(go.Scatter(x=months, y=[row["on_time_rate"] for row in monthly], yaxis="y2",
                                     name=t("services.on_time", lang), mode="lines+markers"))
    month_chart.update_layout(yaxis2={"overlaying": "y", "side": "right", "ticksuffix": "%", "range": [90, 100.5],
                                      "dtick": 2, "showgrid": False})
    table = dash_table.DataTable(
        data=wards.to_dict("records"), sort_action="native", page_size=50, id="services-ward-table",
        style_cell={"fontFamily": "inherit", "textAlign": "right"},
        style_cell_conditional=[{"if": {"column_id": "ward"}, "textAlign": "left"}],
        columns=[{"name": t(f"services.col.{c}", lang), "id": c, "type": "numeric" if c != "ward" else "text",
                  "format": table_number_format(c)} for c in TABLE_COLUMNS],
        locale_format=table_locale(lang))
    if has_lineage(city):
        table = html.Div([table, html.Small(t("lineage.rule", lang), className="lineage-note")])
    return cards, ward_chart, month_chart, table, t("services.heading", lang)


def _threshold(value: float | None, period: periods.Period) -> dict | None:
    if value is None:
        return None
    return {"indicator_code": "", "year": period.year, "value": value, "comparator": ">=",
            "source": "Quyết định 766/QĐ-TTg", "title_key": "card.full_score"}


@callback(Output(ids.URL, "pathname"), Input(ids.SERVICES_WARD_CHART, "clickData"), prevent_initial_call=True)
def drill_down_to_ward(click: dict | None):
    """Clicking a ward's bar opens that ward's page."""
    try:
        return f"/ward/{click['points'][0]['customdata']}"
    except (TypeError, KeyError, IndexError):
        return dash.no_update


@callback(
    Output(ids.SERVICES_DOWNLOAD, "data"),
    Input({"type": ids.SERVICES_EXPORT, "format": ALL}, "n_clicks"),
    State(ids.CITY_SELECT, "value"), State(PERIOD_IDS["period"], "value"), State(PERIOD_IDS["to"], "value"),
    State(ids.LANG_SELECT, "value"),
    prevent_initial_call=True,
)
def export_table(clicks, city: str, period_key: str, last_key: str | None, lang: str):
    """The ward table as CSV or XLSX, with the same columns and figures as on screen."""
    file_format = requested_format(clicks)
    if file_format is None:
        return dash.no_update
    lang = normalise_lang(lang)
    period = periods.parse(combined_key(period_key, last_key))
    frame = services_by_ward(city, period)[["gso_code", *TABLE_COLUMNS]]
    frame.columns = ["gso_code", *[t(f"services.col.{c}", lang) for c in TABLE_COLUMNS]]
    name = f"dich-vu-cong_{city}_{period.key}_{datetime.now():%Y%m%d}"
    return download(frame, name, file_format, f"/services {city} {period.key}")
