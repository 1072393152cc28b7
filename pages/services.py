"""Public services (`/services`): the Decision 766/QĐ-TTg groups computed from
dossier records for a period, compared with another, by ward, with export."""
from __future__ import annotations

import dash
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html

from components import ids
from components.banners import ignored_notice
from components.chart_panel import make_chart_panel
from components.charts import (
    CHART_HEIGHT,
    lowest_and_highest,
    monthly_dossiers_figure,
    style_figure,
    ward_rate_dots,
)
from components.export import export_buttons, table_export
from components.grid import (
    COUNT,
    RATE,
    TEXT_KIND,
    GridColumn,
    data_grid,
    grid_id,
    grid_shape_id,
    grid_update,
    shown_rows,
)
from components.kpi_card import KpiCards, kpi_card_props
from components.period_controls import (
    combined_key,
    comparison_period,
    make_period_controls,
    read_query,
    register_period_callbacks,
)
from components.shell import nav_names, request_city, request_lang, tab_title
from data_access.db import DatabaseUnavailable
from data_access.kpi import (
    compute_kpis,
    data_as_of,
    kpi_sources,
    monthly_dossiers,
    services_by_ward,
)
from data_access.lineage import has_lineage
from data_access.places import wards_frame
from domain import periods
from domain.formatting import format_datetime, format_period, month_label
from domain.i18n import normalise_lang, t
from domain.indicators import BY_CODE
from security.session import audit_current_user
from serving.response_cache import cache_response

dash.register_page(__name__, path="/services", **nav_names("services"), order=2,
                   nav=True, period="any", title=tab_title("title.services"))

PERIOD_IDS = ids.period_ids("services")
register_period_callbacks(PERIOD_IDS)

# Decision 766 groups and the value at which each earns its full score (None = no threshold published).
GROUPS = (
    ("services.on_time_rate", None), ("services.procedures_online_rate", 80), ("services.online_submission_rate", 50),
    ("services.digitised_rate", 80), ("services.satisfaction_proxy", 90), ("services.feedback_on_time_rate", None),
    ("services.online_payment_rate", None), ("services.level3_dossiers", None),
    ("services.level3_on_time_rate", None), ("services.level4_dossiers", None), ("services.level4_on_time_rate", None),
)
# The ward grid stays drawn; a period, city or comparison sends it new rows (components/grid.grid_update).
SERVICES_GRID = grid_id(ids.SERVICES_WARD_GRID)
PAGE_SIZE = 50
TABLE_COLUMNS = ("ward", "dossiers", "online_rate", "on_time_rate", "digitised_rate", "level3", "level4")
COLUMN_KINDS = {"ward": TEXT_KIND, "dossiers": COUNT, "online_rate": RATE, "on_time_rate": RATE, "digitised_rate": RATE,
                "level3": COUNT, "level4": COUNT}


def layout(**query) -> html.Div:
    lang = request_lang(query.get("lang"))
    chosen = read_query(query)
    try:  # the wards the grid will list, so it is drawn with their columns and paging from the start
        wards = [{"ward": name} for name in wards_frame(request_city(query.get("city")))["name"]]
    except DatabaseUnavailable:
        wards = None
    return html.Div([
        html.Div([html.H1(t("services.heading", lang), id=ids.SERVICES_HEADING, className="page-title"),
                  make_period_controls(PERIOD_IDS, chosen.period, chosen.compare, lang, chosen.given)],
                 className="page-head"),
        ignored_notice(chosen.notices, lang),
        dcc.Loading(KpiCards(id=ids.SERVICES_CARDS, className="card-grid wide", cards=[]), type="dot",
                    delay_show=400),
        html.Div([make_chart_panel(ids.SERVICES_WARD_CHART, height=CHART_HEIGHT),
                  make_chart_panel(ids.SERVICES_MONTHLY, height=CHART_HEIGHT)],
                 className="charts", style={"marginTop": "16px"}),
        html.Div([
            html.Div([html.H2(t("services.by_ward", lang), className="section-title"),
                      html.Div(export_buttons(ids.SERVICES_EXPORT), className="export-buttons")],
                     className="page-head"),
            data_grid(ids.SERVICES_WARD_GRID, None, _columns(lang), lang, page_size=PAGE_SIZE, key="gso_code",
                      sized_by=wards),
            html.Div(id=ids.SERVICES_TABLE_NOTE), dcc.Download(id=ids.SERVICES_DOWNLOAD),
        ], className="panel", style={"marginTop": "16px"}),
        dcc.Store(id=ids.SERVICES_DRAWN, data={}),
    ])


# What only the period controls change: the ward table's shape (its columns, whether it pages) and
# its note are the city's and the language's, so a period or comparison leaves them as they are.
# Every output sent is applied on its own in the browser, each time going over the whole page (~5 ms).
PERIOD_INPUTS = frozenset({PERIOD_IDS["period"], PERIOD_IDS["to"], PERIOD_IDS["compare"]})
# What the browser shows (ids.SERVICES_DRAWN): the key of the ward chart and table, and of the monthly
# chart. A comparison changes only the cards, another quarter of the same year leaves the monthly
# chart as it was: an answer then sends nothing for them, and the server makes nothing for them. Each
# figure drawn again cost plotly ~40 ms on the 2-core machine, the table's rows ~17 ms.
DRAWN_PARTS = ("wards", "monthly")


def drawn_keys(city: str, lang: str, theme: str, period, as_of) -> dict[str, list[str]]:
    """What each part shows depends on: the ward chart and table on the period, the monthly chart on
    its year; both on the city, language, theme and the data's time (an import changes it)."""
    common = [city, lang, str(theme), str(as_of)]
    return {"wards": [*common, period.key], "monthly": [*common, str(period.year)]}


def already_drawn(drawn, keys: dict[str, list[str]]) -> set[str]:
    """The parts the browser shows as they would be drawn now (`drawn` comes from the browser)."""
    drawn = drawn if isinstance(drawn, dict) else {}
    return {part for part in DRAWN_PARTS if drawn.get(part) == keys[part]}


def answer_depends_on(city, lang, theme, period_key, last_key, compare, drawn=None) -> list:
    """The response cache's key for `render_services`: the inputs, and of the store only which parts
    it keeps. The store names the period shown before, so keyed whole, a period reached from
    another would seldom find its answer."""
    try:
        period = periods.parse(combined_key(period_key, last_key))
        kept = sorted(already_drawn(drawn, drawn_keys(city, normalise_lang(lang), theme, period, data_as_of(city))))
    except (DatabaseUnavailable, periods.PeriodError):
        kept = drawn  # the answer is the error's (a failed read is not kept): the store keyed as sent
    return [city, lang, theme, period_key, last_key, compare, kept]


@callback(
    Output(ids.SERVICES_CARDS, "cards"), Output(ids.SERVICES_CARDS, "message"),
    Output(ids.SERVICES_WARD_CHART, "figure"), Output(ids.SERVICES_MONTHLY, "figure"), Output(SERVICES_GRID, "rowData"),
    Output(grid_shape_id(ids.SERVICES_WARD_GRID), "data"), Output(ids.SERVICES_TABLE_NOTE, "children"),
    Output(ids.SERVICES_DRAWN, "data"),
    Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"), Input(ids.THEME_SELECT, "value"),
    Input(PERIOD_IDS["period"], "value"), Input(PERIOD_IDS["to"], "value"),
    Input(PERIOD_IDS["compare"], "value"), State(ids.SERVICES_DRAWN, "data"),
)
@cache_response(depends_on=answer_depends_on)
def render_services(city: str, lang: str, theme: str, period_key: str, last_key: str | None, compare: str,
                    drawn: dict | None = None):
    """The page's figures; the heading is the layout's (a language change draws the page again)."""
    lang = normalise_lang(lang)
    changed = {prop_id.rpartition(".")[0] for prop_id in dash.ctx.triggered_prop_ids}
    try:
        period = periods.parse(combined_key(period_key, last_key))
        other = comparison_period(period, compare)
        values, previous = compute_kpis(city, period), compute_kpis(city, other)
        sources = kpi_sources(city, period)
        as_of = data_as_of(city)
        keys = drawn_keys(city, lang, theme, period, as_of)
        kept = already_drawn(drawn, keys)
        wards = None if "wards" in kept else services_by_ward(city, period)
        monthly = None if "monthly" in kept else monthly_dossiers(city, period.year)
    except (DatabaseUnavailable, periods.PeriodError) as exc:
        return [], str(exc), go.Figure(), go.Figure(), *grid_update([], _columns(lang), lang, PAGE_SIZE), None, {}
    compared = f"{t('card.vs', lang)} {format_period(other, lang)}"
    cards = [kpi_card_props(BY_CODE[code], values[code], previous[code], _threshold(threshold, period, lang),
                            sources[code], lang, compared_label=compared)
             for code, threshold in GROUPS]
    updated = format_datetime(as_of, lang) if as_of else "—"
    common = {"source": t("source.raw", lang), "updated": updated, "lang": lang, "theme": theme}
    ward_chart = rows = shape = month_chart = dash.no_update
    if wards is not None:
        ward_chart = style_figure(ward_rate_dots(lowest_and_highest(wards, "on_time_rate"), "on_time_rate", lang),
                                  title=f"{t('services.top_bottom', lang)} · {format_period(period, lang)}", unit="%",
                                  **common)
        rows, shape = grid_update(wards.to_dict("records"), _columns(lang), lang, PAGE_SIZE, key="gso_code")
    if monthly is not None:
        month_chart = _monthly_chart(monthly, period.year, lang, common)
    now_drawn = dash.no_update if kept == set(DRAWN_PARTS) else keys
    if changed and changed <= PERIOD_INPUTS:
        return cards, None, ward_chart, month_chart, rows, dash.no_update, dash.no_update, now_drawn
    note = html.Small(t("lineage.rule", lang), className="lineage-note") if has_lineage(city) else None
    return cards, None, ward_chart, month_chart, rows, shape, note, now_drawn


def _monthly_chart(monthly: list[dict], year: int, lang: str, common: dict) -> go.Figure:
    months = [month_label(row["month"], lang) for row in monthly]
    return style_figure(monthly_dossiers_figure(months, monthly, lang), title=f"{t('services.monthly', lang)} {year}",
                        unit=t("services.per_month", lang), **common)


def _columns(lang: str) -> list[GridColumn]:
    """The ward table's columns: counts and rates sort as numbers and read as the language writes them."""
    return [GridColumn(c, t(f"services.col.{c}", lang), COLUMN_KINDS[c]) for c in TABLE_COLUMNS]


def _threshold(value: float | None, period: periods.Period, lang: str) -> dict | None:
    if value is None:
        return None
    return {"indicator_code": "", "year": period.year, "value": value, "comparator": ">=",
            "source": t("source.decision_766", lang), "title_key": "card.full_score"}


# Clicking a ward's dot opens that ward's page, through Dash's router (its own location: the shell's
# only changed the address). In the browser: the chart resets its clickData whenever it is drawn
# again, and each reset was a server round trip competing with the page's figures.
clientside_callback(
    """function(click) {
        const point = click && click.points && click.points[0];
        const code = point ? String(point.customdata) : '';
        return /^\\d+$/.test(code) ? '/ward/' + code : window.dash_clientside.no_update;
    }""",
    Output(ids.PAGES_LOCATION, "pathname"), Input(ids.SERVICES_WARD_CHART, "clickData"), prevent_initial_call=True,
)


@callback(
    Output(ids.SERVICES_DOWNLOAD, "data"),
    Input({"type": ids.SERVICES_EXPORT, "format": ALL}, "n_clicks"),
    State(ids.CITY_SELECT, "value"), State(PERIOD_IDS["period"], "value"), State(PERIOD_IDS["to"], "value"),
    State(ids.LANG_SELECT, "value"), State(SERVICES_GRID, "virtualRowData"),
    prevent_initial_call=True,
)
def export_table(clicks, city: str, period_key: str, last_key: str | None, lang: str, shown: list | None = None):
    """The ward table as CSV or XLSX, with the same columns and figures as on screen: the rows the
    reader's filters left, in the order they sorted them."""
    lang = normalise_lang(lang)
    period = periods.parse(combined_key(period_key, last_key))

    def frame():
        table = shown_rows(services_by_ward(city, period), "gso_code", shown)[["gso_code", *TABLE_COLUMNS]]
        table.columns = ["gso_code", *[t(f"services.col.{c}", lang) for c in TABLE_COLUMNS]]
        return table

    return table_export(clicks, frame, f"dich-vu-cong_{city}_{period.key}",
                        lambda file_format: audit_current_user("export", f"/services {city} {period.key} {file_format}"))
