"""Overview (`/`): headline KPI cards of the four pillars for a year, a map of
the wards by security-camera density, and trend charts since 2020.

The year comes from the address (`?period=2022`, `?year=2022`; a quarter, month or range
stands for its year), else from the period chosen in this browser tab on another page
(components/period_controls.py); the year chosen here travels to the other pages."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from components import ids
from components.banners import error_banner, ignored_notice
from components.chart_panel import make_chart_panel
from components.charts import bar_chart, line_chart
from components.kpi_card import make_kpi_card, next_target
from components.period_controls import RESTORED_JS, read_query, remember_year, url_marker
from components.shell import nav_names, request_lang, tab_title
from components.ward_map import choropleth_geojson, legend, make_ward_map, zoom_for_area
from data_access.db import DatabaseUnavailable
from data_access.kpi import city_targets, compute_kpis, data_as_of, kpi_sources, yearly_series
from data_access.map_layers import metric_values, ward_metrics
from data_access.places import get_city, has_schematic_wards, wards_geojson
from domain import periods
from domain.city_time import city_today
from domain.formatting import format_date, format_datetime
from domain.headlines import FIRST_DATA_YEAR, PILLAR_CODES, TREND_CODES
from domain.i18n import dropdown_labels, name_of, normalise_lang, t
from domain.indicators import BY_CODE, PILLARS
from serving.response_cache import cache_response

dash.register_page(__name__, path="/", **nav_names("overview"), order=0, nav=True,
                   period="any", title=tab_title("title.overview"))
PAGE = "overview"


def _year_options() -> list[int]:
    return list(range(city_today().year, FIRST_DATA_YEAR - 1, -1))


def layout(**query) -> html.Div:
    chosen = read_query(query)
    lang = request_lang(query.get("lang"))
    return html.Div([
        html.Div([
            html.H1(t("overview.heading", lang), id=ids.OVERVIEW_HEADING, className="page-title"),
            html.Label([html.Span(t("overview.year", lang), id=ids.OVERVIEW_YEAR_LABEL),
                        dcc.Dropdown(id=ids.OVERVIEW_YEAR, options=_year_options(), value=chosen.period.year,
                                     clearable=False, searchable=False, className="year-select",
                                     labels=dropdown_labels(lang))],
                       className="inline-control"),
            url_marker(PAGE, chosen.given),
        ], className="page-head"),
        ignored_notice(chosen.notices, lang),
        html.Div(id=ids.OVERVIEW_MESSAGE),
        dcc.Loading(html.Div(id=ids.OVERVIEW_CARDS, className="pillars"), type="dot", delay_show=400),
        html.Div([
            html.Section([html.H2(id=ids.OVERVIEW_MAP_NOTE, className="section-title"),
                          make_ward_map(ids.OVERVIEW_MAP, ids.OVERVIEW_WARDS),
                          html.Div(id=ids.OVERVIEW_LEGEND)], className="panel map-panel"),
            html.Div(id=ids.OVERVIEW_CHARTS, className="charts"),
        ], className="overview-lower"),
    ], className="overview")


# Opened without a year in the address: the year of the period chosen in this tab, in the browser
# (the cards are asked for at once, not after a round trip).
RESTORE_YEAR_JS = """function(given, state, year, options) {
    const restored = (%(restored)s)(given, state);
    const shown = restored.last || restored.first;  // a range's year is its last period's
    const wanted = shown ? parseInt(shown.slice(0, 4), 10) : null;
    // the year even when it stays: the tab's store and the links follow what the page shows
    return wanted !== null && (options || []).indexOf(wanted) >= 0 ? wanted : year;
}""" % {"restored": RESTORED_JS}
clientside_callback(RESTORE_YEAR_JS, Output(ids.OVERVIEW_YEAR, "value"),
                    Input({"type": ids.PERIOD_FROM_URL, "page": PAGE}, "data"), State(ids.PERIOD_STORE, "data"),
                    State(ids.OVERVIEW_YEAR, "value"), State(ids.OVERVIEW_YEAR, "options"))


remember_year(Input(ids.OVERVIEW_YEAR, "value"), PAGE)


@callback(Output(ids.OVERVIEW_CARDS, "children"), Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
          Input(ids.OVERVIEW_YEAR, "value"))
@cache_response()
def render_year(city: str, lang: str, year: int):
    """The pillars' cards for the year: all a year change redraws (the trends, the map and its
    legend are the city's, drawn by `render_overview`)."""
    lang = normalise_lang(lang)
    try:
        if get_city(city) is None:
            raise DatabaseUnavailable(f"{t('shell.unknown_city', lang)} {city!r}")
        return _pillar_sections(city, periods.year(year), lang)
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))


@callback(
    Output(ids.OVERVIEW_CHARTS, "children"),
    Output(ids.OVERVIEW_WARDS, "data"),
    Output(ids.OVERVIEW_MAP, "viewport"),
    Output(ids.OVERVIEW_MAP_NOTE, "children"),
    Output(ids.OVERVIEW_LEGEND, "children"),
    Output(ids.OVERVIEW_MESSAGE, "children"),
    Output(ids.OVERVIEW_HEADING, "children"),
    Output(ids.OVERVIEW_YEAR_LABEL, "children"),
    Input(ids.CITY_SELECT, "value"),
    Input(ids.LANG_SELECT, "value"),
    Input(ids.THEME_SELECT, "value"),
)
@cache_response()
def render_overview(city: str, lang: str, theme: str):
    """The city's trends (every year), its ward map and legend; the year's cards are `render_year`'s."""
    lang = normalise_lang(lang)
    return (*_render(city, lang, theme), t("overview.heading", lang), t("overview.year", lang))


def _render(city: str, lang: str, theme: str) -> tuple:
    try:
        info = get_city(city)
        if info is None:
            raise DatabaseUnavailable(f"{t('shell.unknown_city', lang)} {city!r}")
        charts = _trend_charts(city, lang, theme)
        geojson = choropleth_geojson(wards_geojson(city), metric_values(ward_metrics(city), "camera_density"), lang)
        schematic = has_schematic_wards(city)
    except DatabaseUnavailable as exc:
        message = error_banner(str(exc))
        return None, None, dash.no_update, t("overview.map_title", lang), None, message
    viewport = {"center": [info["centre_lat"], info["centre_lon"]], "zoom": zoom_for_area(info["area_km2"])}
    note = [t("overview.map_title", lang),
            html.Small(t("overview.schematic", lang), className="schematic-note")
            if schematic else None]
    return charts, geojson, viewport, note, legend(geojson["breaks"], t("overview.map_unit", lang), lang), None


def _pillar_sections(city: str, period: periods.Period, lang: str) -> list:
    values = compute_kpis(city, period)
    previous = compute_kpis(city, period.previous())
    sources = kpi_sources(city, period)
    targets = city_targets(city)
    sections = []
    for pillar in PILLARS:
        cards = [make_kpi_card(BY_CODE[code], values[code], previous[code],
                               next_target(targets, code, period.year), sources[code], lang)
                 for code in PILLAR_CODES[pillar]]
        sections.append(html.Section([html.H2(t(f"pillar.{pillar}", lang), className="section-title"),
                                      html.Div(cards, className="card-grid")],
                                     className=f"panel pillar pillar-{pillar}"))
    return sections


def _trend_charts(city: str, lang: str, theme: str) -> list:
    today = city_today()
    years = list(range(FIRST_DATA_YEAR, today.year + 1))
    series = yearly_series(city, [code for codes in TREND_CODES.values() for code in codes], years)
    as_of = data_as_of(city)
    updated = format_datetime(as_of, lang) if as_of else "—"
    source = t("source.raw", lang)
    partial = t("chart.partial_year", lang).format(year=today.year, date=format_date(today, lang))
    common = {"source": f"{source}; {partial}", "updated": updated, "lang": lang, "theme": theme}

    def lines(trend: str, labels: tuple[str, ...] = ()) -> dict[str, list]:
        """The trend's series by label: the given ones, else the indicators' names."""
        codes = TREND_CODES[trend]
        return {label: [series[code][y] for y in years]
                for code, label in zip(codes, labels or [name_of(BY_CODE[code], lang) for code in codes])}

    def titles(trend: str) -> dict:
        return {"title": t(f"chart.{trend}.title", lang), "unit": t(f"chart.{trend}.unit", lang), **common}

    meeting_target = [(row["year"], row["value"], t("chart.target_2025", lang)) for row in city_targets(city)
                      if row["indicator_code"] == "meetings.electronic_rate" and row["year"] == 2025]
    figures = [
        bar_chart(years, lines("dossiers", (t("chart.level3", lang), t("chart.level4", lang))), **titles("dossiers")),
        line_chart(years, lines("assets"), **titles("assets")),
        line_chart(years, lines("rates"), percent=True, targets=meeting_target, **titles("rates")),
    ]
    return [make_chart_panel({"type": ids.TREND_CHART, "index": i}, figure) for i, figure in enumerate(figures)]
